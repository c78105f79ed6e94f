package io.raftkv.node;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.Precondition;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Client work is admitted on the leader only within its bounds; every refusal says which bound and leaks nothing. */
class BackpressureTest {
    private final KvStateMachine data = new KvStateMachine();
    private final AtomicLong backlog = new AtomicLong();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    private Backpressure backpressure(int writes, long bytes, long maxBacklog, int reads, long quota) {
        return new Backpressure(new Backpressure.Limits(writes, bytes, maxBacklog, reads), new StoreQuota(quota, data),
                backlog::get, new NodeMetrics(registry));
    }

    private static KvCommand put(String key, int size) {
        return new KvCommand.Put(key, new byte[size], null, Precondition.NONE, null, 0);
    }

    private double refused(String reason) {
        var c = registry.find("raftkv.requests.refused").tag("reason", reason).counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void pendingWritesAreBoundedByCountAndAReleasedTicketMakesRoom() {
        Backpressure bp = backpressure(3, 1 << 20, 100, 10, 1 << 30);
        List<Backpressure.Ticket> tickets = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            tickets.add(bp.admitWrite(put("k" + i, 10), 20));
        }
        assertThatThrownBy(() -> bp.admitWrite(put("x", 10), 20)).isInstanceOfSatisfying(OverloadedException.class, e -> {
            assertThat(e.reason()).isEqualTo("pending-writes");
            assertThat(e.retryAfterSeconds()).isPositive();
            assertThat(e.getMessage()).contains("raftkv.limits.max-pending-writes");
        });
        assertThat(refused("pending-writes")).isEqualTo(1);
        tickets.get(0).release();
        tickets.get(0).release(); // twice is once
        assertThat(bp.pendingWrites()).isEqualTo(2);
        tickets.add(bp.admitWrite(put("x", 10), 20));
        assertThatThrownBy(() -> bp.admitWrite(put("y", 10), 20)).isInstanceOf(OverloadedException.class);
    }

    @Test
    void pendingBytesAreBoundedButOneLargeWriteAloneAlwaysEnters() {
        Backpressure bp = backpressure(100, 1000, 100, 10, 1 << 30);
        Backpressure.Ticket big = bp.admitWrite(put("big", 5000), 5000);
        assertThat(bp.pendingWriteBytes()).isEqualTo(5000);
        assertThatThrownBy(() -> bp.admitWrite(put("small", 1), 10))
                .isInstanceOfSatisfying(OverloadedException.class, e -> assertThat(e.reason()).isEqualTo("pending-bytes"));
        big.release();
        Backpressure.Ticket a = bp.admitWrite(put("a", 500), 600);
        assertThatThrownBy(() -> bp.admitWrite(put("b", 500), 600)).isInstanceOf(OverloadedException.class);
        a.release();
        assertThat(bp.pendingWrites()).isZero();
        assertThat(bp.pendingWriteBytes()).isZero();
    }

    @Test
    void aLongApplyBacklogRefusesNewWritesUntilItShrinks() {
        Backpressure bp = backpressure(100, 1 << 20, 50, 10, 1 << 30);
        backlog.set(51);
        assertThatThrownBy(() -> bp.admitWrite(put("k", 1), 10))
                .isInstanceOfSatisfying(OverloadedException.class, e -> assertThat(e.reason()).isEqualTo("apply-backlog"));
        backlog.set(50);
        bp.admitWrite(put("k", 1), 10);
    }

    @Test
    void aQuotaRefusalLeaksNoCountOrBytes() {
        Backpressure bp = backpressure(100, 1 << 20, 50, 10, KvStateMachine.entryCost("k", 100, null));
        assertThatThrownBy(() -> bp.admitWrite(put("k", 101), 120)).isInstanceOf(StoreFullException.class);
        assertThat(refused("store-full")).isEqualTo(1);
        assertThat(bp.pendingWrites()).isZero();
        assertThat(bp.pendingWriteBytes()).isZero();
        Backpressure.Ticket t = bp.admitWrite(put("k", 100), 120);
        t.release();
        assertThat(bp.pendingWrites()).isZero();
    }

    @Test
    void waitingReadsAreBounded() {
        Backpressure bp = backpressure(100, 1 << 20, 50, 2, 1 << 30);
        Runnable r1 = bp.admitRead();
        bp.admitRead();
        assertThatThrownBy(bp::admitRead)
                .isInstanceOfSatisfying(OverloadedException.class, e -> assertThat(e.getMessage()).contains("consistency=stale"));
        r1.run();
        r1.run();
        assertThat(bp.pendingReads()).isEqualTo(1);
        bp.admitRead();
    }
}
