package io.raftkv.watch;

import io.raftkv.kv.KeyValue;
import io.raftkv.kv.KvEvent;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.Page;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The keys under a prefix exactly as of one revision, for {@code initial=true} watches, read
 * without stopping the apply thread: a listing made while writes apply mixes states between the
 * applied index before it ({@code r0}) and the newest entry whose changes it may show ({@code r1},
 * {@link KvStateMachine#applyingIndex()} after it); replaying the history's changes in
 * {@code (r0, r1]} over it brings every key to its state at {@code r1}.
 */
public final class InitialState {
    /** The keys at {@code revision}, in key order; a watch continues after {@code revision}. */
    public record At(long revision, List<KeyValue> keys) {
    }

    /** More keys than an initial state may hold. */
    public static final class TooManyKeysException extends Exception {
        public TooManyKeysException(int max) {
            super("the prefix holds more than " + max + " keys, more than raftkv.watch.max-initial-keys allows for "
                    + "initial=true; watch a narrower prefix, or list it in pages and watch from the listing's revision", null, false, false);
        }
    }

    private InitialState() {
    }

    /**
     * @param readable which keys the caller may see
     * @throws HistoryGoneException if the history moved past the listing three times in a row
     */
    public static At read(WatchHub hub, String prefix, Predicate<String> readable, int maxKeys)
            throws TooManyKeysException, HistoryGoneException, InterruptedException {
        KvStateMachine data = hub.data();
        HistoryGoneException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            long r0 = data.appliedIndex();
            TreeMap<String, KeyValue> keys = list(data, prefix, readable, maxKeys);
            // The listing may show changes of an entry still being applied: wait until the history has them.
            long r1 = data.applyingIndex();
            if (!hub.awaitApplied(r1, TimeUnit.SECONDS.toNanos(5))) {
                throw new HistoryGoneException(hub.oldestRevision());
            }
            try {
                for (EventHistory.Batch b : hub.history().after(r0, Integer.MAX_VALUE, hub.nanoTime())) {
                    if (b.revision() > r1) {
                        break;
                    }
                    for (KvEvent e : b.events()) {
                        if (e.key().startsWith(prefix) && readable.test(e.key())) {
                            if (e.type() == KvEvent.Type.PUT) {
                                keys.put(e.key(), e.kv());
                            } else {
                                keys.remove(e.key());
                            }
                        }
                    }
                }
                if (keys.size() > maxKeys) {
                    throw new TooManyKeysException(maxKeys);
                }
                return new At(r1, new ArrayList<>(keys.values()));
            } catch (HistoryGoneException g) {
                last = g;
            }
        }
        throw last;
    }

    private static TreeMap<String, KeyValue> list(KvStateMachine data, String prefix, Predicate<String> readable, int maxKeys)
            throws TooManyKeysException {
        TreeMap<String, KeyValue> keys = new TreeMap<>(InitialState::codePointOrder);
        String after = null;
        do {
            Page page = data.list(prefix, after, 1000);
            for (KeyValue kv : page.items()) {
                if (readable.test(kv.key())) {
                    keys.put(kv.key(), kv);
                }
            }
            if (keys.size() > maxKeys) {
                throw new TooManyKeysException(maxKeys);
            }
            after = page.nextStartAfter();
        } while (after != null);
        return keys;
    }

    /** The store's key order (UTF-8 byte order), so the initial keys come as a listing would. */
    private static int codePointOrder(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
