package io.raftkv.kv;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;

import static io.raftkv.kv.KvStateMachineTest.snapshot;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs thousands of random commands through the state machine and through a deliberately naive
 * model written straight from the specification (linear scans, no fingerprints, no insertion-order
 * tricks) and requires the same answer to every command and the same state throughout.
 */
class ModelTest {

    /** The specification, as plainly as possible. */
    static final class Model {
        final IdempotencyPolicy policy;
        final TreeMap<String, KeyValue> data = new TreeMap<>(ListTest.BYTE_ORDER);
        final List<Remembered> remembered = new ArrayList<>(); // oldest first
        long clock = Long.MIN_VALUE;
        long appliedIndex;
        int replays;

        record Remembered(String idempotencyKey, KvCommand request, WriteResult result, long stamp) {
        }

        Model(IdempotencyPolicy policy) {
            this.policy = policy;
        }

        static boolean sameRequest(KvCommand a, KvCommand b) {
            if (a instanceof KvCommand.Put pa && b instanceof KvCommand.Put pb) {
                return pa.key().equals(pb.key()) && Arrays.equals(pa.value(), pb.value())
                        && Objects.equals(pa.contentType(), pb.contentType()) && pa.precondition().equals(pb.precondition());
            }
            if (a instanceof KvCommand.Delete && b instanceof KvCommand.Delete) {
                return a.key().equals(b.key()) && a.precondition().equals(b.precondition());
            }
            return false;
        }

        WriteResult apply(long index, KvCommand cmd) {
            assertThat(index).isGreaterThan(appliedIndex);
            appliedIndex = index;
            clock = Math.max(clock, cmd.proposedAtMillis());
            remembered.removeIf(r -> clock - r.stamp() > policy.ttlMillis());
            while (remembered.size() > policy.maxEntries()) {
                remembered.remove(0);
            }
            if (cmd.idempotencyKey() != null) {
                for (Remembered r : remembered) {
                    if (r.idempotencyKey().equals(cmd.idempotencyKey())) {
                        if (sameRequest(r.request(), cmd)) {
                            replays++;
                            return r.result();
                        }
                        return new WriteResult.IdempotencyKeyReused();
                    }
                }
            }
            WriteResult result = execute(index, cmd);
            if (cmd.idempotencyKey() != null && policy.maxEntries() > 0) {
                remembered.add(new Remembered(cmd.idempotencyKey(), cmd, result, clock));
                while (remembered.size() > policy.maxEntries()) {
                    remembered.remove(0);
                }
            }
            return result;
        }

        private WriteResult execute(long index, KvCommand cmd) {
            KeyValue cur = data.get(cmd.key());
            boolean holds;
            Precondition p = cmd.precondition();
            if (p instanceof Precondition.Revision r) {
                holds = cur != null && cur.modRevision() == r.revision();
            } else if (p instanceof Precondition.Absent) {
                holds = cur == null;
            } else if (p instanceof Precondition.Present) {
                holds = cur != null;
            } else {
                holds = true;
            }
            if (!holds) {
                return new WriteResult.PreconditionFailed(cur == null ? 0 : cur.modRevision());
            }
            if (cmd instanceof KvCommand.Put put) {
                data.put(put.key(), cur == null
                        ? new KeyValue(put.key(), put.value().clone(), put.contentType(), index, index, 1)
                        : new KeyValue(put.key(), put.value().clone(), put.contentType(), cur.createRevision(), index, cur.version() + 1));
                return new WriteResult.Written(index, cur == null);
            }
            if (cur == null) {
                return new WriteResult.NotFound();
            }
            data.remove(cmd.key());
            return new WriteResult.Deleted(index);
        }

        long dataBytes() {
            long sum = 0;
            for (KeyValue kv : data.values()) {
                sum += kv.key().getBytes(StandardCharsets.UTF_8).length + kv.value().length;
            }
            return sum;
        }
    }

    @ParameterizedTest(name = "seed {0}, at most {1} outcomes for {2} ms")
    @CsvSource({"1, 30, 3000", "2, 1000, 500", "3, 5, 100000", "4, 0, 1000", "5, 200, 0"})
    void agreesWithTheModelOverThousandsOfRandomCommands(long seed, int maxEntries, long ttl) throws IOException {
        IdempotencyPolicy policy = new IdempotencyPolicy(maxEntries, ttl);
        Random random = new Random(seed);
        Model model = new Model(policy);
        KvStateMachine sm = new KvStateMachine(policy);
        RandomCommands commands = new RandomCommands(random, 30)
                .revisionsFrom(key -> model.data.containsKey(key) ? model.data.get(key).modRevision() : 0);
        int[] outcomes = new int[6];
        long index = 0;
        for (int i = 0; i < 10_000; i++) {
            index += 1 + (random.nextInt(8) == 0 ? random.nextInt(3) : 0);
            if (random.nextInt(25) == 0) {
                sm.skip(index);
                model.appliedIndex = index;
                continue;
            }
            KvCommand cmd = commands.next();
            WriteResult expected = model.apply(index, cmd);
            WriteResult actual = sm.apply(index, cmd);
            assertThat(actual).as("seed %d, command #%d at index %d: %s", seed, i, index, cmd).isEqualTo(expected);
            outcomes[kind(actual)]++;

            if (i % 97 == 0) {
                assertSameState(model, sm, random);
            }
            if (i % 1_000 == 999) {
                // continue on a machine restored from a snapshot: nothing may be lost on the way
                KvStateMachine next = new KvStateMachine(policy);
                next.restore(new ByteArrayInputStream(snapshot(sm)));
                sm = next;
            }
        }
        assertSameState(model, sm, random);
        // the random stream really exercised every outcome
        boolean remembers = maxEntries > 0 && ttl > 100; // else outcomes are forgotten before most retries
        for (int k = 0; k < outcomes.length; k++) {
            if (k == kind(WriteResult.IDEMPOTENCY_KEY_REUSED) && !remembers) {
                continue;
            }
            assertThat(outcomes[k]).as("outcome kind %d, seed %d: %s", k, seed, Arrays.toString(outcomes)).isPositive();
        }
        if (remembers) {
            assertThat(model.replays).isGreaterThan(30);
        } else if (maxEntries == 0) {
            assertThat(model.replays).isZero();
        }
    }

    private static int kind(WriteResult r) {
        if (r instanceof WriteResult.Written w) {
            return w.created() ? 0 : 1;
        } else if (r instanceof WriteResult.Deleted) {
            return 2;
        } else if (r instanceof WriteResult.NotFound) {
            return 3;
        } else if (r instanceof WriteResult.PreconditionFailed) {
            return 4;
        }
        return 5;
    }

    private static void assertSameState(Model model, KvStateMachine sm, Random random) {
        assertThat(sm.appliedIndex()).isEqualTo(model.appliedIndex);
        assertThat(sm.keyCount()).isEqualTo(model.data.size());
        assertThat(sm.dataBytes()).isEqualTo(model.dataBytes());
        assertThat(sm.idempotencyKeyCount()).isEqualTo(model.remembered.size());
        for (Map.Entry<String, KeyValue> e : model.data.entrySet()) {
            assertThat(sm.get(e.getKey())).contains(e.getValue());
        }
        // page through everything with a random page size and compare the order too
        List<KeyValue> listed = new ArrayList<>();
        int limit = 1 + random.nextInt(7);
        String startAfter = null;
        do {
            Page page = sm.list("", startAfter, limit);
            listed.addAll(page.items());
            startAfter = page.nextStartAfter();
        } while (startAfter != null);
        assertThat(listed).containsExactlyElementsOf(model.data.values());
        // and a prefix listing against a filter of the model
        String prefix = model.data.isEmpty() ? "a" : randomPrefix(model.data.keySet().iterator(), random);
        List<KeyValue> expected = model.data.values().stream().filter(kv -> kv.key().startsWith(prefix)).toList();
        assertThat(sm.list(prefix, null, 10_000).items()).containsExactlyElementsOf(expected);
    }

    private static String randomPrefix(Iterator<String> keys, Random random) {
        String key = keys.next();
        int cut = random.nextInt(key.length() + 1);
        if (cut > 0 && cut < key.length() && Character.isHighSurrogate(key.charAt(cut - 1))) {
            cut--; // keep the prefix well-formed
        }
        return key.substring(0, cut);
    }
}
