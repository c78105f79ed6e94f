package io.raftkv.raft;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The voters of the cluster, held in the log (as {@link EntryType#MEMBERSHIP} entries) and in snapshots. */
public record Membership(List<Peer> voters) {

    public Membership {
        voters = List.copyOf(voters);
        Set<String> ids = new HashSet<>();
        for (Peer p : voters) {
            if (!ids.add(p.id())) {
                throw new IllegalArgumentException("duplicate member id " + p.id());
            }
        }
    }

    public boolean isVoter(String id) {
        return voters.stream().anyMatch(p -> p.id().equals(id));
    }

    public Optional<Peer> peer(String id) {
        return voters.stream().filter(p -> p.id().equals(id)).findFirst();
    }

    public List<String> ids() {
        return voters.stream().map(Peer::id).toList();
    }

    /** The majority rule over these voters. */
    public Quorum quorum() {
        return new Quorum(ids());
    }

    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeInt(voters.size());
            for (Peer p : voters) {
                out.writeUTF(p.id());
                out.writeUTF(p.address());
            }
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Membership decode(byte[] data) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
            int n = in.readInt();
            if (n < 0 || n > 1024) {
                throw new IllegalArgumentException("corrupt membership: " + n + " voters");
            }
            List<Peer> peers = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                peers.add(new Peer(in.readUTF(), in.readUTF()));
            }
            return new Membership(peers);
        } catch (IOException e) {
            throw new IllegalArgumentException("corrupt membership entry", e);
        }
    }
}
