package io.raftkv.cluster;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Network faults between the nodes of a {@link ContainerCluster}, made inside each container's
 * network namespace from the host: {@code nsenter -t <container pid> -n iptables-restore} (and
 * {@code python3} for delays). The image needs no tools and no capabilities for this; the host
 * needs root (or passwordless sudo), {@code nsenter}, {@code iptables} and {@code python3}.
 *
 * <p>Every rule matches the other nodes' IP addresses only, so the test JVM (which reaches the
 * nodes from the bridge's gateway address) keeps talking to every node, including one cut off
 * from all the others. Each node's whole filter table is rewritten from the wanted state in one
 * {@code iptables-restore}, so applying is atomic and idempotent, and a node that restarts (new
 * network namespace) gets its rules again from {@link #apply}:
 * <ul>
 *   <li>partition: {@code DROP} packets from and to the other side's addresses (in both
 *       namespaces, so a cut holds even while one side restarts). Dropping, not rejecting,
 *       is what a broken link does: senders see timeouts, not refusals.</li>
 *   <li>loss: {@code -m statistic --mode random --probability p -j DROP} on packets to peers.</li>
 *   <li>connection resets: {@code -j REJECT --reject-with tcp-reset} on a random fraction of the
 *       TCP segments that end a write to a peer (PSH set; not bare ACKs nor handshakes): the sending socket is reset, as a
 *       flaky load balancer or NAT does to a connection, and the peer's end dies at its next write.</li>
 *   <li>delay: this kernel has no {@code sch_netem}, so packets to peers go to an {@code NFQUEUE}
 *       that a small helper ({@code nfqueue-delay.py}, run in the node's namespace) releases after
 *       the delay. {@code --queue-bypass} lets packets through unhindered if the helper is gone.</li>
 * </ul>
 */
final class NetworkFaults {
    private static final String PARTITION = "RAFTKV-PARTITION";
    private static final String PEERS = "RAFTKV-PEERS";
    private static final int QUEUE = 7080;

    /** Whether fault commands need {@code sudo -n} (the test JVM does not run as root). */
    private final boolean sudo = !isRoot();
    private final Map<String, String> ipOf;
    private final Set<Set<String>> cut = new HashSet<>();
    private double loss;
    private double resets;
    private Duration delay = Duration.ZERO;
    private final Map<String, Delayer> delayers = new HashMap<>();
    private Path delayScript;

    /** A running nfqueue-delay.py for one node's namespace, and the lines it answered with. */
    private static final class Delayer {
        final long pid;
        final Process process;
        final BlockingQueue<String> said = new LinkedBlockingQueue<>();
        long millis;

        Delayer(long pid, long millis, Process process) {
            this.pid = pid;
            this.millis = millis;
            this.process = process;
        }

        /** Sends a command line and waits for the answer {@code expect}. */
        void tell(String line, String expect, String node) {
            try {
                process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
                process.getOutputStream().flush();
                expect(expect, node);
            } catch (IOException e) {
                throw new UncheckedIOException("the delay helper for " + node + " is gone", e);
            }
        }

        void expect(String expect, String node) {
            try {
                String got = said.poll(10, TimeUnit.SECONDS);
                if (!expect.equals(got)) {
                    throw new IllegalStateException("the delay helper for " + node + " said " + (got == null ? "nothing" : "'" + got + "'")
                            + " instead of '" + expect + "'" + (process.isAlive() ? "" : " and exited"));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    NetworkFaults(Map<String, String> ipOf) {
        this.ipOf = Map.copyOf(ipOf);
    }

    /** Null when faults can be made in the namespace of {@code pid}, else why not. */
    String probe(long pid) {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return "network faults need a Linux host (nsenter into the containers' network namespaces)";
        }
        if (!Files.exists(Path.of("/proc", Long.toString(pid)))) {
            return "the container's process " + pid + " is not visible here: the Docker engine runs elsewhere"
                    + " (network faults need the engine on this host)";
        }
        Result r = run(pid, List.of("iptables", "-S"), null, Duration.ofSeconds(10));
        if (r.exit != 0) {
            return "cannot run iptables in a container's network namespace (needs root or passwordless sudo,"
                    + " nsenter and iptables on the host; .ci/run installs them): " + r.output.strip();
        }
        return null;
    }

    synchronized boolean connected(String a, String b) {
        return a.equals(b) || !cut.contains(Set.of(a, b));
    }

    synchronized boolean any() {
        return !cut.isEmpty() || loss > 0 || resets > 0 || !delay.isZero();
    }

    synchronized void cut(String a, String b) {
        if (!a.equals(b)) {
            cut.add(Set.of(a, b));
        }
    }

    synchronized void clear() {
        cut.clear();
        loss = 0;
        resets = 0;
        delay = Duration.ZERO;
    }

    synchronized void resets(double probability) {
        resets = probability;
    }

    synchronized void shape(double fraction, Duration d) {
        loss = fraction;
        delay = d;
    }

    /**
     * Makes node {@code id}'s namespace (its container's process {@code pid}) match the wanted
     * state: its partition rules, loss and delay towards the other nodes.
     */
    synchronized void apply(String id, long pid) {
        StringBuilder rules = new StringBuilder("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        List<String> others = ipOf.keySet().stream().filter(o -> !o.equals(id)).sorted().toList();
        List<String> cutOff = others.stream().filter(o -> !connected(id, o)).toList();
        boolean shaped = loss > 0 || resets > 0 || !delay.isZero();
        if (!cutOff.isEmpty()) {
            rules.append(':').append(PARTITION).append(" - [0:0]\n")
                    .append("-A INPUT -j ").append(PARTITION).append('\n')
                    .append("-A OUTPUT -j ").append(PARTITION).append('\n');
            for (String o : cutOff) {
                rules.append("-A ").append(PARTITION).append(" -s ").append(ipOf.get(o)).append("/32 -j DROP\n")
                        .append("-A ").append(PARTITION).append(" -d ").append(ipOf.get(o)).append("/32 -j DROP\n");
            }
        }
        if (shaped) {
            rules.append(':').append(PEERS).append(" - [0:0]\n");
            for (String o : others) {
                rules.append("-A OUTPUT -d ").append(ipOf.get(o)).append("/32 -j ").append(PEERS).append('\n');
            }
            if (resets > 0) {
                // PSH marks the segment that ends each write: one per chunk a sender hands over, never a
                // bare ACK or a handshake (a SYN with options is as long as a small data segment).
                rules.append("-A ").append(PEERS).append(" -p tcp --tcp-flags PSH PSH -m statistic --mode random --probability ")
                        .append(String.format(Locale.ROOT, "%.6f", Math.min(1.0, resets))).append(" -j REJECT --reject-with tcp-reset\n");
            }
            if (loss > 0) {
                rules.append("-A ").append(PEERS).append(" -m statistic --mode random --probability ")
                        .append(String.format(Locale.ROOT, "%.6f", Math.min(1.0, loss))).append(" -j DROP\n");
            }
            if (!delay.isZero()) {
                rules.append("-A ").append(PEERS).append(" -j NFQUEUE --queue-num ").append(QUEUE).append(" --queue-bypass\n");
            }
        }
        rules.append("COMMIT\n");
        Delayer d = delayers.get(id);
        if (d != null && (d.pid != pid || !d.process.isAlive())) {
            forget(id); // its namespace is gone with the process it belonged to
            d = null;
        }
        if (!delay.isZero()) {
            // The helper listens before the rule sends packets its way.
            startOrTell(id, pid, d);
        } else if (d != null) {
            // Release what it holds, in order, before packets stop going through it.
            d.tell("0", "ok", id);
            d.tell("drain", "drained", id);
        }
        Result r = run(pid, List.of("iptables-restore"), rules.toString(), Duration.ofSeconds(10));
        if (r.exit != 0) {
            throw new IllegalStateException("iptables-restore in " + id + "'s namespace failed (" + r.exit + "): "
                    + r.output.strip() + "\nrules:\n" + rules);
        }
        if (delay.isZero()) {
            forget(id);
        }
    }

    /** The node's namespace is gone (its container stopped): its delay helper has nothing left to do. */
    synchronized void forget(String id) {
        Delayer d = delayers.remove(id);
        if (d != null) {
            stopProcess(d.process);
        }
    }

    synchronized void close() {
        for (String id : List.copyOf(delayers.keySet())) {
            forget(id);
        }
        if (delayScript != null) {
            try {
                Files.deleteIfExists(delayScript);
            } catch (IOException e) {
                // a temporary file; the OS cleans up eventually
            }
        }
    }

    private void startOrTell(String id, long pid, Delayer running) {
        long millis = delay.toMillis();
        if (running != null) {
            if (running.millis != millis) {
                running.tell(Long.toString(millis), "ok", id);
                running.millis = millis;
            }
            return;
        }
        try {
            List<String> cmd = List.of("python3", "-u", delayScript().toString(), Integer.toString(QUEUE), Long.toString(millis));
            Process p = new ProcessBuilder(command(pid, cmd)).redirectErrorStream(true).start();
            Delayer d = new Delayer(pid, millis, p);
            Thread reader = new Thread(() -> {
                try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = out.readLine()) != null; ) {
                        d.said.add(line.strip());
                    }
                } catch (IOException e) {
                    // the helper exited
                }
            }, "raftkv-delay-" + id);
            reader.setDaemon(true);
            reader.start();
            try {
                d.expect("ready", id);
            } catch (IllegalStateException e) {
                stopProcess(p);
                throw new IllegalStateException(e.getMessage() + " (is python3 installed? " + String.join(" | ", d.said) + ")", e);
            }
            delayers.put(id, d);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the delay helper for " + id, e);
        }
    }

    private Path delayScript() throws IOException {
        if (delayScript == null) {
            try (InputStream in = NetworkFaults.class.getResourceAsStream("nfqueue-delay.py")) {
                if (in == null) {
                    throw new IllegalStateException("nfqueue-delay.py is missing from the test classpath");
                }
                Path p = Files.createTempFile("raftkv-nfqueue-delay", ".py");
                Files.write(p, in.readAllBytes());
                p.toFile().deleteOnExit();
                delayScript = p;
            }
        }
        return delayScript;
    }

    private static String drain(InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    private static void stopProcess(Process p) {
        try {
            p.getOutputStream().close();
            if (!p.waitFor(2, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(2, TimeUnit.SECONDS);
            }
        } catch (IOException e) {
            p.destroyForcibly();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private record Result(int exit, String output) {
    }

    private List<String> command(long pid, List<String> cmd) {
        List<String> full = new ArrayList<>();
        if (sudo) {
            full.addAll(List.of("sudo", "-n"));
        }
        full.addAll(List.of("nsenter", "-t", Long.toString(pid), "-n"));
        full.addAll(cmd);
        return full;
    }

    private Result run(long pid, List<String> cmd, String stdin, Duration timeout) {
        try {
            Process p = new ProcessBuilder(command(pid, cmd)).redirectErrorStream(true).start();
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = drain(p.getInputStream());
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Result(-1, "timed out: " + out);
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            return new Result(-1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted");
        }
    }

    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[1].equals("0");
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: probe() says why faults are unavailable
        }
        return false;
    }
}
