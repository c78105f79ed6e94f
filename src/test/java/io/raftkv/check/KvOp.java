package io.raftkv.check;

/**
 * One client operation on one key, as observed by the client.
 *
 * <p>Times are in any one clock shared by all clients (nanoseconds, simulated ms, ...).
 * {@code value} is the value written (PUT, CAS) or read (GET; null when absent).
 * {@code expected} is the value a CAS required (null: the key must be absent, like {@code If-None-Match: *}).
 * {@code ok} is the CAS verdict (true = swapped, false = the condition failed) and is ignored for other kinds.
 */
public record KvOp(int client, Kind kind, String key, String value, String expected, boolean ok,
                   long invokedAt, long completedAt, Outcome outcome) {

    public enum Kind { PUT, GET, DELETE, CAS }

    public enum Outcome {
        /** The client saw the result. */
        OK,
        /** The operation certainly had no effect (refused before it was proposed, or overwritten in the log). */
        FAILED,
        /** The client cannot tell whether it took effect (timeout, leader lost): it may have, at any time after invocation. */
        UNKNOWN
    }

    public static KvOp put(int client, String key, String value, long start, long end, Outcome outcome) {
        return new KvOp(client, Kind.PUT, key, value, null, true, start, end, outcome);
    }

    public static KvOp get(int client, String key, String value, long start, long end) {
        return new KvOp(client, Kind.GET, key, value, null, true, start, end, Outcome.OK);
    }

    public static KvOp delete(int client, String key, long start, long end, Outcome outcome) {
        return new KvOp(client, Kind.DELETE, key, null, null, true, start, end, outcome);
    }

    public static KvOp cas(int client, String key, String expected, String value, boolean swapped,
                           long start, long end, Outcome outcome) {
        return new KvOp(client, Kind.CAS, key, value, expected, swapped, start, end, outcome);
    }

    @Override
    public String toString() {
        String what = switch (kind) {
            case PUT -> "put(" + value + ")";
            case GET -> "get()=" + value;
            case DELETE -> "delete()";
            case CAS -> "cas(" + expected + "->" + value + ")" + (outcome == Outcome.OK ? (ok ? "=swapped" : "=refused") : "");
        };
        return "c" + client + " " + key + " " + what + " [" + invokedAt + ".." + (outcome == Outcome.UNKNOWN ? "?" : completedAt)
                + "] " + outcome;
    }
}
