package io.raftkv.config;

import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/** Parses {@code raftkv.cluster} ({@code id=peerURL,...}) into the bootstrap membership. */
public final class ClusterSpec {
    private ClusterSpec() {
    }

    public static Membership parse(String spec, String selfId, int peerPort) {
        return parse(spec, selfId, peerPort, null);
    }

    /**
     * @param selfPeerUrl where peers reach this node when {@code spec} does not name it (it then joins
     *                    the cluster of the members named); null or blank when it must be named
     */
    public static Membership parse(String spec, String selfId, int peerPort, String selfPeerUrl) {
        if (spec == null || spec.isBlank()) {
            return new Membership(List.of(new Peer(selfId, "http://localhost:" + peerPort)));
        }
        List<Peer> peers = new ArrayList<>();
        for (String part : spec.split(",")) {
            String item = part.trim();
            int eq = item.indexOf('=');
            if (eq <= 0 || eq == item.length() - 1) {
                throw new IllegalArgumentException("raftkv.cluster entries must look like id=http://host:port (got '" + item + "')");
            }
            String id = item.substring(0, eq).trim();
            String url = item.substring(eq + 1).trim();
            URI uri;
            try {
                uri = URI.create(url);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("raftkv.cluster: '" + url + "' for " + id + " is not a URL");
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null || uri.getPort() < 0) {
                throw new IllegalArgumentException("raftkv.cluster: the peer URL of " + id + " must be http(s)://host:port (got '" + url + "')");
            }
            if (peers.stream().anyMatch(p -> p.id().equals(id))) {
                throw new IllegalArgumentException("raftkv.cluster names " + id + " twice");
            }
            peers.add(new Peer(id, url.replaceAll("/+$", "")));
        }
        if (peers.stream().noneMatch(p -> p.id().equals(selfId))) {
            if (selfPeerUrl == null || selfPeerUrl.isBlank()) {
                throw new IllegalArgumentException("raftkv.cluster does not contain this node's id '" + selfId + "' (raftkv.node-id);"
                        + " to join a running cluster that list does not name, set raftkv.peer-advertise-url");
            }
            peers.add(new Peer(selfId, selfPeerUrl.replaceAll("/+$", "")));
        }
        return new Membership(peers);
    }
}
