package io.raftkv.deploy;

import static io.raftkv.deploy.HelmChart.Tree.listAt;
import static io.raftkv.deploy.HelmChart.Tree.map;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's TLS wiring against the real node: starts the packaged jar with exactly the
 * environment the chart renders for a pod (client TLS from a mounted kubernetes.io/tls Secret),
 * laid out on disk the way the kubelet mounts a Secret ({@code tls.crt -> ..data/tls.crt},
 * {@code ..data -> ..<timestamp>}), then updates the "Secret" the way the kubelet does, by swapping
 * the {@code ..data} link. The node must serve HTTPS from the start and the new certificate after
 * the swap, without a restart. Certificates are made with openssl, as an operator would.
 */
class ChartTlsEnvIT {

  private static final String POD = "raftkv-0";
  private static final String MOUNT = "/etc/raftkv/tls";
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  @TempDir
  Path dir;
  private Process node;

  @AfterEach
  void stopNode() throws InterruptedException {
    if (node != null && node.isAlive()) {
      node.destroy();
      if (!node.waitFor(30, TimeUnit.SECONDS)) {
        node.destroyForcibly().waitFor();
      }
    }
  }

  @Test
  void nodeServesHttpsFromTheChartsEnvironmentAndPicksUpARotatedSecretWithoutRestarting() throws Exception {
    Path gen = dir.resolve("gen");
    Files.createDirectories(gen);
    openssl(gen, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.ec");
    openssl(gen, "pkcs8", "-topk8", "-nocrypt", "-in", "ca.ec", "-out", "ca.key");
    openssl(gen, "req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=raftkv-chart-test-ca", "-days", "2", "-out", "ca.crt");
    Path mount = dir.resolve("tls");
    Files.createDirectories(mount);
    Path first = issue(gen, mount.resolve("..2026_11_30_10_00_00.1"), "first-certificate");
    Path second = issue(gen, mount.resolve("..2026_11_30_11_00_00.2"), "second-certificate");
    Files.createSymbolicLink(mount.resolve("..data"), first.getFileName());
    for (String file : List.of("tls.crt", "tls.key", "ca.crt")) {
      Files.createSymbolicLink(mount.resolve(file), Path.of("..data", file));
    }

    int clientPort = freePort();
    int peerPort = freePort();
    HelmChart.Rendered chart = HelmChart.render(Map.of("replicas", 1, "ports.client", clientPort,
        "ports.peer", peerPort, "tls.client.enabled", true, "tls.existingSecret", "raftkv-tls"));
    List<Object> env = listAt(map(listAt(chart.one("StatefulSet"), "spec", "template", "spec", "containers").get(0)), "env");
    node = start(env, mount, dir.resolve("data"), dir.resolve("node.log"));

    SSLContext trustingTheCa = sslContextTrusting(gen.resolve("ca.crt"));
    HttpClient client = HttpClient.newBuilder().sslContext(trustingTheCa).connectTimeout(Duration.ofSeconds(2)).build();
    URI readiness = URI.create("https://localhost:" + clientPort + "/actuator/health/readiness");
    awaitTrue("node ready over HTTPS", () -> status(client, readiness) == 200);
    assertThat(servedCertificateSubject(trustingTheCa, clientPort)).contains("CN=first-certificate");

    // The kubelet's atomic update: a link to the new directory, renamed over ..data.
    Path tmp = mount.resolve("..data_tmp");
    Files.createSymbolicLink(tmp, second.getFileName());
    Files.move(tmp, mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    long pid = node.pid();

    awaitTrue("the new certificate served", () -> servedCertificateSubject(trustingTheCa, clientPort)
        .contains("CN=second-certificate"));
    assertThat(node.isAlive()).as("same process").isTrue();
    assertThat(node.pid()).isEqualTo(pid);
    assertThat(status(client, readiness)).isEqualTo(200);
  }

  /** Starts the jar with the pod's environment, as the kubelet would hand it over. */
  private Process start(List<Object> podEnv, Path mount, Path dataDir, Path log) throws IOException {
    Path jar = Path.of(System.getProperty("raftkv.jar", "target/raftkv.jar"));
    assertThat(jar).as("the packaged node (./mvnw verify packages it)").isRegularFile();
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", jar.toString());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(name -> name.startsWith("RAFTKV_") || name.startsWith("SPRING_") || name.startsWith("SERVER_"));
    byte[] random = new byte[24];
    new java.security.SecureRandom().nextBytes(random);
    String secret = HexFormat.of().formatHex(random);
    PodEnvironment.variables(podEnv).forEach((name, value) -> env.put(name, value
        .replace("<name>", POD)
        .replace("<namespace>", "default")
        .replaceAll("<secret:[^>]+>", secret)
        .replace(MOUNT, mount.toString())));
    env.put("RAFTKV_DATA_DIR", dataDir.toString());
    return pb.redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  private static Path issue(Path gen, Path target, String cn) throws Exception {
    Files.createDirectories(target);
    Path ext = gen.resolve(cn + ".ext");
    Files.writeString(ext, "subjectAltName=DNS:" + POD + ".raftkv-headless.default.svc.cluster.local,DNS:localhost\n"
        + "extendedKeyUsage=serverAuth,clientAuth\n");
    openssl(gen, "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", cn + ".ec");
    openssl(gen, "pkcs8", "-topk8", "-nocrypt", "-in", cn + ".ec", "-out", target.resolve("tls.key").toString());
    openssl(gen, "req", "-new", "-key", target.resolve("tls.key").toString(), "-subj", "/CN=" + cn, "-out", cn + ".csr");
    openssl(gen, "x509", "-req", "-in", cn + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-days", "2", "-extfile", ext.toString(), "-out", target.resolve("tls.crt").toString());
    Files.copy(gen.resolve("ca.crt"), target.resolve("ca.crt"));
    return target;
  }

  private static void openssl(Path workDir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("%s: %s", cmd, out).isZero();
  }

  private static SSLContext sslContextTrusting(Path caFile) throws Exception {
    X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(Files.readAllBytes(caFile)));
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    trust.setCertificateEntry("ca", ca);
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** The subject of the certificate a new TLS connection gets, or "" while none can be made. */
  private static String servedCertificateSubject(SSLContext ctx, int port) {
    try (SSLSocket socket = (SSLSocket) ctx.getSocketFactory().createSocket("localhost", port)) {
      socket.setSoTimeout(2000);
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
    } catch (IOException e) {
      return "";
    }
  }

  private static int status(HttpClient client, URI uri) {
    try {
      return client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(2)).build(),
          HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  private void awaitTrue(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": not within " + DEADLINE + "; node log:\n"
            + Files.readString(dir.resolve("node.log")));
      }
      if (!node.isAlive()) {
        throw new AssertionError(what + ": the node exited; log:\n" + Files.readString(dir.resolve("node.log")));
      }
      Thread.sleep(200);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
