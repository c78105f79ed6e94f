package io.raftkv.node;

import okhttp3.Response;

import java.io.IOException;

/** A peer answered, and not with a success: another try at once would fare no better. */
final class PeerRefusal extends IOException {
    private final int status;

    PeerRefusal(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status the peer answered with. */
    int status() {
        return status;
    }

    /** The start of a refusal's problem detail, so a misconfigured cluster says why in the log. */
    static String detail(Response resp) {
        if (resp.code() != 401 && resp.code() != 403) {
            return "";
        }
        try {
            return ": " + resp.peekBody(512).string();
        } catch (IOException | IllegalStateException e) {
            return "";
        }
    }
}
