package io.raftkv.node;

import io.raftkv.raft.Peer;
import okhttp3.Request;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a node with a new data directory must prove before it takes part in Raft under its name.
 *
 * <p>A data directory made afresh for a name that already ran (its volume was lost or recreated) must
 * not act as that member: everything the member voted for or acknowledged before the loss may have
 * been counted toward a majority, and an empty node answering in its place can elect a leader without
 * an acknowledged write. So a new directory starts unconfirmed (a marker file): the node neither
 * ticks nor takes peer messages, and asks every other member ({@code GET /raft/info}) whether it has
 * ever heard from this member id (each keeps that list durably, see
 * {@link io.raftkv.raft.StableStore#contacts}). Only when every other member has answered "never" does
 * it join in: then nothing it said before (if anything) was ever counted. If any has heard from it,
 * it stays out for good.
 */
public final class IdentityCheck {
    private static final Logger log = LoggerFactory.getLogger(IdentityCheck.class);
    static final String MARKER = "unconfirmed";

    static final String REPLACED_MARKER = "replaced";

    /** What another member said about this node: whether it heard from it, and its cluster's ID. */
    public record Answer(boolean heardFromYou, String clusterId) {
        private static final Pattern HEARD = Pattern.compile("\"heardFromYou\"\\s*:\\s*(true|false)");
        private static final Pattern CLUSTER = Pattern.compile("\"clusterId\"\\s*:\\s*\"([0-9a-f]{16})\"");

        /** Reads a {@code /raft/info} answer; empty if it lacks either field. */
        static Optional<Answer> parse(String json) {
            Matcher heard = HEARD.matcher(json);
            Matcher cluster = CLUSTER.matcher(json);
            return heard.find() && cluster.find()
                    ? Optional.of(new Answer(Boolean.parseBoolean(heard.group(1)), cluster.group(1))) : Optional.empty();
        }
    }

    /**
     * Asks the node at {@code peerUrl} what it knows of {@code selfId}. Without {@code clusterId} (a
     * node that does not know its cluster yet) only {@code GET /raft/info} admits the request.
     */
    static Optional<Answer> ask(PeerClient client, String peerUrl, String selfId, String selfClientUrl, String secret,
                                String clusterId) {
        return probe(client, peerUrl, selfId, selfClientUrl, secret, clusterId).answer();
    }

    /**
     * What asking one member gave: its answer if any, and whether anything listened at its address
     * (false when the connection was refused or its name does not resolve: no node runs there now).
     */
    record Reply(Optional<Answer> answer, boolean listening) {
    }

    /** As {@link #ask}, also telling a member that is not running from one that did not answer. */
    static Reply probe(PeerClient client, String peerUrl, String selfId, String selfClientUrl, String secret,
                       String clusterId) {
        Request.Builder b = new Request.Builder().url(client.withScheme(peerUrl) + "/raft/info").get()
                .header(PeerDirectory.NODE_HEADER, selfId)
                .header(PeerDirectory.CLIENT_URL_HEADER, selfClientUrl);
        if (clusterId != null) {
            b.header(PeerDirectory.CLUSTER_HEADER, clusterId);
        }
        if (secret != null && !secret.isEmpty()) {
            b.header("Authorization", "Bearer " + secret);
        }
        try (Response resp = client.http().newCall(b.build()).execute()) {
            if (resp.code() != 200) {
                log.debug("{} answered /raft/info with HTTP {}", peerUrl, resp.code());
                return new Reply(Optional.empty(), true);
            }
            return new Reply(Answer.parse(resp.body().string()), true);
        } catch (ConnectException | UnknownHostException e) {
            log.debug("nothing listens at {}: {}", peerUrl, e.toString());
            return new Reply(Optional.empty(), false);
        } catch (IOException | IllegalArgumentException e) {
            log.debug("cannot ask {} about {}: {}", peerUrl, selfId, e.toString());
            return new Reply(Optional.empty(), true);
        }
    }

    public enum Verdict {
        /** Every other member answered and none heard from this id: it may take part. */
        CONFIRMED,
        /** Some member has not answered yet. */
        WAIT,
        /** Some member heard from this id before: this directory replaced a lost one. */
        REPLACED
    }

    private IdentityCheck() {
    }

    public static Verdict decide(Collection<String> others, Map<String, Answer> answers) {
        if (answers.values().stream().anyMatch(Answer::heardFromYou)) {
            return Verdict.REPLACED;
        }
        return answers.keySet().containsAll(others) ? Verdict.CONFIRMED : Verdict.WAIT;
    }

    /**
     * Marks an unconfirmed directory as one that lost to an earlier self: it never took part, so the
     * next start empties it and joins as a new member.
     */
    static void markReplaced(Path dataDir) throws IOException {
        Files.write(dataDir.resolve(REPLACED_MARKER), new byte[0]);
        DataDirFiles.syncDirectory(dataDir);
    }

    /** Whether {@code dataDir} is unconfirmed and was found to have replaced a lost one. */
    static boolean replaced(Path dataDir) {
        return pending(dataDir) && Files.exists(dataDir.resolve(REPLACED_MARKER));
    }

    static final String MEMBER_ID_FILE = "member-id";

    /** The member id this directory was made for: its own file, or the node's name for a directory of the bootstrap. */
    static String memberId(Path dataDir, String name) throws IOException {
        Path f = dataDir.resolve(MEMBER_ID_FILE);
        if (!Files.exists(f)) {
            return name;
        }
        String id = Files.readString(f).trim();
        if (!Peer.nameOf(id).equals(name)) {
            throw new IOException(f + " holds member id '" + id + "', which is not of this node's name '" + name
                    + "': is raftkv.data-dir another node's directory?");
        }
        return id;
    }

    /** A new member id for {@code name}: the name and a random suffix, never equal to an earlier one. */
    static String newMemberId(String name) {
        return name + Peer.INCARNATION_MARK + java.util.HexFormat.of().toHexDigits(new java.security.SecureRandom().nextInt()).substring(2);
    }

    static void storeMemberId(Path dataDir, String id) throws IOException {
        DataDirFiles.writeAtomically(dataDir, MEMBER_ID_FILE, id);
    }

    /**
     * Empties a directory that never took part (unconfirmed, and found replaced): it holds nothing
     * anyone counted on, so it starts over and joins as a new member.
     */
    static void wipeReplaced(Path dataDir) throws IOException {
        try (var files = Files.list(dataDir)) {
            for (Path f : files.toList()) {
                org.springframework.util.FileSystemUtils.deleteRecursively(f);
            }
        }
        DataDirFiles.syncDirectory(dataDir);
    }

    /** Whether {@code dataDir} is still unconfirmed. */
    static boolean pending(Path dataDir) {
        return Files.exists(dataDir.resolve(MARKER));
    }

    /** Marks a new directory, before anything else is written to it: a crash leaves it unconfirmed. */
    static void mark(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Files.write(dataDir.resolve(MARKER), new byte[0]);
        DataDirFiles.syncDirectory(dataDir);
    }

    static void clear(Path dataDir) throws IOException {
        Files.deleteIfExists(dataDir.resolve(MARKER));
        DataDirFiles.syncDirectory(dataDir);
    }
}
