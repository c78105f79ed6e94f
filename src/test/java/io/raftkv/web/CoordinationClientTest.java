package io.raftkv.web;

import io.raftkv.RaftKvApplication;
import io.raftkv.client.ApiClient;
import io.raftkv.client.api.CoordinationApi;
import io.raftkv.client.api.KvApi;
import io.raftkv.client.model.LeaseRequest;
import io.raftkv.client.model.TxnCompare;
import io.raftkv.client.model.TxnOp;
import io.raftkv.client.model.TxnOpResult;
import io.raftkv.client.model.TxnRequest;
import io.raftkv.client.model.TxnResult;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.web.client.RestClientResponseException;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** The client generated from openapi.yaml, against one in-process node: transactions and leases as the contract describes them. */
@SpringBootTest(classes = RaftKvApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = "logging.level.root=warn")
class CoordinationClientTest extends OneNodeWebTest {
    @Test
    void theGeneratedClientRunsTransactionsAndLeases() {
        ApiClient client = new ApiClient();
        client.setBasePath("http://localhost:" + port);
        CoordinationApi coordination = new CoordinationApi(client);
        KvApi kv = new KvApi(client);

        TxnRequest create = new TxnRequest()
                .compare(List.of(new TxnCompare().key("gc/a").target(TxnCompare.TargetEnum.CREATE_REVISION)
                        .op(TxnCompare.OpEnum.DOUBLE_EQUAL).value(0)))
                .success(List.of(new TxnOp().op(TxnOp.OpEnum.PUT).key("gc/a").value("1")))
                .failure(List.of(new TxnOp().op(TxnOp.OpEnum.GET).key("gc/a")));
        TxnResult first = coordination.transaction(create, "gc-1");
        assertThat(first.getSucceeded()).isTrue();
        TxnResult again = coordination.transaction(create, null);
        assertThat(again.getSucceeded()).isFalse();
        TxnOpResult got = again.getResults().get(0);
        assertThat(got.getValue()).isEqualTo("1");
        assertThat(got.getModRevision()).isEqualTo(first.getRevision());

        long lease = coordination.grantLease(new LeaseRequest().ttl("30s")).getId();
        kv.putValue("gc/leased", "v".getBytes(), null, null, null, lease, null);
        assertThat(coordination.getLease(lease).getKeys()).containsExactly("gc/leased");
        assertThat(coordination.keepLeaseAlive(lease).getTtlMillis()).isEqualTo(30_000);
        assertThat(coordination.revokeLease(lease).getDeletedKeys()).isEqualTo(1);
        RestClientResponseException gone = catchThrowableOfType(RestClientResponseException.class,
                () -> kv.getValue("gc/leased", null, null, null, null));
        assertThat(gone.getStatusCode().value()).isEqualTo(404);
    }
}
