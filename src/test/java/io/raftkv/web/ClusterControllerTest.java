package io.raftkv.web;

import io.raftkv.node.MemberView;
import io.raftkv.node.NodeStatus;
import io.raftkv.node.PeerDirectory;
import io.raftkv.node.StatusBoard;
import io.raftkv.raft.Membership;
import io.raftkv.raft.Peer;
import io.raftkv.raft.Role;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /cluster} from a status set by hand: who is shown in which role, with which URLs. */
class ClusterControllerTest {
    private static final Membership THREE = new Membership(List.of(new Peer("n1", "http://p1:7080"),
            new Peer("n2", "http://p2:7080"), new Peer("n3", "http://p3:7080")));

    private static NodeStatus status(Role role, String leader) {
        return new NodeStatus("n1", role, 7, leader, leader != null, 12, 11, 13, 1, 12, THREE, null);
    }

    @Test
    void aFollowerShowsTheLeaderAndItsUrlAndTheOthersAsFollowers() {
        PeerDirectory directory = new PeerDirectory("n1", "http://c1:8080", THREE);
        directory.learned("n2", "http://c2:8080");
        ClusterController.Cluster view = new ClusterController(new StatusBoard(status(Role.FOLLOWER, "n2")), directory).cluster();

        assertThat(view.role()).isEqualTo("follower");
        assertThat(view.leader()).isEqualTo("n2");
        assertThat(view.leaderUrl()).isEqualTo("http://c2:8080");
        assertThat(view.term()).isEqualTo(7);
        assertThat(view.commitIndex()).isEqualTo(12);
        assertThat(view.appliedIndex()).isEqualTo(11);
        assertThat(view.members()).extracting(ClusterController.Member::role).containsExactly("follower", "leader", "follower");
        assertThat(view.members()).extracting(ClusterController.Member::self).containsExactly(true, false, false);
        assertThat(view.members()).extracting(ClusterController.Member::clientUrl)
                .as("a member's client URL shows once learned").containsExactly("http://c1:8080", "http://c2:8080", null);
    }

    @Test
    void withoutALeaderOnlySelfHasAKnownRole() {
        PeerDirectory directory = new PeerDirectory("n1", "http://c1:8080", THREE);
        ClusterController.Cluster view = new ClusterController(new StatusBoard(status(Role.PRE_CANDIDATE, null)), directory).cluster();
        assertThat(view.role()).isEqualTo("pre-candidate");
        assertThat(view.leaderUrl()).isNull();
        assertThat(view.members()).extracting(ClusterController.Member::role).containsExactly("pre-candidate", "unknown", "unknown");
    }

    @Test
    void theLeaderShowsLearnersEachMembersProgressAndTheFailureTolerance() {
        Membership withLearner = THREE.withLearner(new Peer("n4~3fa9c1", "http://p4:7080"));
        PeerDirectory directory = new PeerDirectory("n1", "http://c1:8080", withLearner);
        NodeStatus leader = new NodeStatus("n1", Role.LEADER, 7, "n1", true, 12, 11, 13, 1, 12, withLearner, null);
        List<MemberView> progress = List.of(new MemberView("n1", "n1", "http://p1:7080", true, 13, 0, true),
                new MemberView("n2", "n2", "http://p2:7080", true, 13, 0, true),
                new MemberView("n3", "n3", "http://p3:7080", true, 5, 8, false),
                new MemberView("n4~3fa9c1", "n4", "http://p4:7080", false, 2, 11, true));
        ClusterController.Cluster view = new ClusterController(new StatusBoard(leader), directory, () -> progress).cluster();
        assertThat(view.members()).extracting(ClusterController.Member::id).containsExactly("n4~3fa9c1", "n1", "n2", "n3");
        assertThat(view.members()).extracting(ClusterController.Member::role).containsExactly("learner", "leader", "follower", "follower");
        assertThat(view.members()).extracting(ClusterController.Member::lag).containsExactly(11L, 0L, 0L, 8L);
        assertThat(view.failureTolerance()).as("two healthy voters of three: none may fail").isZero();
        assertThat(new ClusterController(new StatusBoard(status(Role.FOLLOWER, "n2")), directory, () -> progress).cluster()
                .failureTolerance()).as("a follower does not know").isNull();
    }

    @Test
    void everyRoleIsSpelledAsTheContractSpellsIt() throws Exception {
        List<String> labels = Arrays.stream(Role.values()).map(Role::label).toList();
        assertThat(labels).containsExactly("follower", "pre-candidate", "candidate", "leader");
        assertThat(OpenApiYamlTest.roleEnum("Cluster")).containsExactlyInAnyOrderElementsOf(labels);
        assertThat(OpenApiYamlTest.roleEnum("Member")).containsAll(labels).contains("unknown");
        assertThat(Role.PRE_CANDIDATE).as("logs say it the same way").hasToString("pre-candidate");
    }
}
