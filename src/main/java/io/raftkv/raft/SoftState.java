package io.raftkv.raft;

/** Volatile state the driver wants to know about when it changes: who leads, in which role we are, and the term. */
public record SoftState(Role role, String leader, long term) {
}
