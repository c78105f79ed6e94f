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
            throw new IllegalArgumentException("raftkv.cluster does not contain this node's id '" + selfId + "' (raftkv.node-id)");
        }
        return new Membership(peers);
    }
}
