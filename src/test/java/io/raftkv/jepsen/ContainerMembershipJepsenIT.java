package io.raftkv.jepsen;

import io.raftkv.cluster.ContainerCluster;
import io.raftkv.cluster.Redirects;
import io.raftkv.cluster.RequiresDocker;
import io.raftkv.jepsen.Nemesis.LoseDisk;
import io.raftkv.jepsen.Nemesis.Resize;
import io.raftkv.jepsen.Nemesis.RestartAll;
import io.raftkv.jepsen.Nemesis.Target;
import io.raftkv.jepsen.Schedule.Step;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The StatefulSet-shaped container cluster under the Jepsen clients and checks: it grows 3 → 5
 * through {@code PUT /cluster/size} (the new pods get the StatefulSet's member list, which does not
 * name them), shrinks back to 3 (the highest ordinals go, their volumes deleted), and then a pod
 * whose volume was deleted comes back empty under its name. The history must be linearizable with
 * no acknowledged write lost, and the pod must end up a voter under a new member id.
 */
@RequiresDocker
class ContainerMembershipJepsenIT {
    private static final Pattern LOST = Pattern.compile("lost the disk of (raftkv-\\d+)");

    @Test
    void scalesThreeToFiveToThreeAndReplacesAPodWhoseVolumeWasDeleted() throws Exception {
        Schedule schedule = new Schedule("statefulset-scale-and-replace", "membership", 0.2, Duration.ofSeconds(45), List.of(
                new Step(0.02, new Resize(5)), new Step(0.45, new Resize(3)),
                new Step(0.65, new LoseDisk(Target.FOLLOWER)), new Step(0.67, new RestartAll())), false, 0.02);
        try (ContainerCluster c = ContainerCluster.start(new ContainerCluster.Options().size(3)
                .logDir(Path.of("target", "jepsen-cluster", "membership"))
                .env("RAFTKV_AUTOPILOT_INTERVAL", "500ms").env("RAFTKV_AUTOPILOT_STABLE_FOR", "1s"))) {
            JepsenRun.Result r = JepsenRun.run(c, schedule, JepsenRun.Settings.defaults());
            Path dir = Report.write(r);
            JepsenAssertions.assertAll(r, dir);

            String lost = r.events().stream().map(LOST::matcher).filter(Matcher::find).map(m -> m.group(1))
                    .findFirst().orElseThrow(() -> new AssertionError("no disk was lost: " + r.events()));
            assertThat(r.events()).as("the nemesis's record").anyMatch(e -> e.contains("5 voters"))
                    .anyMatch(e -> e.contains("deleted raftkv-4")).anyMatch(e -> e.contains("deleted raftkv-3"));
            Pattern replaced = Pattern.compile("\"id\":\"" + lost + "~[0-9a-f]+\",\"name\":\"" + lost + "\",\"role\":\"voter\"");
            String members = awaitMembers(c, m -> voters(m) == 3 && replaced.matcher(m).find() && !m.contains("\"id\":\"" + lost + "\","));
            assertThat(members).contains("\"failureTolerance\":1");
        }
    }

    private static int voters(String members) {
        return members.split("\"role\":\"voter\"", -1).length - 1;
    }

    private static String awaitMembers(ContainerCluster c, java.util.function.Predicate<String> done) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofMillis(500)).build();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        String members = "";
        while (!done.test(members)) {
            assertThat(System.nanoTime()).as("three voters, the pod that lost its volume among them as a new member: " + members)
                    .isLessThan(deadline);
            Thread.sleep(250);
            try {
                members = Redirects.send(http, HttpRequest.newBuilder(c.clientUrl("raftkv-0").resolve("/cluster/members"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
            } catch (IOException e) {
                members = "";
            }
        }
        return members;
    }
}
