package io.raftkv.kv;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.ToLongFunction;

/**
 * A stream of random commands over a small key space, so that keys are created, updated, deleted
 * and re-created, preconditions both hold and fail, and idempotency keys are retried (sometimes with
 * a different request) while leader clocks jitter and occasionally go back.
 */
final class RandomCommands {
    private static final String[] KEY_PARTS = {"a", "b", "a/", "😀", "ü", " ", "\uE000", "z/y"};
    private static final String[] CONTENT_TYPES = {null, "", "text/plain", "application/json"};

    private final Random random;
    private final List<String> keys = new ArrayList<>();
    private final List<KvCommand> sent = new ArrayList<>();
    private long clock = 1_700_000_000_000L;
    private int idempotencyKeys;
    private ToLongFunction<String> currentRevision = key -> 0;

    RandomCommands(Random random, int keySpace) {
        this.random = random;
        for (int i = 0; i < keySpace; i++) {
            StringBuilder sb = new StringBuilder();
            int parts = 1 + random.nextInt(3);
            for (int p = 0; p < parts; p++) {
                sb.append(KEY_PARTS[random.nextInt(KEY_PARTS.length)]);
            }
            keys.add(sb.toString());
        }
    }

    List<String> keys() {
        return keys;
    }

    /** Where to look up a key's modRevision (0 when absent), so that If-Match preconditions often hold. */
    RandomCommands revisionsFrom(ToLongFunction<String> currentRevision) {
        this.currentRevision = currentRevision;
        return this;
    }

    KvCommand next() {
        clock += random.nextInt(400) - 100;
        if (!sent.isEmpty() && random.nextInt(5) == 0) {
            // mostly recent requests, now and then one from long ago
            KvCommand earlier = sent.get(sent.size() - 1 - random.nextInt(Math.min(sent.size(), 1 + random.nextInt(200))));
            if (earlier.idempotencyKey() != null) {
                return random.nextInt(4) == 0 ? fresh(earlier.idempotencyKey()) : retry(earlier);
            }
        }
        KvCommand cmd = fresh(random.nextInt(3) == 0 ? null : "idem-" + (idempotencyKeys++));
        sent.add(cmd);
        return cmd;
    }

    /** The same request proposed again later, as a client retry after a timeout would be. */
    private KvCommand retry(KvCommand c) {
        if (c instanceof KvCommand.Put p) {
            return new KvCommand.Put(p.key(), p.value().clone(), p.contentType(), p.precondition(), p.idempotencyKey(), clock);
        }
        return new KvCommand.Delete(c.key(), c.precondition(), c.idempotencyKey(), clock);
    }

    private KvCommand fresh(String idempotencyKey) {
        String key = keys.get(random.nextInt(keys.size()));
        Precondition p = switch (random.nextInt(8)) {
            case 0 -> Precondition.ABSENT;
            case 1 -> Precondition.PRESENT;
            case 2 -> Precondition.revision(currentRevision.applyAsLong(key));
            case 3 -> Precondition.revision(random.nextInt(3) == 0 ? 0 : Math.max(0, sent.size() - random.nextInt(30)));
            default -> Precondition.NONE;
        };
        if (random.nextInt(3) == 0) {
            return new KvCommand.Delete(key, p, idempotencyKey, clock);
        }
        byte[] value = new byte[random.nextInt(20)];
        random.nextBytes(value);
        return new KvCommand.Put(key, value, CONTENT_TYPES[random.nextInt(CONTENT_TYPES.length)], p, idempotencyKey, clock);
    }
}
