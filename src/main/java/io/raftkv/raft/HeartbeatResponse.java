package io.raftkv.raft;

public record HeartbeatResponse(String from, String to, long term, long readRound) implements Message {
}
