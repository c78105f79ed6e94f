package io.raftkv.node;

import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where to reach each member: its peer URL comes from the membership in the log; its client URL
 * (for redirects and {@code GET /cluster}) is learned from the {@code X-Raftkv-Client-Url} header
 * every peer request carries, and from {@code GET /raft/info}.
 */
public final class PeerDirectory {
    public static final String NODE_HEADER = "X-Raftkv-Node";
    public static final String CLUSTER_HEADER = "X-Raftkv-Cluster";
    public static final String CLIENT_URL_HEADER = "X-Raftkv-Client-Url";

    private final String selfId;
    private final String selfClientUrl;
    private volatile Membership membership;
    /** The members named in {@code raftkv.cluster}, by name: where to reach one the log has not told us of yet. */
    private final Membership configured;
    private final Map<String, String> clientUrls = new ConcurrentHashMap<>();

    public PeerDirectory(String selfId, String selfClientUrl, Membership membership) {
        this(selfId, selfClientUrl, membership, new Membership(List.of()));
    }

    public PeerDirectory(String selfId, String selfClientUrl, Membership membership, Membership configured) {
        this.selfId = selfId;
        this.selfClientUrl = selfClientUrl;
        this.membership = membership;
        this.configured = configured;
        clientUrls.put(selfId, selfClientUrl);
    }

    public String selfId() {
        return selfId;
    }

    public String selfClientUrl() {
        return selfClientUrl;
    }

    public Membership membership() {
        return membership;
    }

    void updateMembership(Membership m) {
        membership = m;
    }

    /**
     * Where member {@code id} is reached: from the membership in the log, else (a node that joins, or
     * lags behind a change) from {@code raftkv.cluster} by its name. Empty for anyone else, so no
     * queue or thread is ever made for an id a forged message named.
     */
    public Optional<String> peerUrl(String id) {
        return membership.peer(id).or(() -> membership.isRemoved(id) ? Optional.empty() : configured.peer(Peer.nameOf(id)))
                .map(Peer::address);
    }

    public Optional<String> clientUrl(String id) {
        return id == null ? Optional.empty() : Optional.ofNullable(clientUrls.get(id));
    }

    /**
     * Records what a peer said about itself; only members are remembered, and our own URL is never
     * overwritten. Callers pass only an authenticated sender (the peer server checked its cluster,
     * membership, secret and certificate) or the peer they called, so no one can poison another
     * member's redirect target.
     */
    public void learned(String id, String clientUrl) {
        if (id != null && clientUrl != null && !id.equals(selfId) && membership.isMember(id)
                && clientUrl.matches("https?://[^\\s/]+/?")) {
            clientUrls.put(id, clientUrl.replaceAll("/+$", ""));
        }
    }
}
