package io.raftkv.node;

import java.io.IOException;
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
    static final String MARKER = "unconfirmed";

    /** What another member said about this node. */
    public record Answer(boolean heardFromYou) {
        private static final Pattern HEARD = Pattern.compile("\"heardFromYou\"\\s*:\\s*(true|false)");

        /** Reads the {@code heardFromYou} field of a {@code /raft/info} answer; empty if it has none. */
        static Optional<Answer> parse(String json) {
            Matcher m = HEARD.matcher(json);
            return m.find() ? Optional.of(new Answer(Boolean.parseBoolean(m.group(1)))) : Optional.empty();
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

    static Verdict decide(Collection<String> others, Map<String, Answer> answers) {
        if (answers.values().stream().anyMatch(Answer::heardFromYou)) {
            return Verdict.REPLACED;
        }
        return answers.keySet().containsAll(others) ? Verdict.CONFIRMED : Verdict.WAIT;
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
