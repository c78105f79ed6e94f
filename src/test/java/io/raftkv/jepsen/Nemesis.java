package io.raftkv.jepsen;

import io.raftkv.cluster.ClusterUnderTest;
import io.raftkv.cluster.Redirects;
import io.raftkv.raft.Peer;
import io.raftkv.raft.Quorum;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Injects faults into a real cluster and records when each was in force (its window), for the
 * checks (a 503 is only acceptable while something is wrong) and the timeline plot.
 *
 * <p>It never takes down more than a minority: a kill or pause that would leave fewer than a
 * majority of nodes running is skipped (and logged), so unavailability in a run means the cluster
 * failed to recover, not that the nemesis broke quorum.
 */
public final class Nemesis {
    private static final Logger log = LoggerFactory.getLogger(Nemesis.class);

    /** Which node an action picks: the current leader, a follower, or any running node. */
    public enum Target { LEADER, FOLLOWER, RANDOM }

    /**
     * How a partition splits five nodes: the leader with one other node against three, the leader
     * with two others against two, or any three against the other two.
     */
    public enum Split { LEADER_MINORITY, LEADER_MAJORITY, RANDOM_MAJORITY }

    /** A nemesis action; the schedule says when. */
    public sealed interface Action permits Kill, LoseDisk, RemoveLeader, Resize, RestartAll, Pause, ResumeAll, Partition, Heal, Loss, Resets {
        default boolean network() {
            return false;
        }
    }

    /** kill -9 a node; it stays down until {@link RestartAll}. */
    public record Kill(Target target) implements Action {
    }

    /**
     * kill -9 a node and delete its data directory (a lost volume); {@link RestartAll} brings it back
     * empty under its name, and it must rejoin as a new member without losing anything.
     */
    public record LoseDisk(Target target) implements Action {
    }

    /**
     * Removes the leader from the cluster through {@code DELETE /cluster/members/{id}} (it hands
     * leadership over first, and the request follows it to the new leader), then deletes its data
     * and keeps it down until {@link RestartAll}: it comes back as a new member, which the autopilot
     * promotes when the desired size asks for it.
     */
    public record RemoveLeader() implements Action {
    }

    /**
     * Changes the cluster's size through {@code PUT /cluster/size}, as {@code kubectl scale} of the
     * StatefulSet does: to grow, it starts nodes with empty data directories ({@link ClusterUnderTest#addNode})
     * and waits until the autopilot has made them voters; to shrink, it waits until the autopilot has
     * removed the members past the size (the leader hands over first if it is one of them) and then
     * deletes those nodes ({@link ClusterUnderTest#removeNode}). The whole change is a fault window:
     * a leader handing over may answer 503.
     */
    public record Resize(int size) implements Action {
    }

    /** Starts every killed node again on its data. */
    public record RestartAll() implements Action {
    }

    /** SIGSTOP a node; it stays frozen until {@link ResumeAll}. */
    public record Pause(Target target) implements Action {
    }

    /** SIGCONT every paused node. */
    public record ResumeAll() implements Action {
    }

    /** Cuts the network in two. */
    public record Partition(Split split) implements Action {
        @Override
        public boolean network() {
            return true;
        }
    }

    /** Removes the partition (packet loss, if set, stays). */
    public record Heal() implements Action {
        @Override
        public boolean network() {
            return true;
        }
    }

    /** Drops {@code fraction} of the packets between peers and delays the rest; 0 removes it. */
    public record Loss(double fraction, Duration delay) implements Action {
        @Override
        public boolean network() {
            return true;
        }
    }

    /**
     * Resets the connection between peers on {@code probability} of the segments that carry data, as a
     * flaky load balancer or NAT does; 0 stops it. It stays in force through partitions until the end.
     */
    public record Resets(double probability) implements Action {
        @Override
        public boolean network() {
            return true;
        }
    }

    /** When a fault was in force, in nanoseconds of the run's clock; {@code end} is the heal. */
    public record Window(String label, String kind, long start, long end) {
    }

    private final ClusterUnderTest cluster;
    private final LongSupplier clock;
    private final Random random;
    private final Set<String> killed = new LinkedHashSet<>();
    private final Set<String> paused = new LinkedHashSet<>();
    private final Map<String, Long> open = new LinkedHashMap<>();
    private final Map<String, String> openKind = new LinkedHashMap<>();
    private final List<Window> windows = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private List<List<String>> partition;
    private Loss loss;
    private double resets;

    public Nemesis(ClusterUnderTest cluster, LongSupplier clock, Random random) {
        this.cluster = cluster;
        this.clock = clock;
        this.random = random;
    }

    public synchronized void perform(Action a) {
        if (a instanceof Kill k) {
            takeDown(k.target(), "kill", cluster::kill);
        } else if (a instanceof LoseDisk d) {
            takeDown(d.target(), "lose the disk of", n -> {
                cluster.loseDisk(n);
                event("lost the disk of " + n);
            });
        } else if (a instanceof RemoveLeader) {
            removeLeader();
        } else if (a instanceof Resize r) {
            resize(r.size());
        } else if (a instanceof RestartAll) {
            restartAll();
        } else if (a instanceof Pause p) {
            pick(p.target(), "pause").ifPresent(n -> {
                long t = clock.getAsLong();
                cluster.pause(n);
                paused.add(n);
                openWindow("pause " + n, "pause", t);
            });
        } else if (a instanceof ResumeAll) {
            resumeAll();
        } else if (a instanceof Partition p) {
            partition(p.split());
        } else if (a instanceof Heal) {
            healPartition();
        } else if (a instanceof Loss l) {
            setLoss(l);
        } else if (a instanceof Resets r) {
            setResets(r.probability());
        }
    }

    /** Ends every fault: resumes, restarts, heals. */
    public synchronized void healAll() {
        resumeAll();
        restartAll();
        if (partition != null || loss != null || resets > 0) {
            cluster.heal();
            partition = null;
            loss = null;
            resets = 0;
            closeWindows("partition");
            closeWindows("loss");
            closeWindows("resets");
            event("heal all");
        }
    }

    public synchronized List<Window> windows() {
        List<Window> all = new ArrayList<>(windows);
        long now = clock.getAsLong();
        open.forEach((label, start) -> all.add(new Window(label, openKind.get(label), start, now)));
        all.sort((x, y) -> Long.compare(x.start(), y.start()));
        return all;
    }

    /** What the nemesis did, with times, for the report. */
    public synchronized List<String> events() {
        return List.copyOf(events);
    }

    // ---------------------------------------------------------------- actions

    /** Takes a node down until {@link RestartAll}, in a "kill" window (the checks allow a 503 then). */
    private void takeDown(Target target, String verb, java.util.function.Consumer<String> how) {
        pick(target, verb).ifPresent(n -> {
            long t = clock.getAsLong();
            how.accept(n);
            killed.add(n);
            openWindow("kill " + n, "kill", t);
        });
    }

    private void removeLeader() {
        Optional<String> leader = cluster.leader();
        if (leader.isEmpty()) {
            event("skipped remove-leader: no leader");
            return;
        }
        String member = leader.get();
        String node = Peer.nameOf(member);
        long t = clock.getAsLong();
        openWindow("kill " + node, "kill", t);
        try {
            java.net.http.HttpResponse<String> r = Redirects.send(ADMIN, java.net.http.HttpRequest.newBuilder(
                            cluster.clientUrl(node).resolve("/cluster/members/" + member)).timeout(Duration.ofSeconds(20))
                    .DELETE().build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            event("removed the leader " + member + ": HTTP " + r.statusCode());
        } catch (java.io.IOException e) {
            event("removing the leader " + member + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        cluster.loseDisk(node);
        killed.add(node);
        event("lost the disk of " + node);
    }

    private void resize(int size) {
        String label = "resize to " + size;
        openWindow(label, "kill", clock.getAsLong());
        java.net.http.HttpResponse<String> set = admin("PUT", "/cluster/size", "{\"size\":" + size + "}");
        if (set == null || set.statusCode() != 200) {
            throw new IllegalStateException("PUT /cluster/size " + size + " answered " + (set == null ? "nothing" : set.statusCode() + ": " + set.body()));
        }
        while (cluster.nodes().size() < size) {
            event("started " + cluster.addNode() + " with an empty data directory");
        }
        String members = awaitMembers(size);
        for (String n : cluster.nodes()) {
            if (!members.contains("\"name\":\"" + n + "\"")) {
                cluster.removeNode(n);
                event("deleted " + n + ", which the cluster removed");
            }
        }
        closeWindow(label);
    }

    /** Waits (up to a minute) until the cluster has {@code size} voters and no learners; returns {@code /cluster/members}. */
    private String awaitMembers(int size) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String members = "";
        while (System.nanoTime() < deadline) {
            java.net.http.HttpResponse<String> r = admin("GET", "/cluster/members", null);
            if (r != null && r.statusCode() == 200) {
                members = r.body();
                if (count(members, "\"role\":\"voter\"") == size && count(members, "\"role\":\"learner\"") == 0) {
                    java.util.regex.Matcher m = VOTER.matcher(members);
                    List<String> voters = new ArrayList<>();
                    while (m.find()) {
                        voters.add(m.group(1));
                    }
                    event(size + " voters: " + voters);
                    return members;
                }
            }
            sleepQuietly(200);
        }
        throw new IllegalStateException("the cluster did not reach " + size + " voters within a minute: " + members);
    }

    private static final java.util.regex.Pattern VOTER = java.util.regex.Pattern.compile("\"id\":\"([^\"]+)\",\"name\":\"[^\"]*\",\"role\":\"voter\"");

    private static int count(String text, String what) {
        return text.split(java.util.regex.Pattern.quote(what), -1).length - 1;
    }

    /** One admin request to a running node (redirects followed to the leader); null when none answered. */
    private java.net.http.HttpResponse<String> admin(String method, String path, String json) {
        List<String> up = new ArrayList<>(cluster.nodes());
        up.removeAll(killed);
        up.removeAll(paused);
        Collections.shuffle(up, random);
        for (String n : up) {
            java.net.http.HttpRequest.Builder b = java.net.http.HttpRequest.newBuilder(cluster.clientUrl(n).resolve(path))
                    .timeout(Duration.ofSeconds(10));
            b = json == null ? b.method(method, java.net.http.HttpRequest.BodyPublishers.noBody())
                    : b.header("Content-Type", "application/json").method(method, java.net.http.HttpRequest.BodyPublishers.ofString(json));
            try {
                java.net.http.HttpResponse<String> r = Redirects.send(ADMIN, b.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() < 500) {
                    if (json != null) {
                        event(method + " " + path + " " + json + ": HTTP " + r.statusCode());
                    }
                    return r;
                }
            } catch (java.io.IOException e) {
                // that node is down or busy: ask the next
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return null;
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static final java.net.http.HttpClient ADMIN = java.net.http.HttpClient.newBuilder()
            .followRedirects(java.net.http.HttpClient.Redirect.NEVER).connectTimeout(Duration.ofMillis(500)).build();

    private void restartAll() {
        for (String n : List.copyOf(killed)) {
            cluster.start(n);
            killed.remove(n);
            closeWindow("kill " + n);
            event("restart " + n);
        }
    }

    private void resumeAll() {
        for (String n : List.copyOf(paused)) {
            cluster.resume(n);
            paused.remove(n);
            closeWindow("pause " + n);
            event("resume " + n);
        }
    }

    private void partition(Split split) {
        if (partition != null) {
            healPartition();
        }
        List<String> all = new ArrayList<>(cluster.nodes());
        Collections.shuffle(all, random);
        int majority = Quorum.majority(all.size());
        List<String> a = new ArrayList<>();
        String leader = split == Split.RANDOM_MAJORITY ? null : leaderOrNull();
        if (leader != null) {
            a.add(leader);
            all.remove(leader);
        }
        int sizeA = split == Split.LEADER_MINORITY ? all.size() + a.size() - majority : majority;
        while (a.size() < sizeA) {
            a.add(all.remove(0));
        }
        List<String> b = all;
        Collections.sort(a);
        Collections.sort(b);
        long t = clock.getAsLong();
        cluster.partition(a, b);
        partition = List.of(a, b);
        String label = "partition " + String.join(",", a) + " | " + String.join(",", b)
                + (leader == null ? "" : " (leader " + leader + ")");
        openWindow(label, "partition", t);
    }

    private void healPartition() {
        if (partition == null) {
            return;
        }
        cluster.heal();
        partition = null;
        closeWindows("partition");
        event("heal partition");
        if (loss != null) {
            cluster.setPacketLoss(loss.fraction(), loss.delay());
        }
        if (resets > 0) {
            cluster.setConnectionResets(resets);
        }
    }

    private void setResets(double probability) {
        closeWindows("resets");
        resets = probability;
        long t = clock.getAsLong();
        cluster.setConnectionResets(probability);
        if (probability > 0) {
            openWindow(String.format("connection resets %.0f%%", probability * 100), "resets", t);
        } else {
            event("connection resets off");
        }
    }

    private void setLoss(Loss l) {
        closeWindows("loss");
        if (l.fraction() <= 0 && l.delay().isZero()) {
            loss = null;
            cluster.heal();
            event("packet loss off");
            if (partition != null) {
                cluster.partition(partition.get(0), partition.get(1));
            }
            if (resets > 0) {
                cluster.setConnectionResets(resets);
            }
            return;
        }
        loss = l;
        long t = clock.getAsLong();
        cluster.setPacketLoss(l.fraction(), l.delay());
        openWindow(String.format("loss %.0f%% +%d ms", l.fraction() * 100, l.delay().toMillis()), "loss", t);
    }

    // ---------------------------------------------------------------- choosing nodes

    private Optional<String> pick(Target target, String what) {
        List<String> up = new ArrayList<>(cluster.nodes());
        up.removeAll(killed);
        up.removeAll(paused);
        int majority = Quorum.majority(cluster.nodes().size());
        if (up.size() - 1 < majority) {
            event("skipped " + what + " " + target + ": it would leave less than a majority running");
            return Optional.empty();
        }
        String leader = target == Target.RANDOM ? null : leaderOrNull();
        String chosen = switch (target) {
            case LEADER -> leader != null && up.contains(leader) ? leader : null;
            case FOLLOWER -> {
                List<String> followers = new ArrayList<>(up);
                followers.remove(leader);
                yield followers.get(random.nextInt(followers.size()));
            }
            case RANDOM -> up.get(random.nextInt(up.size()));
        };
        if (chosen == null) {
            chosen = up.get(random.nextInt(up.size()));
            event("no leader to " + what + "; chose " + chosen + " at random");
        }
        return Optional.of(chosen);
    }

    /** The leader, waiting up to 5 s for one to be agreed on. */
    private String leaderOrNull() {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (System.nanoTime() < deadline) {
            // The leader's member id; the nodes are named by their name (a rejoined one's id is <name>~<hex>).
            Optional<String> l = cluster.leader().map(Peer::nameOf);
            if (l.isPresent() && !killed.contains(l.get()) && !paused.contains(l.get())) {
                return l.get();
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- windows

    /** A fault in force from {@code start}: when the action began, since it may bite before the call returns. */
    private void openWindow(String label, String kind, long start) {
        open.put(label, start);
        openKind.put(label, kind);
        event(label + String.format(" (took %d ms)", (clock.getAsLong() - start) / 1_000_000));
    }

    private void closeWindow(String label) {
        Long start = open.remove(label);
        String kind = openKind.remove(label);
        if (start != null) {
            windows.add(new Window(label, kind, start, clock.getAsLong()));
        }
    }

    private void closeWindows(String kind) {
        for (String label : List.copyOf(open.keySet())) {
            if (kind.equals(openKind.get(label))) {
                closeWindow(label);
            }
        }
    }

    private void event(String what) {
        String line = String.format("%7.3f s  %s", clock.getAsLong() / 1e9, what);
        events.add(line);
        log.info("nemesis: {}", line);
    }
}
