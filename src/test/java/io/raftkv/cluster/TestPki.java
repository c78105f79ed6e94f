package io.raftkv.cluster;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority made at test time with the JDK's own {@code keytool}, and certificates
 * it signs for nodes: each as PKCS12 and as PEM files ({@code <name>.crt}, {@code <name>.key}, and
 * {@code ca.crt}), the way cert-manager or a Kubernetes TLS Secret hands them to a pod.
 */
public final class TestPki {
    static final String PASSWORD = "changeit";
    private final Path dir;

    public TestPki(Path dir) {
        this.dir = dir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=raftkv test CA",
                "-ext", "bc:c", "-validity", "2", "-keystore", file("ca.p12"), "-storetype", "PKCS12",
                "-storepass", PASSWORD, "-keypass", PASSWORD);
        keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", file("ca.p12"), "-storepass", PASSWORD,
                "-file", file("ca.crt"));
        keytool("-importcert", "-noprompt", "-alias", "ca", "-file", file("ca.crt"), "-keystore", file("truststore.p12"),
                "-storetype", "PKCS12", "-storepass", PASSWORD);
    }

    public Path dir() {
        return dir;
    }

    public Path caCertificate() {
        return dir.resolve("ca.crt");
    }

    public Path certificate(String name) {
        return dir.resolve(name + ".crt");
    }

    public Path privateKey(String name) {
        return dir.resolve(name + ".key");
    }

    /**
     * Issues (or re-issues, with a new key) a certificate with subject CN {@code cn} and the DNS
     * names and IP addresses given (e.g. {@code "dns:localhost", "ip:127.0.0.1"}), stored under
     * {@code name}. PEM files are replaced by rename, so a watcher never sees half a file.
     */
    public X509Certificate issue(String name, String cn, String... subjectAltNames) {
        Path work = dir.resolve("work-" + name + "-" + System.nanoTime());
        try {
            Files.createDirectories(work);
            String store = work.resolve("node.p12").toString();
            keytool("-genkeypair", "-alias", "node", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=" + cn,
                    "-validity", "2", "-keystore", store, "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
            keytool("-certreq", "-alias", "node", "-keystore", store, "-storepass", PASSWORD,
                    "-file", work.resolve("node.csr").toString());
            List<String> gencert = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-keystore", file("ca.p12"),
                    "-storepass", PASSWORD, "-infile", work.resolve("node.csr").toString(),
                    "-outfile", work.resolve("node.crt").toString(), "-validity", "2",
                    "-ext", "ku:c=digitalSignature,keyEncipherment", "-ext", "eku=serverAuth,clientAuth"));
            if (subjectAltNames.length > 0) {
                gencert.addAll(List.of("-ext", "san=" + String.join(",", subjectAltNames)));
            }
            keytool(gencert.toArray(String[]::new));
            keytool("-importcert", "-noprompt", "-alias", "ca", "-file", file("ca.crt"), "-keystore", store, "-storepass", PASSWORD);
            keytool("-importcert", "-noprompt", "-alias", "node", "-file", work.resolve("node.crt").toString(),
                    "-keystore", store, "-storepass", PASSWORD);

            KeyStore ks = KeyStore.getInstance("PKCS12");
            try (InputStream in = Files.newInputStream(Path.of(store))) {
                ks.load(in, PASSWORD.toCharArray());
            }
            Key key = ks.getKey("node", PASSWORD.toCharArray());
            X509Certificate cert = (X509Certificate) ks.getCertificate("node");
            Path keyTmp = work.resolve("key.pem");
            Files.writeString(keyTmp, pem("PRIVATE KEY", key.getEncoded()), StandardCharsets.US_ASCII);
            Path crtTmp = work.resolve("crt.pem");
            Files.writeString(crtTmp, pem("CERTIFICATE", cert.getEncoded()), StandardCharsets.US_ASCII);
            Files.move(Path.of(store), dir.resolve(name + ".p12"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(keyTmp, privateKey(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            Files.move(crtTmp, certificate(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return cert;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A client TLS context trusting the CA, presenting {@code name}'s certificate (or none if null). */
    public SSLContext sslContext(String name) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(caCertificate())) {
                trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            KeyManagerFactory kmf = null;
            if (name != null) {
                KeyStore keys = KeyStore.getInstance("PKCS12");
                try (InputStream in = Files.newInputStream(dir.resolve(name + ".p12"))) {
                    keys.load(in, PASSWORD.toCharArray());
                }
                keys.deleteEntry("ca");
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(keys, PASSWORD.toCharArray());
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The certificate a PEM file holds. */
    public static X509Certificate read(Path pem) {
        try (InputStream in = Files.newInputStream(pem)) {
            Certificate c = CertificateFactory.getInstance("X.509").generateCertificate(in);
            return (X509Certificate) c;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private String file(String name) {
        return dir.resolve(name).toString();
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static void keytool(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("keytool " + String.join(" ", args) + " failed:\n" + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
