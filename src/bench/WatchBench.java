import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The watch benchmark's driver (run by bin/raftkv-watch-bench with Java's source launcher; JDK only).
 * First PUTs PUTS keys with no watcher open (the writes' own rate, to compare). Then opens WATCHERS
 * watches of one fresh prefix, spread round-robin over the given nodes, and measures:
 * 1. fan-out: WRITERS connections PUT PUTS keys under the prefix on the leader as fast as they are
 *    acknowledged; every watcher must receive every event: events delivered per second, from the first
 *    PUT to the last event at the last watcher;
 * 2. latency: with the watchers still open, LATENCY_PUTS sequential PUTs on the leader, each timed from
 *    its acknowledgement to its event reaching one more watcher on another node (p50, p99, max), and
 *    one on the leader itself.
 *
 *   java WatchBench.java raftkv|etcd LEADER_URL URL[,URL...]
 * Env: WATCHERS (1000), PUTS (2000), WRITERS (16), LATENCY_PUTS (300), VALUE_SIZE (100).
 * raftkv: PUT /kv/KEY and GET /watch?prefix=P as NDJSON; etcd: its JSON gateway, POST /v3/kv/put and
 * the streaming POST /v3/watch.
 */
public final class WatchBench {
    private static final Pattern KEY = Pattern.compile("\"key\":\"([^\"]*)\"");

    private final boolean etcd;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String prefix = "watchbench/" + Long.toString(System.nanoTime(), 36) + "/";
    private final byte[] value;

    private WatchBench(boolean etcd, int valueSize) {
        this.etcd = etcd;
        this.value = new byte[valueSize];
        Arrays.fill(value, (byte) 'x');
    }

    /** One open watch: counts the fan-out events and, when asked, the arrival time of each key. */
    private final class Watcher implements Flow.Subscriber<String> {
        final AtomicLong fanOut = new AtomicLong();
        final Map<String, Long> arrivals;
        final CountDownLatch ready = new CountDownLatch(1);
        volatile Throwable failed;

        Watcher(boolean timed) {
            arrivals = timed ? new ConcurrentHashMap<>() : null;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(String line) {
            long now = System.nanoTime();
            ready.countDown();
            Matcher m = KEY.matcher(line);
            while (m.find()) {
                String key = etcd ? new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8) : m.group(1);
                if (key.startsWith(prefix + "t/")) {
                    fanOut.incrementAndGet();
                } else if (arrivals != null) {
                    arrivals.putIfAbsent(key, now);
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            failed = t;
            ready.countDown();
        }

        @Override
        public void onComplete() {
            failed = new IllegalStateException("the watch ended");
            ready.countDown();
        }
    }

    private Watcher watch(String url, boolean timed) {
        Watcher w = new Watcher(timed);
        HttpRequest req;
        if (etcd) {
            String body = "{\"create_request\":{\"key\":\"" + b64(prefix) + "\",\"range_end\":\"" + b64(rangeEnd(prefix)) + "\"}}";
            req = HttpRequest.newBuilder(URI.create(url + "/v3/watch")).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        } else {
            req = HttpRequest.newBuilder(URI.create(url + "/watch?prefix=" + prefix)).header("Accept", "application/x-ndjson").GET().build();
        }
        http.sendAsync(req, HttpResponse.BodyHandlers.fromLineSubscriber(w)).whenComplete((r, e) -> {
            if (e != null) {
                w.onError(e);
            } else if (r.statusCode() != 200) {
                w.onError(new IllegalStateException("watch answered " + r.statusCode()));
            }
        });
        return w;
    }

    private void put(String leader, String key) throws Exception {
        HttpRequest req = etcd
                ? HttpRequest.newBuilder(URI.create(leader + "/v3/kv/put")).POST(HttpRequest.BodyPublishers.ofString(
                "{\"key\":\"" + b64(key) + "\",\"value\":\"" + Base64.getEncoder().encodeToString(value) + "\"}")).build()
                : HttpRequest.newBuilder(URI.create(leader + "/kv/" + key)).PUT(HttpRequest.BodyPublishers.ofByteArray(value)).build();
        HttpResponse<Void> r = http.send(req, HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException("PUT " + key + " answered " + r.statusCode());
        }
    }

    private record Puts(double perSecond, long lastAckNanos) {
    }

    /** PUTs {@code count} keys under {@code sub} from {@code writers} connections, each as soon as the one before is acknowledged. */
    private Puts putAll(String leader, String sub, int count, int writers) throws InterruptedException {
        AtomicInteger next = new AtomicInteger();
        AtomicLong lastAck = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        long started = System.nanoTime();
        for (int t = 0; t < writers; t++) {
            Thread th = new Thread(() -> {
                try {
                    for (int i; (i = next.getAndIncrement()) < count; ) {
                        put(leader, prefix + sub + i);
                    }
                    lastAck.accumulateAndGet(System.nanoTime(), Math::max);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        return new Puts(count / ((lastAck.get() - started) / 1e9), lastAck.get());
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String rangeEnd(String p) {
        return p.substring(0, p.length() - 1) + (char) (p.charAt(p.length() - 1) + 1);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 3 || !(args[0].equals("raftkv") || args[0].equals("etcd"))) {
            System.err.println("usage: java WatchBench.java raftkv|etcd LEADER_URL URL[,URL...]");
            System.exit(2);
        }
        int watchers = env("WATCHERS", 1000);
        int puts = env("PUTS", 2000);
        int writers = env("WRITERS", 16);
        int latencyPuts = env("LATENCY_PUTS", 300);
        new WatchBench(args[0].equals("etcd"), env("VALUE_SIZE", 100)).run(args[0], args[1], List.of(args[2].split(",")),
                watchers, puts, writers, latencyPuts);
        System.exit(0);
    }

    private static int env(String name, int dflt) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? dflt : Integer.parseInt(v);
    }

    private void run(String name, String leader, List<String> urls, int watcherCount, int puts, int writers, int latencyPuts)
            throws Exception {
        // 0. the same PUTs with no watcher open, to see what the watchers cost the writes
        double alone = putAll(leader, "b/", puts, writers).perSecond();
        System.out.printf("%s PUTs with no watcher: %.0f/s by %d writers%n", name, alone, writers);

        List<Watcher> watchers = new ArrayList<>();
        for (int i = 0; i < watcherCount; i++) {
            watchers.add(watch(urls.get(i % urls.size()), false));
        }
        String other = urls.stream().filter(u -> !u.equals(leader)).findFirst().orElse(leader);
        Watcher timed = watch(other, true);
        watchers.add(timed);
        Watcher onLeader = watch(leader, true);
        watchers.add(onLeader);
        long openBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (Watcher w : watchers) {
            if (!w.ready.await(Math.max(1, openBy - System.nanoTime()), TimeUnit.NANOSECONDS) || w.failed != null) {
                throw new IllegalStateException("a watch did not open: " + w.failed);
            }
        }

        // 1. fan-out
        long started = System.nanoTime();
        Puts rate = putAll(leader, "t/", puts, writers);
        long lastAck = rate.lastAckNanos();
        long expected = (long) puts * watchers.size();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        long delivered;
        while ((delivered = watchers.stream().mapToLong(w -> w.fanOut.get()).sum()) < expected && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        long ended = System.nanoTime();
        long failed = watchers.stream().filter(w -> w.failed != null).count();
        System.out.printf("%s fan-out: %d watchers (on %d nodes) x %d PUTs by %d writers: %d of %d events delivered in %.2f s"
                        + " = %.0f events/s; PUTs %.0f/s; last event %.0f ms after the last PUT's ack; %d watches ended early%n",
                name, watchers.size(), urls.size(), puts, writers, delivered, expected, (ended - started) / 1e9,
                delivered / ((ended - started) / 1e9), rate.perSecond(), (ended - lastAck) / 1e6, failed);

        // 2. latency, PUT acknowledged on the leader -> event at a watcher on another node, and on the leader itself
        long[][] micros = new long[2][latencyPuts];
        int[] lost = new int[2];
        List<Watcher> timedOnes = List.of(timed, onLeader);
        for (int i = 0; i < latencyPuts; i++) {
            String key = prefix + "l/" + i;
            put(leader, key);
            long ack = System.nanoTime();
            long wait = ack + TimeUnit.SECONDS.toNanos(5);
            for (int w = 0; w < 2; w++) {
                Long at;
                while ((at = timedOnes.get(w).arrivals.get(key)) == null && System.nanoTime() < wait) {
                    LockSupport.parkNanos(100_000);
                }
                if (at == null) {
                    lost[w]++;
                    micros[w][i] = Long.MAX_VALUE;
                } else {
                    micros[w][i] = (at - ack) / 1_000;
                }
            }
            Thread.sleep(5);
        }
        for (int w = 0; w < 2; w++) {
            long[] m = micros[w];
            Arrays.sort(m);
            System.out.printf("%s PUT ack -> event %s (%d watchers open): %d PUTs, p50 %.2f ms, p99 %.2f ms, max %.2f ms,"
                            + " min %.2f ms (negative: the event came before the ack); %d not seen within 5 s%n",
                    name, w == 0 ? "on another node " + other : "on the leader " + leader, watchers.size(), latencyPuts,
                    m[latencyPuts / 2] / 1e3, m[(int) Math.ceil(latencyPuts * 0.99) - 1] / 1e3, m[latencyPuts - 1 - lost[w]] / 1e3,
                    m[0] / 1e3, lost[w]);
        }
    }
}
