package io.raftkv.peer;

import io.raftkv.RaftKvApplication;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** A node with peers says once, at start, when anyone who reaches its peer port can speak Raft to it. */
@ExtendWith(OutputCaptureExtension.class)
class InsecurePeersWarningTest {
    private static final String WARNING = "takes Raft messages from anyone who can reach it";

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void startAndStop(Path dir, String... extra) {
        int peerPort = freePort();
        String[] args = new String[extra.length + 4];
        args[0] = "--raftkv.data-dir=" + dir;
        args[1] = "--server.port=0";
        args[2] = "--raftkv.peer-port=" + peerPort;
        args[3] = "--raftkv.cluster=n1=http://127.0.0.1:" + peerPort + ",n2=http://127.0.0.1:1,n3=http://127.0.0.1:2";
        System.arraycopy(extra, 0, args, 4, extra.length);
        try (ConfigurableApplicationContext ignored = new SpringApplication(RaftKvApplication.class).run(args)) {
            // started: the warning, if any, is logged by now
        }
    }

    @Test
    void withoutASecretOrTlsTheNodeWarnsOnceNamingTheFix(@TempDir Path dir, CapturedOutput output) {
        startAndStop(dir);
        assertThat(output.getAll().split(WARNING, -1)).as("exactly one warning").hasSize(2);
        assertThat(output.getAll()).contains("WARN").contains("raftkv.peer-secret").contains("raftkv.peer.ssl.bundle");
    }

    @Test
    void withASecretItDoesNot(@TempDir Path dir, CapturedOutput output) {
        startAndStop(dir, "--raftkv.peer-secret=s");
        // Another test's context in this JVM may have left the root logger at WARN, so the proof that
        // this node's start-up was captured is a warning it always logs with authentication off.
        assertThat(output.getAll()).contains("client authentication is off").doesNotContain(WARNING);
    }
}
