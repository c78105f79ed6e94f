package io.raftkv.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/** Making and hashing bearer secrets. Only hashes are stored or replicated. */
public final class BearerSecrets {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    });

    private BearerSecrets() {
    }

    /** 256 random bits, base64url without padding (43 characters, safe in a header as is). */
    public static String newSecret() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    public static byte[] sha256(String secret) {
        MessageDigest d = SHA256.get();
        d.reset();
        return d.digest(secret.getBytes(StandardCharsets.UTF_8));
    }
}
