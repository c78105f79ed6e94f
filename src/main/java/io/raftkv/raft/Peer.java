package io.raftkv.raft;

import java.util.Objects;

/**
 * A cluster member: its member id and the address peers use to reach it. The core only uses the id; the
 * address rides along in the log so that the membership stored there is the one that wins.
 */
public record Peer(String id, String address) {
    public Peer {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("peer id must not be blank");
        }
        address = address == null ? "" : address;
    }

    /** Separates a node's name from the suffix that makes a later member id of the same name unique. */
    public static final char INCARNATION_MARK = '~';

    /** The node name a member id belongs to: {@code raftkv-2} for {@code raftkv-2~3fa9c1} and for {@code raftkv-2}. */
    public static String nameOf(String memberId) {
        int mark = memberId.indexOf(INCARNATION_MARK);
        return mark < 0 ? memberId : memberId.substring(0, mark);
    }

    public String name() {
        return nameOf(id);
    }
}
