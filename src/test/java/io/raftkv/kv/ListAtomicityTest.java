package io.raftkv.kv;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A page of a listing is read at one revision: a transaction that moves an amount between two
 * accounts is never seen half applied (the Jepsen bank check found a linearizable listing whose
 * total was off by one transfer's amount).
 */
class ListAtomicityTest {
    private static final int ACCOUNTS = 5;

    private static TxnCommand.Put put(String key, long amount) {
        return new TxnCommand.Put(key, Long.toString(amount).getBytes(StandardCharsets.UTF_8), "text/plain", 0);
    }

    @Test
    @Timeout(60)
    void aPageNeverShowsHalfATransaction() throws Exception {
        KvStateMachine sm = new KvStateMachine();
        long[] balances = new long[ACCOUNTS];
        List<TxnCommand.Op> open = new ArrayList<>();
        for (int i = 0; i < ACCOUNTS; i++) {
            balances[i] = 100;
            open.add(put("acct/a" + i, 100));
        }
        sm.apply(1, new TxnCommand(List.of(), open, List.of(), null, 0));
        AtomicBoolean done = new AtomicBoolean();
        List<String> torn = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            while (!done.get() && torn.isEmpty()) {
                long total = 0;
                for (KeyValue kv : sm.list("acct/", null, 100).items()) {
                    total += Long.parseLong(new String(kv.value(), StandardCharsets.UTF_8));
                }
                if (total != 100L * ACCOUNTS) {
                    torn.add("a page totals " + total + " at applied index " + sm.appliedIndex());
                }
            }
        });
        reader.start();
        Random random = new Random(7);
        for (long index = 2; index < 200_000 && torn.isEmpty(); index++) {
            int from = random.nextInt(ACCOUNTS);
            int to = (from + 1 + random.nextInt(ACCOUNTS - 1)) % ACCOUNTS;
            balances[from] -= 3;
            balances[to] += 3;
            sm.apply(index, new TxnCommand(List.of(), List.of(put("acct/a" + from, balances[from]), put("acct/a" + to, balances[to])),
                    List.of(), null, 0));
        }
        done.set(true);
        reader.join();
        assertThat(torn).isEmpty();
    }
}
