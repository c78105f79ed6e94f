package io.raftkv.web;

import io.raftkv.RaftKvApplication;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The client connector runs {@code raftkv.client.max-threads} workers, and its request counters
 * (Tomcat's own, in place of a per-request observation filter) count what it answered.
 */
@SpringBootTest(classes = RaftKvApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"logging.level.root=warn", "raftkv.client.max-threads=5"})
class ClientConnectorWebTest extends OneNodeWebTest {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private double metric(String name) {
        var answer = new WebHttp(port).get("/actuator/metrics/" + name, null);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        JsonNode m = JSON.readTree(answer.body());
        return m.path("measurements").get(0).path("value").asDouble();
    }

    @Test
    void theConnectorRunsTheConfiguredThreadsAndCountsRequestsAndErrors() {
        assertThat(metric("raftkv.client.threads.max")).isEqualTo(5);
        double requests = metric("raftkv.client.requests");
        double errors = metric("raftkv.client.errors");
        WebHttp http = new WebHttp(port);
        assertThat(http.put("/kv/counted", null, "v").statusCode()).isEqualTo(201);
        assertThat(http.get("/kv/not-there", null).statusCode()).isEqualTo(404);
        // The metrics read above are requests too: at least the put, the 404 and the first read.
        assertThat(metric("raftkv.client.requests")).isGreaterThanOrEqualTo(requests + 3);
        assertThat(metric("raftkv.client.errors")).isGreaterThanOrEqualTo(errors + 1);
        assertThat(metric("raftkv.client.processing")).isPositive();
    }
}
