package io.raftkv.jepsen;

import io.raftkv.check.KvOp;
import io.raftkv.check.LinearizabilityChecker;
import io.raftkv.cluster.ClusterUnderTest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one {@link Schedule} against a real cluster, Jepsen style: concurrent recording clients issue
 * reads, writes, deletes and compare-and-sets on a few shared keys while the {@link Nemesis} injects
 * the schedule's faults; then everything is healed, every key is read once more, every acknowledged
 * write is re-sent with its Idempotency-Key, and the history is checked.
 */
public final class JepsenRun {
    private static final Logger log = LoggerFactory.getLogger(JepsenRun.class);
    static final int FINAL_READER = 1000;

    /**
     * @param clients     concurrent clients (8, as in the course simulator)
     * @param keys        shared keys per schedule: few, so that clients contend
     * @param thinkMin    pause between a client's operations, at least
     * @param thinkMax    and at most
     * @param resendShare the share of acknowledged writes a client at once sends again with the same
     *                    Idempotency-Key, as if the answer had been lost, to check they apply once
     */
    public record Settings(int clients, int keys, Duration thinkMin, Duration thinkMax, double resendShare,
                           RecordingClient.Config client, long seed) {
        public static Settings defaults() {
            long seed = Long.getLong("jepsen.seed", System.nanoTime());
            return new Settings(8, 5, Duration.ofMillis(100), Duration.ofMillis(600), 0.1,
                    RecordingClient.Config.defaults(), seed);
        }
    }

    /** Everything a run recorded and concluded; {@link Report} renders it, the IT asserts on it. */
    public record Result(Schedule schedule, long seed, java.time.Instant startedAt, List<Op> ops,
                         List<Nemesis.Window> windows, List<Nemesis.Window> elections, long termsStarted,
                         List<String> events, long loadEnd, long recoveryNanos, LinearizabilityChecker.Result linearizability,
                         long checkNanos, List<String> lostWrites, List<String> duplicateApplications,
                         int replays, int inconclusiveReplays, List<String> unexpectedAnswers) {

        /** The clients' own operations: not the final reads. */
        public List<Op> clientOps() {
            return ops.stream().filter(o -> o.client() != FINAL_READER).toList();
        }

        public long failures() {
            return clientOps().stream().filter(o -> !o.succeeded()).count();
        }

        public double failureRate() {
            List<Op> c = clientOps();
            return c.isEmpty() ? 0 : (double) failures() / c.size();
        }

        public Analysis.Gap longestWriteGap() {
            return Analysis.longestWriteGap(clientOps(), loadEnd);
        }

        /** For each node killed during the load, when and the write gap across it (see {@link Analysis#writeGapAcross}). */
        public Map<Nemesis.Window, Analysis.Gap> writeGapsAcrossKills() {
            Map<Nemesis.Window, Analysis.Gap> out = new LinkedHashMap<>();
            windows.stream().filter(w -> w.kind().equals("kill") && w.start() < loadEnd)
                    .forEach(w -> out.put(w, Analysis.writeGapAcross(clientOps(), w.start(), loadEnd)));
            return out;
        }

        public Analysis.Gap longestSilence() {
            return Analysis.longestSilence(clientOps(), loadEnd);
        }
    }

    private JepsenRun() {
    }

    public static Result run(ClusterUnderTest cluster, Schedule schedule, Settings settings) {
        Map<String, java.net.URI> nodes = new LinkedHashMap<>();
        for (String n : cluster.nodes()) {
            nodes.put(n, cluster.clientUrl(n));
        }
        java.time.Instant startedAt = java.time.Instant.now();
        History history = new History();
        ElectionMonitor monitor = new ElectionMonitor(nodes, history, Duration.ofMillis(200));
        Random random = new Random(settings.seed());
        Nemesis nemesis = new Nemesis(cluster, history::now, new Random(random.nextLong()));
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < settings.keys(); i++) {
            keys.add(schedule.name() + "/k" + i);
        }
        long loadEnd = schedule.load().toNanos();
        List<Analysis.Replay> resends = Collections.synchronizedList(new ArrayList<>());
        List<Acked> acked = Collections.synchronizedList(new ArrayList<>());
        AtomicReference<Throwable> trouble = new AtomicReference<>();

        log.info("{}: {} clients on {} for {} (seed {})", schedule.name(), settings.clients(), keys, schedule.load(), settings.seed());
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < settings.clients(); c++) {
            RecordingClient client = new RecordingClient(c, nodes, history, settings.client(), random.nextLong());
            Thread t = new Thread(() -> {
                try {
                    clientLoop(client, schedule, settings, keys, loadEnd, history, resends, acked);
                } catch (Throwable e) {
                    trouble.compareAndSet(null, e);
                }
            }, "jepsen-client-" + c);
            t.setDaemon(true);
            clients.add(t);
        }
        Thread nemesisThread = new Thread(() -> {
            try {
                for (Schedule.Step s : schedule.steps()) {
                    sleepUntil(history, schedule.offset(s).toNanos());
                    nemesis.perform(s.action());
                }
            } catch (Throwable e) {
                trouble.compareAndSet(null, e);
            }
        }, "jepsen-nemesis");
        nemesisThread.setDaemon(true);
        clients.forEach(Thread::start);
        nemesisThread.start();

        sleepUntil(history, loadEnd);
        join(nemesisThread);
        nemesis.healAll();
        clients.forEach(JepsenRun::join);
        long healed = history.now();
        cluster.awaitLeader(Duration.ofSeconds(60));
        cluster.awaitReady(Duration.ofSeconds(120));
        long recovery = history.now() - healed;
        if (trouble.get() != null) {
            monitor.close();
            throw new IllegalStateException("the run itself failed", trouble.get());
        }

        // Final linearizable reads of every key, part of the history the checker sees.
        RecordingClient reader = new RecordingClient(FINAL_READER, nodes, history,
                new RecordingClient.Config(Duration.ofSeconds(5), Duration.ofSeconds(30), 5), random.nextLong());
        Map<String, Op> finals = new LinkedHashMap<>();
        for (String k : keys) {
            finals.put(k, reader.run(reader.getCall(k)));
        }
        List<Op> ops = history.ops();

        long checkStart = System.nanoTime();
        LinearizabilityChecker.Result lin = new LinearizabilityChecker().check(ops.stream().map(Op::toKvOp).toList());
        long checkNanos = System.nanoTime() - checkStart;
        List<String> lost = Analysis.lostWrites(ops, FINAL_READER);

        // Exactly once: every acknowledged write sent again must be answered from memory and change nothing.
        List<Analysis.Replay> replays = new ArrayList<>(resends);
        for (Acked a : List.copyOf(acked)) {
            replays.add(new Analysis.Replay(a.op(), reader.replay(a.call())));
        }
        List<String> dup = new ArrayList<>(Analysis.replayMismatches(replays));
        dup.addAll(Analysis.valuesAtTwoRevisions(ops));
        for (String k : keys) {
            Op before = finals.get(k);
            Op after = reader.replay(reader.getCall(k));
            if (before.succeeded() && after.succeeded()
                    && (!Objects.equals(before.value(), after.value()) || before.revision() != after.revision())) {
                dup.add("re-sending acknowledged writes changed " + k + " from " + before.value() + " (rev "
                        + before.revision() + ") to " + after.value() + " (rev " + after.revision() + ")");
            }
        }
        int inconclusive = (int) replays.stream().filter(r -> !r.again().succeeded()).count();

        monitor.close();
        List<Op> everything = new ArrayList<>(ops);
        replays.forEach(r -> everything.add(r.again()));
        List<Nemesis.Window> windows = nemesis.windows();
        List<Nemesis.Window> elections = monitor.elections();
        List<Nemesis.Window> both = new ArrayList<>(windows);
        both.addAll(elections);
        List<String> unexpected = Analysis.unexpectedAnswers(everything, both);

        return new Result(schedule, settings.seed(), startedAt, ops, windows, elections, monitor.termsStarted(),
                nemesis.events(), loadEnd, recovery, lin, checkNanos, lost, dup, replays.size(), inconclusive, unexpected);
    }

    /**
     * Drives a new cluster for {@code d} with unrecorded reads and writes, so that the first schedule
     * does not measure the JVMs' warm-up (class loading, JIT) as latency.
     */
    public static void warmUp(ClusterUnderTest cluster, Duration d) {
        Map<String, java.net.URI> nodes = new LinkedHashMap<>();
        cluster.nodes().forEach(n -> nodes.put(n, cluster.clientUrl(n)));
        History h = new History();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            RecordingClient client = new RecordingClient(c, nodes, h, RecordingClient.Config.defaults(), c);
            Thread t = new Thread(() -> {
                for (int i = 0; h.now() < d.toNanos(); i++) {
                    String key = "warm-up/k" + (i % 4);
                    client.run(i % 2 == 0 ? client.putCall(key, "c" + client.id() + "-" + i) : client.getCall(key));
                }
            }, "jepsen-warm-up-" + c);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        threads.forEach(JepsenRun::join);
    }

    private record Acked(Op op, RecordingClient.Call call) {
    }

    /** What a client last learned about a key: its value and revision (value null: absent). */
    private record Seen(String value, long revision) {
    }

    private static void clientLoop(RecordingClient client, Schedule schedule, Settings settings, List<String> keys,
                                   long loadEnd, History history, List<Analysis.Replay> resends, List<Acked> acked) {
        Random random = new Random(settings.seed() * 31 + client.id());
        Map<String, Seen> seen = new HashMap<>();
        int written = 0;
        long thinkSpan = settings.thinkMax().toMillis() - settings.thinkMin().toMillis();
        sleep(random.nextInt((int) settings.thinkMax().toMillis()));
        while (history.now() < loadEnd) {
            String key = keys.get(random.nextInt(keys.size()));
            RecordingClient.Call call;
            if (random.nextDouble() < schedule.readFraction()) {
                call = client.getCall(key);
            } else {
                double w = random.nextDouble();
                String value = "c" + client.id() + "-" + (++written);
                if (w < 0.5) {
                    call = client.putCall(key, value);
                } else if (w < 0.85) {
                    Seen s = seen.get(key);
                    call = s == null || s.value() == null ? client.casCall(key, null, 0, value)
                            : client.casCall(key, s.value(), s.revision(), value);
                } else {
                    call = client.deleteCall(key);
                }
            }
            Op op = client.run(call);
            if (op.succeeded()) {
                switch (op.kind()) {
                    case GET, PUT -> seen.put(key, new Seen(op.value(), op.revision()));
                    case DELETE -> seen.put(key, new Seen(null, 0));
                    case CAS -> {
                        if (op.swapped()) {
                            seen.put(key, new Seen(op.value(), op.revision()));
                        } else {
                            seen.remove(key);
                        }
                    }
                }
                if (op.isWrite()) {
                    acked.add(new Acked(op, call));
                    if (random.nextDouble() < settings.resendShare()) {
                        resends.add(new Analysis.Replay(op, client.replay(call)));
                    }
                }
            }
            sleep(settings.thinkMin().toMillis() + (thinkSpan > 0 ? random.nextInt((int) thinkSpan + 1) : 0));
        }
    }

    private static void sleepUntil(History h, long t) {
        long left = t - h.now();
        if (left > 0) {
            sleep(left / 1_000_000 + 1);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
