package io.raftkv.node;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The rules a new data directory follows before it takes part under its name. */
class IdentityCheckTest {
    private static final IdentityCheck.Answer NEVER = new IdentityCheck.Answer(false, "0123456789abcdef");
    private static final IdentityCheck.Answer HEARD = new IdentityCheck.Answer(true, "0123456789abcdef");

    @Test
    void onlyEveryOtherMemberSayingNeverConfirmsAnyOneThatHeardMeansReplaced() {
        List<String> others = List.of("n1", "n2", "n4", "n5");
        assertThat(IdentityCheck.decide(others, Map.of("n1", NEVER, "n2", NEVER, "n4", NEVER, "n5", NEVER)))
                .isEqualTo(IdentityCheck.Verdict.CONFIRMED);
        // A majority saying "never" is not enough: the one that does not answer may be the old leader
        // that counted this member's acknowledgements, while followers never hear from each other.
        assertThat(IdentityCheck.decide(others, Map.of("n1", NEVER, "n2", NEVER, "n4", NEVER)))
                .isEqualTo(IdentityCheck.Verdict.WAIT);
        assertThat(IdentityCheck.decide(others, Map.of("n5", HEARD))).isEqualTo(IdentityCheck.Verdict.REPLACED);
    }

    @Test
    void anAnswerIsReadFromRaftInfoAndAnythingElseIsNoAnswer() {
        assertThat(IdentityCheck.Answer.parse("{\"id\":\"n1\",\"clusterId\":\"0123456789abcdef\",\"term\":3,\"heardFromYou\":true}"))
                .contains(HEARD);
        assertThat(IdentityCheck.Answer.parse("{\"id\":\"n1\",\"term\":3}")).isEmpty();
        assertThat(IdentityCheck.Answer.parse("{\"clusterId\":\"not-hex\",\"heardFromYou\":false}")).isEmpty();
    }

    @Test
    void aMemberIdFileMustBeOfThisNodesName(@TempDir Path dir) throws Exception {
        assertThat(IdentityCheck.memberId(dir, "n3")).as("a directory of the bootstrap").isEqualTo("n3");
        String id = IdentityCheck.newMemberId("n3");
        assertThat(id).matches("n3~[0-9a-f]{6}");
        IdentityCheck.storeMemberId(dir, id);
        assertThat(IdentityCheck.memberId(dir, "n3")).isEqualTo(id);
        assertThatThrownBy(() -> IdentityCheck.memberId(dir, "n4")).hasMessageContaining("another node's directory");
    }

    @Test
    void aReplacedDirectoryIsOnlyOneThatNeverTookPart(@TempDir Path dir) throws Exception {
        IdentityCheck.markReplaced(dir);
        assertThat(IdentityCheck.replaced(dir)).as("without the new-directory marker it took part: never wiped").isFalse();
        IdentityCheck.mark(dir);
        assertThat(IdentityCheck.replaced(dir)).isTrue();
        IdentityCheck.wipeReplaced(dir);
        assertThat(dir.toFile().list()).isEmpty();
    }

    /**
     * A new directory stops waiting for members that do not run (a new cluster whose nodes all start at
     * once opens no peer port before it is up), but keeps waiting for one that listens and is slow.
     */
    @Test
    void aProbeTellsAMemberThatIsNotRunningFromOneThatDoesNotAnswer() throws Exception {
        PeerClient client = new PeerClient(null);
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        IdentityCheck.Reply refused = IdentityCheck.probe(client, "http://127.0.0.1:" + closedPort, "n1", "http://c", "", null);
        assertThat(refused.answer()).isEmpty();
        assertThat(refused.listening()).as("nothing listens on a closed port").isFalse();

        IdentityCheck.Reply unresolved = IdentityCheck.probe(client, "http://raftkv-9.no-such-name.invalid:7080", "n1", "http://c", "", null);
        assertThat(unresolved.listening()).as("a name that does not resolve: no node runs there").isFalse();

        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/raft/info", ex -> {
            byte[] body = (ex.getRequestHeaders().getFirst(PeerDirectory.NODE_HEADER).equals("n1")
                    ? "{\"clusterId\":\"0123456789abcdef\",\"heardFromYou\":true}" : "{}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            IdentityCheck.Reply answered = IdentityCheck.probe(client, url, "n1", "http://c", "", null);
            assertThat(answered.answer()).contains(HEARD);
            assertThat(answered.listening()).isTrue();
            IdentityCheck.Reply noAnswer = IdentityCheck.probe(client, url, "n2", "http://c", "", null);
            assertThat(noAnswer.answer()).as("a body without the fields is no answer").isEmpty();
            assertThat(noAnswer.listening()).as("but a node runs there: worth waiting for").isTrue();
        } finally {
            server.stop(0);
        }
    }
}
