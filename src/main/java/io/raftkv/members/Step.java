package io.raftkv.members;

/** One membership change autopilot makes. */
public sealed interface Step {
    /** The member the step acts on. */
    String memberId();

    /** "promote raftkv-3", as {@code /cluster} and the log show it. */
    String describe();

    record Promote(String memberId) implements Step {
        @Override
        public String describe() {
            return "promote " + memberId;
        }
    }

    /** @param replacedBy the learner that takes this member's name over, or null when none does */
    record Remove(String memberId, String replacedBy) implements Step {
        @Override
        public String describe() {
            return "remove " + memberId;
        }
    }

    /** Hand leadership to {@code memberId} (the leader is about to be removed). */
    record TransferLeadership(String memberId) implements Step {
        @Override
        public String describe() {
            return "transfer leadership to " + memberId;
        }
    }
}
