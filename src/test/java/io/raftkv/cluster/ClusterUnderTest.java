package io.raftkv.cluster;

import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A running raftkv cluster that a test can use and hurt. Implemented by local processes
 * ({@link LocalProcessCluster}: crashes and pauses) and by containers (which add network faults).
 */
public interface ClusterUnderTest extends AutoCloseable {

    List<String> nodes();

    /** Where the test reaches a node's client API. */
    URI clientUrl(String node);

    /** SIGKILL: no shutdown hook runs, nothing unsynced survives. */
    void kill(String node);

    /** SIGTERM: a graceful stop, during which a leader hands over leadership. */
    void stop(String node);

    /** Starts a stopped or killed node again on its existing data. */
    void start(String node);

    /** SIGSTOP: the node freezes with its connections open. */
    void pause(String node);

    /** SIGCONT. */
    void resume(String node);

    /** Whether {@link #partition}, {@link #heal} and {@link #setPacketLoss} are available. */
    /**
     * kill -9 the node and delete its data directory, as a lost or recreated volume does; a later
     * {@link #start} brings it back empty under its old name.
     */
    default void loseDisk(String node) {
        throw new UnsupportedOperationException("this cluster cannot lose a node's disk");
    }

    /**
     * A scale-up, as a StatefulSet does it: a node with an empty data directory under the lowest free
     * name (a name {@link #removeNode} freed, else the next), started with the cluster's member list.
     * Returns its name.
     */
    default String addNode() {
        throw new UnsupportedOperationException("this cluster cannot add a node");
    }

    /**
     * A scale-down's end for one node, once the cluster has removed it: it is killed and its data
     * deleted (the pod and, with the chart's retention policy, its claim), and {@link #nodes()} no
     * longer lists it.
     */
    default void removeNode(String node) {
        throw new UnsupportedOperationException("this cluster cannot remove a node");
    }

    default boolean supportsNetworkFaults() {
        return false;
    }

    /** Cuts every link between the two groups, both ways. */
    default void partition(Collection<String> a, Collection<String> b) {
        throw new UnsupportedOperationException("this cluster cannot partition its network");
    }

    /** Removes every partition, packet loss and delay. */
    default void heal() {
        throw new UnsupportedOperationException("this cluster cannot partition its network");
    }

    /** Resets the TCP connection between peers on the given fraction of the segments that carry data; 0 stops it. */
    default void setConnectionResets(double probability) {
        throw new UnsupportedOperationException("this cluster cannot reset its connections");
    }

    /** Drops the given fraction of packets between peers, and delays them. */
    default void setPacketLoss(double fraction, Duration delay) {
        throw new UnsupportedOperationException("this cluster cannot shape its network");
    }

    /** The node that says it leads and whose leadership every other reachable node confirms, if any. */
    Optional<String> leader();

    /** Waits for {@link #leader()}; fails the test when none appears in time. */
    String awaitLeader(Duration timeout);

    /** Waits until every running node reports ready (a leader known and caught up). */
    void awaitReady(Duration timeout);

    /** The node's log so far, for failure messages. */
    String logs(String node);

    @Override
    void close();
}
