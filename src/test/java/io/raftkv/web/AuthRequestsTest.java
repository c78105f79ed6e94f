package io.raftkv.web;

import io.raftkv.kv.Access;
import io.raftkv.kv.Permission;
import io.raftkv.kv.Role;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockHttpServletRequest;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The /auth bodies are parsed strictly: what is not exactly a role or a token's roles is a 4xx that says what. */
class AuthRequestsTest {
    private static MockHttpServletRequest body(String json) {
        MockHttpServletRequest req = new MockHttpServletRequest("PUT", "/auth/x");
        req.setContent(json.getBytes(StandardCharsets.UTF_8));
        return req;
    }

    private static void refused(Runnable parse, int status, String slug, String detail) {
        assertThatThrownBy(parse::run).isInstanceOfSatisfying(BadRequestException.class, e -> {
            assertThat(e.status().value()).isEqualTo(status);
            assertThat(e.slug()).isEqualTo(slug);
            assertThat(e.getMessage()).contains(detail);
        });
    }

    private static void badRole(String json, String detail) {
        refused(() -> AuthRequests.role("r", body(json)), 400, "bad-auth-request", detail);
    }

    @Test
    void aRoleIsItsPermissions() {
        Role role = AuthRequests.role("reader", body("{\"permissions\":[{\"prefix\":\"app/\",\"access\":\"read\"},"
                + "{\"prefix\":\"\",\"access\":\"readwrite\"}]}"));
        assertThat(role.name()).isEqualTo("reader");
        assertThat(role.permissions()).containsExactly(new Permission("app/", Access.READ), new Permission("", Access.READWRITE));
    }

    @Test
    void aMalformedRoleIsRefusedWithWhatIsWrong() {
        badRole("not json", "not valid JSON");
        badRole("[]", "must be a JSON object");
        badRole("{\"permissions\":[],\"extra\":1}", "unknown property 'extra'");
        badRole("{\"permissions\":{}}", "'permissions' array");
        badRole("{\"permissions\":[{\"prefix\":\"a\",\"access\":\"read\",\"x\":1}]}", "permission #0 must be an object");
        badRole("{\"permissions\":[{\"prefix\":1,\"access\":\"read\"}]}", "permission #0 needs a string 'prefix'");
        badRole("{\"permissions\":[{\"prefix\":\"a\"}]}", "permission #0 needs 'access'");
        badRole("{\"permissions\":[{\"prefix\":\"a\",\"access\":\"read\"},{\"prefix\":\"b\",\"access\":\"all\"}]}", "permission #1");
        badRole("{\"permissions\":[{\"prefix\":\"" + "p".repeat(4097) + "\",\"access\":\"read\"}]}", "at most 4096 bytes");
        badRole("{\"permissions\":[" + "{\"prefix\":\"a\",\"access\":\"read\"},".repeat(100)
                + "{\"prefix\":\"a\",\"access\":\"read\"}]}", "at most 100 permissions, not 101");
    }

    @Test
    void aTokensRolesAreValidNames() {
        assertThat(AuthRequests.tokenRoles(body("{\"roles\":[\"reader\",\"app.writer-2\"]}"))).containsExactly("reader", "app.writer-2");
        assertThat(AuthRequests.tokenRoles(body("{\"roles\":[]}"))).isEmpty();
        refused(() -> AuthRequests.tokenRoles(body("{\"roles\":[\"a b\"]}")), 400, "bad-auth-request", "role names are");
        refused(() -> AuthRequests.tokenRoles(body("{\"roles\":[1]}")), 400, "bad-auth-request", "role names are");
        refused(() -> AuthRequests.tokenRoles(body("{}")), 400, "bad-auth-request", "'roles' array");
    }

    @Test
    void anOversizedBodyIs413WhetherDeclaredOrNot() {
        String big = "{\"roles\":[\"" + "a".repeat(600 * 1024) + "\"]}";
        refused(() -> AuthRequests.tokenRoles(body(big)), 413, "body-too-large", "at most 524288 bytes");
        // Chunked: no length is declared, so only reading tells.
        MockHttpServletRequest chunked = new MockHttpServletRequest("PUT", "/auth/tokens/x") {
            @Override
            public long getContentLengthLong() {
                return -1;
            }
        };
        chunked.setContent(big.getBytes(StandardCharsets.UTF_8));
        refused(() -> AuthRequests.tokenRoles(chunked), 413, "body-too-large", "at most 524288 bytes");
    }
}
