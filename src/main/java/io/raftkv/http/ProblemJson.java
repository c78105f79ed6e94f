package io.raftkv.http;

import org.springframework.http.HttpStatus;

/**
 * A problem+json body written by hand, for the places that answer outside Spring MVC's message
 * converters: the container's error valve, the security chain's 401/403 and the peer server. It
 * lives in a package of its own so that web, security and peer can all use it without depending
 * on one another. Every string is escaped, so input echoed in a detail can never break out of the JSON.
 */
public final class ProblemJson {
    /** The base of every problem's {@code type} URI; a slug names the problem. */
    public static final String TYPE_BASE = "https://raftkv.io/problems/";
    private static final int MAX_DETAIL = 512;

    private ProblemJson() {
    }

    public static String of(int status, String slug, String detail) {
        HttpStatus s = HttpStatus.resolve(status);
        String title = s == null ? "Error" : s.getReasonPhrase();
        String d = detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) + "..." : detail;
        return "{\"type\":\"" + TYPE_BASE + slug + "\",\"title\":\"" + escape(title) + "\",\"status\":" + status
                + ",\"detail\":\"" + escape(d) + "\"}";
    }

    public static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&' || Character.isSurrogate(c)) {
                // Control characters, lone surrogates and HTML-significant characters travel escaped.
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
