package io.raftkv.web;

import io.raftkv.kv.Precondition;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the conditional-request headers of writes and the Idempotency-Key. */
final class Conditions {
    private static final Pattern ETAG = Pattern.compile("^(W/)?\"([0-9]{1,19})\"$");
    private static final Pattern IDEMPOTENCY_KEY = Pattern.compile("^[\\x21-\\x7e]{1,255}$");

    private Conditions() {
    }

    /**
     * {@code If-Match: "<revision>"} compares and sets, {@code If-Match: *} requires the key to
     * exist, {@code If-None-Match: *} requires it to be absent (create only).
     */
    static Precondition forWrite(String ifMatch, String ifNoneMatch) {
        if (ifMatch != null && ifNoneMatch != null) {
            throw BadRequestException.badRequest("bad-precondition", "send If-Match or If-None-Match, not both");
        }
        if (ifMatch != null) {
            String v = ifMatch.trim();
            if (v.equals("*")) {
                return new Precondition.Present();
            }
            return new Precondition.Revision(revision(v, "If-Match"));
        }
        if (ifNoneMatch != null) {
            if (!ifNoneMatch.trim().equals("*")) {
                throw BadRequestException.badRequest("bad-precondition",
                        "a write supports only If-None-Match: * (create only), not '" + ifNoneMatch + "'");
            }
            return new Precondition.Absent();
        }
        return Precondition.NONE;
    }

    /** The revision in an entity tag such as {@code "42"}. */
    static long revision(String etag, String header) {
        Matcher m = ETAG.matcher(etag.trim());
        if (!m.matches()) {
            throw BadRequestException.badRequest("bad-precondition",
                    header + " must be a revision in quotes, like \"42\", or * (got '" + etag + "')");
        }
        try {
            return Long.parseLong(m.group(2));
        } catch (NumberFormatException e) {
            throw BadRequestException.badRequest("bad-precondition", header + " holds a revision out of range");
        }
    }

    /** GET's {@code If-None-Match}: true when one of the listed entity tags is the current revision. */
    static boolean noneMatchHits(String ifNoneMatch, long modRevision) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.trim();
            if (t.equals("*")) {
                return true;
            }
            Matcher m = ETAG.matcher(t);
            if (m.matches() && m.group(2).equals(Long.toString(modRevision))) {
                return true;
            }
        }
        return false;
    }

    static String idempotencyKey(String header) {
        if (header == null) {
            return null;
        }
        if (!IDEMPOTENCY_KEY.matcher(header).matches()) {
            throw BadRequestException.badRequest("bad-idempotency-key",
                    "Idempotency-Key must be 1 to 255 visible ASCII characters");
        }
        return header;
    }

    static String etag(long revision) {
        return "\"" + revision + "\"";
    }
}
