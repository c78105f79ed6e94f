package io.raftkv.raft;

import java.util.Locale;

public enum Role {
    FOLLOWER,
    /** Asking for pre-votes (dissertation §9.6) before daring to raise its term. */
    PRE_CANDIDATE,
    CANDIDATE,
    LEADER;

    /**
     * The one spelling of a role that people and clients see ({@code /cluster}, health, logs,
     * openapi.yaml): lower case with a hyphen, e.g. {@code pre-candidate}.
     */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Logs print a role as clients see it, so one word finds it in both. */
    @Override
    public String toString() {
        return label();
    }
}
