package io.raftkv.node;

import io.raftkv.raft.Membership;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Collectors;

/**
 * The cluster's identity, like etcd's cluster ID: a hash of the bootstrap membership and an optional
 * token, made once and kept in the data directory. Every peer request carries it, so a node never
 * takes a message from another cluster (say, a second test cluster that reuses the same host names).
 */
public final class ClusterId {
    static final String FILE = "cluster-id";

    private ClusterId() {
    }

    /**
     * Sorted so the order of {@code raftkv.cluster} does not matter; the token tells apart clusters
     * with the same members. The URL's scheme is left out: turning peer TLS on changes every peer
     * URL to https, and a node that bootstraps afresh after that must still be of the same cluster.
     */
    public static String derive(Membership bootstrap, String token) {
        String members = bootstrap.voters().stream().map(p -> p.id() + "=" + p.address().replaceFirst("^https?://", "")).sorted()
                .collect(Collectors.joining(","));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256")
                    .digest((members + "\n" + (token == null ? "" : token)).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The ID stored in {@code dataDir}; if there is none (a new directory, or one made before cluster
     * IDs existed) it is derived from {@code membership} and stored.
     */
    public static String loadOrCreate(Path dataDir, Membership membership, String token) throws IOException {
        Path file = dataDir.resolve(FILE);
        if (Files.exists(file)) {
            String id = Files.readString(file, StandardCharsets.US_ASCII).trim();
            if (!id.matches("[0-9a-f]{16}")) {
                throw new IOException(file + " does not hold a cluster ID (got '" + id + "')");
            }
            return id;
        }
        String id = derive(membership, token);
        write(dataDir, file, id);
        return id;
    }

    /** Stores the ID of a cluster this new directory joins (learned from its members). */
    static void store(Path dataDir, String id) throws IOException {
        if (!id.matches("[0-9a-f]{16}")) {
            throw new IllegalArgumentException("not a cluster ID: '" + id + "'");
        }
        write(dataDir, dataDir.resolve(FILE), id);
    }

    private static void write(Path dir, Path file, String id) throws IOException {
        DataDirFiles.writeAtomically(dir, file.getFileName().toString(), id);
    }
}
