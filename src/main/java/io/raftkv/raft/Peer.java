package io.raftkv.raft;

import java.util.Objects;

/**
 * A cluster member: its id and the address peers use to reach it. The core only uses the id; the
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
}
