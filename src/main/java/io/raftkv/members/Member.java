package io.raftkv.members;

/**
 * One member as the leader sees it.
 *
 * @param id            the member id ({@code raftkv-2}, or {@code raftkv-2~3fa9c1} after a rejoin)
 * @param name          the part of the id before {@code ~}: the pod or node name
 * @param voter         a voter, or else a learner
 * @param matchIndex    the highest log index the leader knows it holds
 * @param lag           the leader's last index minus {@code matchIndex}
 * @param recentlyHeard the leader heard from it within an election timeout (the leader itself: true)
 */
public record Member(String id, String name, boolean voter, long matchIndex, long lag, boolean recentlyHeard) {
}
