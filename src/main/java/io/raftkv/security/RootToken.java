package io.raftkv.security;

import java.security.MessageDigest;

/** The root token, kept only as its SHA-256 and compared in constant time. */
final class RootToken {
    private final byte[] hash;

    RootToken(String secret) {
        this.hash = BearerSecrets.sha256(secret);
    }

    boolean matches(byte[] candidateHash) {
        return MessageDigest.isEqual(hash, candidateHash);
    }
}
