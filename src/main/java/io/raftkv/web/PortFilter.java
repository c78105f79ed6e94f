package io.raftkv.web;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.http.MediaType;
import org.springframework.web.filter.OncePerRequestFilter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Keeps the two ports apart: {@code /raft/**} is served only on the peer port (the client port
 * answers it with 404), the peer port serves nothing else, and every peer request must carry the
 * shared secret when one is configured.
 */
final class PortFilter extends OncePerRequestFilter {
    private final int peerPort;
    private final byte[] expectedAuthorization;

    PortFilter(int peerPort, String peerSecret) {
        this.peerPort = peerPort;
        this.expectedAuthorization = peerSecret.isEmpty() ? null : ("Bearer " + peerSecret).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest req, HttpServletResponse resp, FilterChain chain)
            throws ServletException, IOException {
        String path = req.getRequestURI().substring(req.getContextPath().length());
        boolean raftPath = path.equals("/raft") || path.startsWith("/raft/");
        boolean onPeerPort = req.getLocalPort() == peerPort;
        if (raftPath != onPeerPort) {
            problem(resp, 404, "not-found", "no resource at " + path + (raftPath ? " on the client port" : " on the peer port"));
            return;
        }
        if (onPeerPort && expectedAuthorization != null) {
            String auth = req.getHeader("Authorization");
            byte[] given = auth == null ? new byte[0] : auth.getBytes(StandardCharsets.UTF_8);
            if (!MessageDigest.isEqual(given, expectedAuthorization)) {
                problem(resp, 401, "unauthorized", "peer requests must carry the cluster's peer secret");
                return;
            }
        }
        chain.doFilter(req, resp);
    }

    private static void problem(HttpServletResponse resp, int status, String slug, String detail) throws IOException {
        resp.setStatus(status);
        resp.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        String json = "{\"type\":\"" + Problems.TYPE_BASE + slug + "\",\"status\":" + status + ",\"detail\":\""
                + jsonEscape(detail) + "\"}";
        resp.getOutputStream().write(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String jsonEscape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
