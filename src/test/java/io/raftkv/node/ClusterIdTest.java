package io.raftkv.node;

import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ClusterIdTest {
    private static final Membership ABC = new Membership(List.of(new Peer("a", "http://a:1"), new Peer("b", "http://b:1"),
            new Peer("c", "http://c:1")));
    private static final Membership CBA = new Membership(List.of(new Peer("c", "http://c:1"), new Peer("b", "http://b:1"),
            new Peer("a", "http://a:1")));

    @Test
    void theIdDependsOnTheMembersAndTokenButNotTheirOrder() {
        assertThat(ClusterId.derive(ABC, "")).isEqualTo(ClusterId.derive(CBA, "")).matches("[0-9a-f]{16}");
        assertThat(ClusterId.derive(ABC, "t")).isNotEqualTo(ClusterId.derive(ABC, ""));
        Membership tls = new Membership(List.of(new Peer("a", "https://a:1"), new Peer("b", "https://b:1"), new Peer("c", "https://c:1")));
        assertThat(ClusterId.derive(tls, "")).as("turning peer TLS on keeps the cluster").isEqualTo(ClusterId.derive(ABC, ""));
        assertThat(ClusterId.derive(ABC, "")).isNotEqualTo(ClusterId.derive(
                new Membership(List.of(new Peer("a", "http://a:1"), new Peer("b", "http://b:1"), new Peer("c", "http://c:2"))), ""));
    }

    @Test
    void theIdIsMadeOnceAndThenReadBackWhateverTheMembershipSays(@TempDir Path dir) throws Exception {
        String made = ClusterId.loadOrCreate(dir, ABC, "t");
        assertThat(made).isEqualTo(ClusterId.derive(ABC, "t"));
        assertThat(Files.readString(dir.resolve("cluster-id")).trim()).isEqualTo(made);
        assertThat(dir.resolve("cluster-id.tmp")).doesNotExist();
        // Later starts read it back, even with another token or list: the stored ID is the cluster's.
        assertThat(ClusterId.loadOrCreate(dir, CBA, "other")).isEqualTo(made);
    }

    @Test
    void aDamagedIdStopsTheNodeInsteadOfForkingTheCluster(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("cluster-id"), "zz\n");
        assertThatThrownBy(() -> ClusterId.loadOrCreate(dir, ABC, "")).hasMessageContaining("cluster ID");
    }
}
