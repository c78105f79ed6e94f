package io.raftkv.members;

import java.util.OptionalInt;

/**
 * How many voters the cluster should have. Empty while nobody has set it: then autopilot keeps the
 * voters it has (and only finishes replacements).
 */
public interface DesiredSize {
    /** The largest size autopilot accepts: far beyond any sensible Raft cluster, a guard against typos. */
    int MAX = 99;

    /** @throws DesiredSizeUnavailableException when the source cannot be read now (autopilot then waits) */
    OptionalInt get();
}
