package io.raftkv.config;

import io.raftkv.RaftKvApplication;
import io.raftkv.raft.Peer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.SpringApplication;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class RaftKvPropertiesTest {

    /** Binds {@code raftkv.*} from {@code env} as if it were the process environment (as the Helm chart sets it). */
    static RaftKvProperties bindEnv(Map<String, Object> env) {
        return EnvironmentBinding.bind("raftkv", RaftKvProperties.class, env);
    }

    @Test
    void environmentVariablesConfigureTheNodeAsTheHelmChartSetsThem() {
        RaftKvProperties p = bindEnv(Map.of(
                "RAFTKV_NODE_ID", "raftkv-1",
                "RAFTKV_CLUSTER", "raftkv-0=http://raftkv-0.h:7080,raftkv-1=http://raftkv-1.h:7080,raftkv-2=http://raftkv-2.h:7080",
                "RAFTKV_PEER_PORT", "7081",
                "RAFTKV_ADVERTISE_URL", "http://raftkv-1.h:8080",
                "RAFTKV_DATA_DIR", "/data",
                "RAFTKV_PEER_SECRET", "s3cret",
                "RAFTKV_TIMING_ELECTION_TIMEOUT", "300ms",
                "RAFTKV_LIMITS_MAXVALUESIZE", "2MB"));
        assertThat(p.nodeId()).isEqualTo("raftkv-1");
        assertThat(p.peerPort()).isEqualTo(7081);
        assertThat(p.advertiseUrl()).isEqualTo("http://raftkv-1.h:8080");
        assertThat(p.dataDir()).isEqualTo("/data");
        assertThat(p.peerSecret()).isEqualTo("s3cret");
        assertThat(p.timing().electionTimeout()).isEqualTo(Duration.ofMillis(300));
        assertThat(p.timing().electionTicks()).isEqualTo(30);
        assertThat(p.limits().maxValueSize().toBytes()).isEqualTo(2L << 20);
        assertThat(ClusterSpec.parse(p.cluster(), p.nodeId(), p.peerPort()).voters()).extracting(Peer::id)
                .containsExactly("raftkv-0", "raftkv-1", "raftkv-2");
    }

    @Test
    void peerTlsTheClusterTokenAndThePeerBodyLimitBindFromTheEnvironment() {
        RaftKvProperties p = bindEnv(Map.of(
                "RAFTKV_PEER_SECRET", "s3cret",
                "RAFTKV_PEER_PORT", "7081",
                "RAFTKV_PEER_SSL_BUNDLE", "peer",
                "RAFTKV_CLUSTER_TOKEN", "prod-1",
                "RAFTKV_PEER_MAXBODYSIZE", "32MB"));
        assertThat(p.peerSecret()).isEqualTo("s3cret");
        assertThat(p.peerPort()).isEqualTo(7081);
        assertThat(p.peer().ssl().bundle()).isEqualTo("peer");
        assertThat(p.peer().ssl().enabled()).isTrue();
        assertThat(p.clusterToken()).isEqualTo("prod-1");
        assertThat(p.peerMaxBodyBytes()).isEqualTo(32L << 20);
    }

    @Test
    void defaultsGiveTheDocumentedTimeoutsAndLimits() {
        RaftKvProperties p = bindEnv(Map.of());
        assertThat(p.nodeId()).isEqualTo("n1");
        assertThat(p.timing().electionTicks()).isEqualTo(50);
        assertThat(p.timing().heartbeatTicks()).isEqualTo(5);
        assertThat(p.limits().maxKeySize().toBytes()).isEqualTo(1024);
        assertThat(p.limits().maxValueSize().toBytes()).isEqualTo(1L << 20);
        assertThat(p.requests().leaderWait()).isEqualTo(Duration.ofSeconds(2));
        assertThat(ClusterSpec.parse(p.cluster(), p.nodeId(), p.peerPort()).ids()).containsExactly("n1");
        assertThat(p.peer().ssl().enabled()).isFalse();
        assertThat(p.clusterToken()).isEmpty();
        // Room for the largest batch a peer sends: 8 MiB, or one AppendEntries with a maximal value.
        assertThat(p.peerMaxBodyBytes()).isBetween(8L << 20, 9L << 20);
        assertThat(bindEnv(Map.of("RAFTKV_LIMITS_MAXVALUESIZE", "64MB")).peerMaxBodyBytes()).isBetween(64L << 20, 65L << 20);
        // Client worker threads: one per processor and one more, never fewer than 3, unless set.
        assertThat(p.client().threads(1)).isEqualTo(3);
        assertThat(p.client().threads(2)).isEqualTo(3);
        assertThat(p.client().threads(16)).isEqualTo(17);
        assertThat(bindEnv(Map.of("RAFTKV_CLIENT_MAXTHREADS", "3")).client().threads(16)).isEqualTo(3);
    }

    private static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String startupFailure(Path dir, String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "--raftkv.data-dir=" + dir;
        all[1] = "--server.port=0";
        all[2] = "--raftkv.peer-port=" + freePort();
        System.arraycopy(args, 0, all, 3, args.length);
        Throwable t = catchThrowable(() -> new SpringApplication(RaftKvApplication.class).run(all).close());
        assertThat(t).as("start-up must fail").isNotNull();
        StringBuilder messages = new StringBuilder();
        for (Throwable c = t; c != null; c = c.getCause()) {
            messages.append(c.getMessage()).append('\n');
        }
        return messages.toString();
    }

    @Test
    void invalidConfigurationStopsStartUpNamingTheProperty(@TempDir Path dir) {
        assertThat(startupFailure(dir, "--raftkv.cluster=n1=http://a:1,garbage")).contains("raftkv.cluster");
        assertThat(startupFailure(dir, "--raftkv.cluster=a=http://a:1,b=http://b:1")).contains("raftkv.cluster").contains("raftkv.node-id");
        assertThat(startupFailure(dir, "--raftkv.node-id=has space")).contains("raftkv.node-id");
        assertThat(startupFailure(dir, "--raftkv.advertise-url=not a url")).contains("raftkv.advertise-url");
        assertThat(startupFailure(dir, "--raftkv.timing.election-timeout=60ms")).contains("raftkv.timing.election-timeout");
        assertThat(startupFailure(dir, "--raftkv.limits.max-value-size=1GB")).contains("raftkv.limits.max-value-size");
        assertThat(startupFailure(dir, "--raftkv.snapshot.entries=0")).contains("raftkv.snapshot.entries");
        assertThat(startupFailure(dir, "--raftkv.client.max-threads=1")).contains("raftkv.client.max-threads");
        assertThat(startupFailure(dir, "--raftkv.peer.max-body-size=1MB")).contains("raftkv.peer.max-body-size")
                .contains("raftkv.limits.max-value-size");
        assertThat(startupFailure(dir, "--raftkv.peer.ssl.bundle=nope")).contains("raftkv.peer.ssl.bundle").contains("nope");
        assertThat(startupFailure(dir, "--raftkv.peer.ssl.bundle=peer", "--raftkv.cluster=n1=http://a:1,n2=https://b:1"))
                .contains("raftkv.cluster").contains("n1").contains("https://");
        assertThat(startupFailure(dir, "--raftkv.cluster=n1=http://a:1,n2=https://b:1"))
                .contains("raftkv.cluster").contains("n2").contains("raftkv.peer.ssl.bundle");
        assertThat(startupFailure(dir, "--raftkv.restore-from=a.backup", "--raftkv.force-new-cluster=true"))
                .contains("raftkv.restore-from and raftkv.force-new-cluster exclude each other");
    }

    @Test
    void aMissingBackupOrNoDataToForceStopsStartUp(@TempDir Path dir) {
        assertThat(startupFailure(dir.resolve("a"), "--raftkv.restore-from=" + dir.resolve("missing.backup")))
                .contains("cannot read the backup file").contains("missing.backup");
        assertThat(startupFailure(dir.resolve("b"), "--raftkv.force-new-cluster=true")).contains("holds no data");
    }
}
