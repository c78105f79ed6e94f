package io.raftkv.watch;

import io.raftkv.kv.KvCommand;
import io.raftkv.kv.KvEvent;
import io.raftkv.kv.KvStateMachine;
import io.raftkv.kv.Precondition;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * What watchers cost the apply thread, in one JVM: puts applied one every 200 µs (as a busy node's
 * apply thread sees them), with no watcher and with many watching their prefix, each sink taking
 * every event. Prints the time an apply call takes (p50, p99, max, the watch hub's listener
 * included), the apply rate reached and when the last watcher had every event. Not a test: run it
 * by hand.
 *
 * <pre>
 *   ./mvnw -q test-compile
 *   java -cp target/classes:target/test-classes io.raftkv.watch.WatchFanOutBenchmark [watchers] [puts]
 * </pre>
 * Defaults: 1000 watchers, 10000 puts; each count is run twice, the first as warm-up.
 */
public final class WatchFanOutBenchmark {

    public static void main(String[] args) throws Exception {
        int watchers = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int puts = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        for (int round = 0; round < 2; round++) {
            for (int w : new int[] {0, watchers}) {
                run(w, puts, round == 0);
            }
        }
        System.exit(0);
    }

    private static void run(int watchers, int puts, boolean warmUp) throws InterruptedException {
        KvStateMachine sm = new KvStateMachine();
        WatchHub hub = new WatchHub(sm, new WatchHub.Bounds(100_000, 1L << 30, Duration.ofMinutes(10), watchers + 1), System::nanoTime);
        AtomicLong delivered = new AtomicLong();
        for (int i = 0; i < watchers; i++) {
            hub.start(new WatchStream(hub, k -> k.startsWith("p/"), () -> null, 0, Duration.ofSeconds(10), new WatchStream.Sink() {
                @Override
                public void events(long revision, List<KvEvent> events) {
                    delivered.addAndGet(events.size());
                }

                @Override
                public void bookmark(long revision) {
                }

                @Override
                public void gone(long resumeRevision, long oldestRevision) {
                }

                @Override
                public void forbidden(long revision, String why) {
                }

                @Override
                public void end() {
                }
            }));
        }
        long[] nanos = new long[puts];
        long started = System.nanoTime();
        for (int i = 1; i <= puts; i++) {
            long t = System.nanoTime();
            sm.apply(i, new KvCommand.Put("p/" + i % 100, new byte[100], null, Precondition.NONE, null, 0));
            nanos[i - 1] = System.nanoTime() - t;
            LockSupport.parkNanos(200_000);
        }
        long applied = System.nanoTime();
        long deadline = applied + TimeUnit.SECONDS.toNanos(60);
        while (delivered.get() < (long) puts * watchers && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        long done = System.nanoTime();
        hub.close();
        Arrays.sort(nanos);
        System.out.printf("%s%d watchers: apply call p50 %.1f us, p99 %.1f us, max %.1f us; %.0f puts/s applied;"
                        + " every watcher had every event %.2f s after the first put (%d of %d)%n",
                warmUp ? "(warm-up) " : "", watchers, nanos[puts / 2] / 1e3, nanos[puts * 99 / 100] / 1e3, nanos[puts - 1] / 1e3,
                puts / ((applied - started) / 1e9), (done - started) / 1e9, delivered.get(), (long) puts * watchers);
    }
}
