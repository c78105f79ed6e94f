package io.raftkv.web;

import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.TxnCommand;
import io.raftkv.node.RaftKvNode;
import org.springframework.http.HttpStatus;

import java.util.List;

/** The store quota for transactions, which the node does not reserve for the way it does for a PUT. */
final class TxnQuota {
    private TxnQuota() {
    }

    /**
     * The store quota, checked here because a transaction's growth is not reserved the way a PUT's is:
     * the puts' whole cost must fit in what is free now. Transactions in flight together can overshoot
     * the quota by their sum: each carries at most raftkv.limits.max-key-size + max-value-size, and
     * at most raftkv.limits.max-pending-writes are in flight.
     */
    static void requireRoom(RaftKvNode node, TxnCommand txn) {
        long growth = Math.max(putCost(txn.success()), putCost(txn.failure()));
        long used = node.quota().usedBytes();
        if (growth > 0 && used + growth > node.quota().quotaBytes()) {
            throw new BadRequestException(HttpStatus.INSUFFICIENT_STORAGE, "store-full", "the transaction's puts ("
                    + growth + " bytes) do not fit in the store quota (" + used + " of " + node.quota().quotaBytes()
                    + " bytes used); nothing was proposed");
        }
    }

    private static long putCost(List<TxnCommand.Op> ops) {
        long cost = 0;
        for (TxnCommand.Op op : ops) {
            if (op instanceof TxnCommand.Put p) {
                cost += KvStateMachine.entryCost(p.key(), p.value().length, p.contentType());
            }
        }
        return cost;
    }
}
