package io.raftkv.kv;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static io.raftkv.kv.KvStateMachineTest.snapshot;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuthStateTest {

    static byte[] sha256(String s) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    }

    private static AuthCommand.PutRole role(String name, String prefix, Access access) {
        return new AuthCommand.PutRole(new Role(name, List.of(new Permission(prefix, access))));
    }

    @Test
    void tokensGetTheUnionOfTheirRolesAndOnlyByHash() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        assertThat(sm.apply(1, role("reader", "app/", Access.READ))).isEqualTo(new WriteResult.Written(1, true));
        sm.apply(2, new AuthCommand.PutRole(new Role("writer", List.of(new Permission("app/w/", Access.WRITE),
                new Permission("app/", Access.READ), new Permission("tmp/", Access.READWRITE)))));
        assertThat(sm.apply(3, new AuthCommand.PutToken("t", sha256("s3cret"), List.of("reader", "writer"))))
                .isEqualTo(new WriteResult.Written(3, true));

        TokenGrant g = sm.auth().grantForHash(sha256("s3cret")).orElseThrow();
        assertThat(g.tokenName()).isEqualTo("t");
        assertThat(g.readPrefixes()).containsExactly("app/", "tmp/");
        assertThat(g.writePrefixes()).containsExactly("app/w/", "tmp/");
        assertThat(g.canRead("app/x")).isTrue();
        assertThat(g.canWrite("app/x")).isFalse();
        assertThat(g.canWrite("app/w/1")).isTrue();
        assertThat(g.canRead("other/y")).isFalse();
        assertThat(sm.auth().grantForHash(sha256("wrong"))).isEmpty();
        assertThat(sm.appliedIndex()).isEqualTo(3);
    }

    @Test
    void unknownRolesAreRefusedAtApplyTimeAndChangeNothing() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        WriteResult r = sm.apply(1, new AuthCommand.PutToken("t", sha256("x"), List.of("nope")));
        assertThat(r).isInstanceOf(WriteResult.Refused.class);
        assertThat(((WriteResult.Refused) r).reason()).contains("no role 'nope'");
        assertThat(sm.auth().isEmpty()).isTrue();
        assertThat(sm.appliedIndex()).isEqualTo(1);
    }

    @Test
    void rotatingReplacesTheSecretAndDeletingRevokesIt() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        sm.apply(1, role("reader", "", Access.READ));
        sm.apply(2, new AuthCommand.PutToken("t", sha256("old"), List.of("reader")));
        assertThat(sm.apply(3, new AuthCommand.PutToken("t", sha256("new"), List.of()))).isEqualTo(new WriteResult.Written(3, false));
        assertThat(sm.auth().grantForHash(sha256("old"))).isEmpty();
        assertThat(sm.auth().grantForHash(sha256("new")).orElseThrow().readPrefixes()).isEmpty();
        assertThat(sm.apply(4, new AuthCommand.DeleteToken("t"))).isEqualTo(new WriteResult.Deleted(4));
        assertThat(sm.auth().grantForHash(sha256("new"))).isEmpty();
        assertThat(sm.apply(5, new AuthCommand.DeleteToken("t"))).isEqualTo(WriteResult.NOT_FOUND);
    }

    @Test
    void deletingARoleRevokesItFromTokensSoARecreatedRoleGrantsNothing() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        sm.apply(1, role("reader", "app/", Access.READ));
        sm.apply(2, new AuthCommand.PutToken("t", sha256("s"), List.of("reader")));
        sm.apply(3, new AuthCommand.DeleteRole("reader"));
        assertThat(sm.auth().token("t").orElseThrow().roles()).isEmpty();
        sm.apply(4, role("reader", "", Access.READWRITE));
        assertThat(sm.auth().grantForHash(sha256("s")).orElseThrow().canRead("app/x")).isFalse();
    }

    @Test
    void twoTokensCannotShareASecret() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        sm.apply(1, new AuthCommand.PutToken("a", sha256("same"), List.of()));
        assertThat(sm.apply(2, new AuthCommand.PutToken("b", sha256("same"), List.of()))).isInstanceOf(WriteResult.Refused.class);
        assertThat(sm.auth().token("b")).isEmpty();
    }

    /** Random auth and key-value commands on two machines, and through a snapshot: same state, same bytes. */
    @Test
    void applyIsDeterministicAndSnapshotsRoundTrip() throws Exception {
        Random rnd = new Random(42);
        List<Object> log = new ArrayList<>();
        String[] names = {"a", "b", "c", "d"};
        String[] prefixes = {"", "app/", "app/x", "other/", "ключ/"};
        for (int i = 0; i < 400; i++) {
            int kind = rnd.nextInt(6);
            String name = names[rnd.nextInt(names.length)];
            log.add(switch (kind) {
                case 0 -> role(name, prefixes[rnd.nextInt(prefixes.length)], Access.values()[rnd.nextInt(3)]);
                case 1 -> new AuthCommand.DeleteRole(name);
                case 2 -> new AuthCommand.PutToken(name, sha256("s" + rnd.nextInt(8)),
                        List.of(names[rnd.nextInt(names.length)], names[rnd.nextInt(names.length)]));
                case 3 -> new AuthCommand.DeleteToken(name);
                default -> Cmds.put(prefixes[rnd.nextInt(prefixes.length)] + "k" + rnd.nextInt(5), "v" + i);
            });
        }
        KvStateMachine one = new KvStateMachine();
        KvStateMachine two = new KvStateMachine();
        List<WriteResult> r1 = new ArrayList<>();
        List<WriteResult> r2 = new ArrayList<>();
        for (int i = 0; i < log.size(); i++) {
            Object c = log.get(i);
            byte[] entry = c instanceof AuthCommand a ? a.encode() : ((KvCommand) c).encode();
            // One applies decoded commands, the other the raw log entries, as the apply loop does.
            r1.add(c instanceof AuthCommand a ? one.apply(i + 1, a) : one.apply(i + 1, (KvCommand) c));
            r2.add(two.apply(i + 1, entry));
        }
        assertThat(r2).isEqualTo(r1);
        assertThat(two.auth()).isEqualTo(one.auth());
        assertThat(one.auth().isEmpty()).isFalse();
        byte[] image = snapshot(one);
        assertThat(snapshot(two)).isEqualTo(image);

        KvStateMachine copy = new KvStateMachine();
        copy.restore(new ByteArrayInputStream(image));
        assertThat(copy.auth()).isEqualTo(one.auth());
        assertThat(snapshot(copy)).isEqualTo(image);
        for (int s = 0; s < 8; s++) {
            assertThat(copy.auth().grantForHash(sha256("s" + s))).isEqualTo(one.auth().grantForHash(sha256("s" + s)));
        }
    }

    @Test
    void commandsSurviveEncodingAndCorruptOnesAreRefused() throws Exception {
        List<AuthCommand> cmds = List.of(role("r", "ключ/😀", Access.READWRITE), new AuthCommand.DeleteRole("r"),
                new AuthCommand.PutToken("t.1", sha256("x"), List.of("a", "b")), new AuthCommand.DeleteToken("t_2"));
        for (AuthCommand c : cmds) {
            byte[] b = c.encode();
            assertThat(AuthCommand.isAuthCommand(b)).isTrue();
            assertThat(AuthCommand.decode(b)).isEqualTo(c);
            for (int cut = 1; cut < b.length; cut++) {
                byte[] truncated = java.util.Arrays.copyOf(b, cut);
                assertThatThrownBy(() -> AuthCommand.decode(truncated)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("corrupt auth command");
            }
            byte[] longer = java.util.Arrays.copyOf(b, b.length + 1);
            assertThatThrownBy(() -> AuthCommand.decode(longer)).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(new AuthCommand.PutToken("t", sha256("x"), List.of()).toString()).doesNotContain("hash=");
    }

    /** A data directory from before auth: its log entries and its snapshot (written by the old code) still load. */
    @Test
    void readsVersion1SnapshotsAndLogEntries() throws Exception {
        KvStateMachine sm = new KvStateMachine(new IdempotencyPolicy(1_000, 10_000));
        try (InputStream in = getClass().getResourceAsStream("snapshot-v1.bin")) {
            byte[] v1 = in.readAllBytes();
            assertThat(v1[4]).isEqualTo((byte) 1);
            sm.restore(new ByteArrayInputStream(v1));
        }
        assertThat(sm.appliedIndex()).isEqualTo(5);
        assertThat(new String(sm.get("app/x").orElseThrow().value(), StandardCharsets.UTF_8)).isEqualTo("hello");
        assertThat(sm.get("app/x").orElseThrow().contentType()).isEqualTo("text/plain");
        assertThat(sm.get("other/y").orElseThrow().modRevision()).isEqualTo(4);
        assertThat(sm.idempotencyKeyCount()).isEqualTo(2);
        assertThat(sm.auth().isEmpty()).isTrue();
        // The remembered outcome replays: the old idempotency table came through.
        assertThat(sm.apply(6, new KvCommand.Put("app/x", Cmds.bytes("hello"), "text/plain", null, "w", 1_700_000_000_002L)))
                .isEqualTo(new WriteResult.Written(1, true));

        String hex;
        try (InputStream in = getClass().getResourceAsStream("command-v1.hex")) {
            hex = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
        }
        byte[] entry = HexFormat.of().parseHex(hex);
        assertThat(AuthCommand.isAuthCommand(entry)).isFalse();
        // The old entry decodes: a different request under the remembered key "w" is recognised as such.
        assertThat(KvCommand.decode(entry)).isEqualTo(new KvCommand.Put("app/x", Cmds.bytes("hello"), "text/plain",
                Precondition.revision(3), "w", 1_700_000_000_000L));
        assertThat(sm.apply(7, entry)).isEqualTo(WriteResult.IDEMPOTENCY_KEY_REUSED);
        // Without roles or tokens the state is still written as version 1, byte for byte what old nodes wrote.
        KvStateMachine same = new KvStateMachine(new IdempotencyPolicy(1_000, 10_000));
        byte[] v1;
        try (InputStream in = getClass().getResourceAsStream("snapshot-v1.bin")) {
            v1 = in.readAllBytes();
        }
        same.restore(new ByteArrayInputStream(v1));
        assertThat(snapshot(same)).isEqualTo(v1);
        // With them it is version 2, which reads back.
        sm.apply(8, role("reader", "app/", Access.READ));
        byte[] v2 = snapshot(sm);
        assertThat(v2[4]).isEqualTo((byte) 2);
        KvStateMachine copy = new KvStateMachine(new IdempotencyPolicy(1_000, 10_000));
        copy.restore(new ByteArrayInputStream(v2));
        assertThat(snapshot(copy)).isEqualTo(v2);
    }

    @Test
    void aSnapshotWithAuthThatIsCorruptIsRefusedAndTheOldStateKept() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        sm.apply(1, role("reader", "app/", Access.READ));
        sm.apply(2, new AuthCommand.PutToken("t", sha256("s"), List.of("reader")));
        byte[] image = snapshot(sm);
        for (int cut : new int[]{image.length - 5, image.length - 40, image.length - 60}) {
            byte[] truncated = java.util.Arrays.copyOf(image, cut);
            assertThatThrownBy(() -> sm.restore(new ByteArrayInputStream(truncated))).isInstanceOf(IOException.class);
        }
        byte[] flipped = image.clone();
        flipped[image.length - 10] ^= 1;
        assertThatThrownBy(() -> sm.restore(new ByteArrayInputStream(flipped))).isInstanceOf(IOException.class);
        assertThat(sm.auth().grantForHash(sha256("s"))).isPresent();
    }
}
