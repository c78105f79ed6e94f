package io.raftkv.config;

import io.raftkv.node.NodeMetrics;
import io.raftkv.node.RaftKvNode;

import java.io.IOException;

/**
 * What the node is built from: storage, cluster ID, transport and clock. The production parts (the
 * data directory and HTTP between peers) unless the application context holds another
 * {@code NodeParts}, as a test of a whole cluster in one JVM does.
 */
@FunctionalInterface
public interface NodeParts {
    NodeParts PRODUCTION = RaftKvNode::productionParts;

    RaftKvNode.Parts create(RaftKvNode.Settings settings, NodeMetrics metrics) throws IOException;
}
