package io.raftkv.node;

/**
 * One member as the leader sees it, for {@code GET /cluster/members} and the autopilot.
 *
 * @param matchIndex     the last entry the leader knows it holds
 * @param lag            the leader's last index minus {@code matchIndex}
 * @param recentlyActive whether the leader heard from it within the last one to two election timeouts
 */
public record MemberView(String id, String name, String peerUrl, boolean voter, long matchIndex, long lag,
                         boolean recentlyActive) {
}
