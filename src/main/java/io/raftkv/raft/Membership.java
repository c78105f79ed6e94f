package io.raftkv.raft;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Who is in the cluster, held in the log (as {@link EntryType#MEMBERSHIP} entries) and in snapshots.
 *
 * <p>Ids are member ids: one per data directory, never reused. {@code voters} elect and commit;
 * {@code learners} receive the log and snapshots but never vote or count toward a majority (etcd's
 * learners, the dissertation's non-voting members of §4.2.1). {@code removed} holds every id ever
 * taken out of the cluster: a data directory that comes back after its member was removed or
 * replaced speaks with a removed id, and nobody takes a message from it again. {@code desiredSize}
 * is the number of voters the autopilot works toward (0: not set, keep the voters there are): kept
 * here so every future leader reconciles toward the same size.
 */
public record Membership(List<Peer> voters, List<Peer> learners, Set<String> removed, int desiredSize) {
    /** Marks the encoding that carries learners and removed ids; the first one held voters only. */
    private static final int FORMAT_2 = -2;
    private static final int MAX_MEMBERS = 1024;
    private static final int MAX_REMOVED = 1 << 16;

    public Membership {
        voters = List.copyOf(voters);
        learners = List.copyOf(learners);
        removed = Set.copyOf(removed);
        Set<String> ids = new HashSet<>();
        for (Peer p : voters) {
            if (!ids.add(p.id())) {
                throw new IllegalArgumentException("duplicate member id " + p.id());
            }
        }
        for (Peer p : learners) {
            if (!ids.add(p.id())) {
                throw new IllegalArgumentException("member id " + p.id() + " is listed twice (a voter or learner already)");
            }
        }
        for (String id : ids) {
            if (removed.contains(id)) {
                throw new IllegalArgumentException("member id " + id + " was removed and cannot be a member again");
            }
        }
        if (desiredSize < 0 || desiredSize > MAX_MEMBERS) {
            throw new IllegalArgumentException("desired size " + desiredSize + " is out of range");
        }
    }

    public Membership(List<Peer> voters, List<Peer> learners, Set<String> removed) {
        this(voters, learners, removed, 0);
    }

    public Membership(List<Peer> voters) {
        this(voters, List.of(), Set.of());
    }

    /** The same members, working toward {@code size} voters. */
    public Membership withDesiredSize(int size) {
        return new Membership(voters, learners, removed, size);
    }

    public boolean isVoter(String id) {
        return voters.stream().anyMatch(p -> p.id().equals(id));
    }

    public boolean isLearner(String id) {
        return learners.stream().anyMatch(p -> p.id().equals(id));
    }

    public boolean isMember(String id) {
        return isVoter(id) || isLearner(id);
    }

    public boolean isRemoved(String id) {
        return removed.contains(id);
    }

    /** A voter or learner. */
    public Optional<Peer> peer(String id) {
        return members().filter(p -> p.id().equals(id)).findFirst();
    }

    /** Voter ids, in order. */
    public List<String> ids() {
        return voters.stream().map(Peer::id).toList();
    }

    public List<String> learnerIds() {
        return learners.stream().map(Peer::id).toList();
    }

    /** Voters, then learners: everyone the leader replicates to. */
    public List<String> memberIds() {
        return members().map(Peer::id).toList();
    }

    private Stream<Peer> members() {
        return Stream.concat(voters.stream(), learners.stream());
    }

    /** The majority rule over these voters. */
    public Quorum quorum() {
        return new Quorum(ids());
    }

    // ---------------------------------------------------------------- the single-step changes

    /** Adds {@code p} as a learner. */
    public Membership withLearner(Peer p) {
        List<Peer> l = new ArrayList<>(learners);
        l.add(p);
        return new Membership(voters, l, removed, desiredSize);
    }

    /** Makes learner {@code id} a voter. */
    public Membership promote(String id) {
        Peer p = learners.stream().filter(x -> x.id().equals(id)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(id + " is not a learner"));
        List<Peer> v = new ArrayList<>(voters);
        v.add(p);
        return new Membership(v, learners.stream().filter(x -> !x.id().equals(id)).toList(), removed, desiredSize);
    }

    /** Takes member {@code id} out for good: its id joins {@link #removed}. */
    public Membership without(String id) {
        if (!isMember(id)) {
            throw new IllegalArgumentException(id + " is not a member");
        }
        Set<String> r = new HashSet<>(removed);
        r.add(id);
        return new Membership(voters.stream().filter(p -> !p.id().equals(id)).toList(),
                learners.stream().filter(p -> !p.id().equals(id)).toList(), r, desiredSize);
    }

    /**
     * Why {@code next} may not follow this membership in one step, or null when it may: at most one
     * voter added or taken away, so any majority of the old voters and any majority of the new ones
     * share a member (dissertation §4.1), at least one voter left, and no removed id ever back.
     */
    public String whyNotNext(Membership next) {
        Set<String> before = new HashSet<>(ids());
        Set<String> after = new HashSet<>(next.ids());
        Set<String> changed = new HashSet<>(before);
        changed.addAll(after);
        Set<String> both = new HashSet<>(before);
        both.retainAll(after);
        changed.removeAll(both);
        if (changed.size() > 1) {
            return "a membership change may add or remove at most one voter (this one changes " + new TreeSet<>(changed) + ")";
        }
        if (next.voters.isEmpty()) {
            return "the last voter cannot be removed";
        }
        if (!next.removed.containsAll(removed)) {
            return "a removed member id cannot come back";
        }
        return null;
    }

    // ---------------------------------------------------------------- encoding

    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(FORMAT_2);
            writePeers(out, voters);
            writePeers(out, learners);
            out.writeInt(removed.size());
            for (String id : new TreeSet<>(removed)) {
                out.writeUTF(id);
            }
            out.writeInt(desiredSize);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void writePeers(DataOutputStream out, Collection<Peer> peers) throws IOException {
        out.writeInt(peers.size());
        for (Peer p : peers) {
            out.writeUTF(p.id());
            out.writeUTF(p.address());
        }
    }

    public static Membership decode(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            int first = in.readInt();
            if (first != FORMAT_2) {
                return new Membership(readPeers(in, first)); // the voters-only encoding
            }
            List<Peer> voters = readPeers(in, in.readInt());
            List<Peer> learners = readPeers(in, in.readInt());
            int n = in.readInt();
            if (n < 0 || n > MAX_REMOVED) {
                throw new IllegalArgumentException("corrupt membership: " + n + " removed ids");
            }
            Set<String> removed = new HashSet<>();
            for (int i = 0; i < n; i++) {
                removed.add(in.readUTF());
            }
            int desiredSize = in.readInt();
            if (in.available() > 0) {
                throw new IllegalArgumentException("corrupt membership: " + in.available() + " bytes after the end");
            }
            return new Membership(voters, learners, removed, desiredSize);
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt membership entry", e);
        }
    }

    private static List<Peer> readPeers(DataInputStream in, int n) throws IOException {
        if (n < 0 || n > MAX_MEMBERS) {
            throw new IllegalArgumentException("corrupt membership: " + n + " members");
        }
        List<Peer> peers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            peers.add(new Peer(in.readUTF(), in.readUTF()));
        }
        return peers;
    }
}
