package io.raftkv.members;

import java.time.Instant;

/**
 * What autopilot did last, for {@code /cluster} and health.
 *
 * @param at      when
 * @param action  the step taken ("promote raftkv-3"), or "none"
 * @param reason  why that step, or why none
 * @param problem what went wrong (the desired size unreadable, a step that failed), or null
 */
public record Decision(Instant at, String action, String reason, String problem) {
    static final String NONE = "none";
}
