package io.raftkv.peer;

import io.raftkv.raft.Membership;
import io.raftkv.raft.Message;
import io.raftkv.raft.Peer;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;

/**
 * Decides whether a peer request may be served: it must carry the shared secret (when one is set)
 * and this cluster's ID, name a sender that was never removed from the cluster, and with peer TLS
 * present a client certificate that names that sender's node. The messages in it must all be from that sender.
 */
final class PeerGate {
    /** Why a request was refused; {@code reason} tags the {@code raftkv.peer.refused} metric. */
    record Refusal(int status, String reason, String detail) {
    }

    private final String clusterId;
    private final byte[] expectedAuthorization;
    private final boolean requireCertificate;
    private final Supplier<Membership> membership;

    PeerGate(String clusterId, String secret, boolean requireCertificate, Supplier<Membership> membership) {
        this.clusterId = clusterId;
        this.expectedAuthorization = secret == null || secret.isEmpty() ? null
                : ("Bearer " + secret).getBytes(StandardCharsets.UTF_8);
        this.requireCertificate = requireCertificate;
        this.membership = membership;
    }

    /** Checks what a request says about its sender, before its body is read; null if it may go on. */
    Refusal admit(String authorization, String cluster, String sender, X509Certificate[] certificates) {
        return admit(authorization, cluster, sender, certificates, false);
    }

    /**
     * @param question a question that changes nothing ({@code GET /raft/info}): a removed member may
     *                 ask it, since a node that comes back empty under a removed name must learn that
     *                 it was removed, and so join under a new member id
     */
    Refusal admit(String authorization, String cluster, String sender, X509Certificate[] certificates, boolean question) {
        if (expectedAuthorization != null) {
            byte[] given = authorization == null ? new byte[0] : authorization.getBytes(StandardCharsets.UTF_8);
            if (!MessageDigest.isEqual(given, expectedAuthorization)) {
                return new Refusal(401, "secret", "peer requests must carry the cluster's peer secret");
            }
        }
        if (!clusterId.equals(cluster)) {
            return new Refusal(403, "cluster", "this node belongs to cluster " + clusterId + ", not '" + printable(cluster) + "'");
        }
        if (sender == null || sender.isBlank()) {
            return new Refusal(403, "non-member", "peer requests must name their sender");
        }
        if (!question) {
            Refusal removed = removed(sender);
            if (removed != null) {
                return removed;
            }
        }
        if (requireCertificate) {
            X509Certificate leaf = certificates == null || certificates.length == 0 ? null : certificates[0];
            if (leaf == null || !names(leaf, Peer.nameOf(sender))) {
                return new Refusal(403, "certificate", "the client certificate does not name member " + Peer.nameOf(sender));
            }
        }
        return null;
    }

    /**
     * etcd's rule too: a member that was removed (or a stale data directory of a replaced one) is
     * refused for good, on its next request or its open stream's next batch. Senders not yet in our
     * membership are taken: a node that lagged behind a change must still hear from a leader it has
     * not learned of yet. Null if {@code sender} was never removed.
     */
    Refusal removed(String sender) {
        return membership.get().isRemoved(sender)
                ? new Refusal(403, "removed", "member " + printable(sender) + " was removed from this cluster") : null;
    }

    /** Every message must be from the authenticated sender: one member cannot speak for another. */
    static Refusal sentBy(String sender, List<Message> messages) {
        for (Message m : messages) {
            if (!m.from().equals(sender)) {
                return new Refusal(403, "from-mismatch", "a message from " + printable(m.from()) + " was sent by " + sender);
            }
        }
        return null;
    }

    /**
     * Whether a certificate identifies member {@code id}: as its subject CN, as a DNS name, or as the
     * first label of a DNS name (so {@code raftkv-0.raftkv-peers.ns.svc.cluster.local} names {@code raftkv-0}).
     */
    static boolean names(X509Certificate cert, String id) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (Integer.valueOf(2).equals(san.get(0)) && san.get(1) instanceof String dns
                            && (dns.equals(id) || dns.startsWith(id + "."))) {
                        return true;
                    }
                }
            }
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName(X500Principal.RFC2253)).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && id.equals(String.valueOf(rdn.getValue()))) {
                    return true;
                }
            }
        } catch (CertificateParsingException | InvalidNameException e) {
            return false;
        }
        return false;
    }

    private static String printable(String s) {
        if (s == null) {
            return "";
        }
        String cut = s.length() > 64 ? s.substring(0, 64) + "..." : s;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
