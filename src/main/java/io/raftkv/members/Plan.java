package io.raftkv.members;

import java.util.Optional;

/** The planner's answer: at most one step, and why (or why nothing). */
public record Plan(Optional<Step> step, String reason) {
    static Plan of(Step step, String reason) {
        return new Plan(Optional.of(step), reason);
    }

    static Plan none(String reason) {
        return new Plan(Optional.empty(), reason);
    }
}
