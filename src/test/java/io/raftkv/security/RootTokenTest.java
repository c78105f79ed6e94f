package io.raftkv.security;

import io.raftkv.config.RaftKvProperties;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RootTokenTest {

    @Test
    void aWeakRootTokenStopsTheStartWithTheProperty() {
        assertThatThrownBy(() -> new RaftKvProperties.Auth("short"))
                .hasMessageContaining("raftkv.auth.root-token").hasMessageContaining("16");
        assertThatThrownBy(() -> new RaftKvProperties.Auth("has a space in it, long enough"))
                .hasMessageContaining("raftkv.auth.root-token");
        assertThat(new RaftKvProperties.Auth("").enabled()).isFalse();
        assertThat(new RaftKvProperties.Auth(null).enabled()).isFalse();
    }

    @Test
    void theSecretIsNeverInToStringAndIsComparedByHash() {
        String secret = "0123456789abcdef-root";
        RaftKvProperties.Auth auth = new RaftKvProperties.Auth(secret);
        assertThat(auth.enabled()).isTrue();
        assertThat(auth.toString()).doesNotContain(secret);
        RootToken root = new RootToken(secret);
        assertThat(root.matches(BearerSecrets.sha256(secret))).isTrue();
        assertThat(root.matches(BearerSecrets.sha256(secret + "x"))).isFalse();
    }

    @Test
    void newSecretsAre256RandomBitsInBase64url() {
        String a = BearerSecrets.newSecret();
        assertThat(a).matches("[A-Za-z0-9_-]{43}");
        assertThat(BearerSecrets.newSecret()).isNotEqualTo(a);
    }
}
