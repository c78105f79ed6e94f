package io.raftkv.raft.storage;

import io.raftkv.raft.Entry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import java.util.stream.Stream;

/**
 * Throughput of fsynced appends through the group-commit front, and recovery time of a large log,
 * on the real file system. Not a test: run it by hand on the disk you care about.
 *
 * <pre>
 *   ./mvnw -q test-compile
 *   java -cp target/classes:target/test-classes io.raftkv.raft.storage.StorageBenchmark [dir] [seconds] [recoveryMiB]
 * </pre>
 * Defaults: {@code target/storage-bench}, 5 seconds per writer count, a 1024 MiB log. The directory
 * is emptied before and after.
 */
public final class StorageBenchmark {
    private static final int ENTRY_BYTES = 100;

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/storage-bench").toAbsolutePath();
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        long recoveryBytes = (args.length > 2 ? Long.parseLong(args[2]) : 1024) << 20;
        System.out.printf("storage benchmark in %s, %d-byte entries, %d s per run, java %s, %d cpus%n",
                dir, ENTRY_BYTES, seconds, System.getProperty("java.version"), Runtime.getRuntime().availableProcessors());

        System.out.printf("%8s %14s %10s %10s %12s %12s%n", "writers", "appends/s", "MB/s", "fsyncs/s", "entries/fsync", "avg latency");
        for (int writers : new int[] {1, 16, 256}) {
            wipe(dir);
            throughput(dir, writers, seconds);
        }
        wipe(dir);
        recovery(dir, recoveryBytes);
        wipe(dir);
    }

    private static void throughput(Path dir, int writers, int seconds) throws Exception {
        DurableLogStore log = DurableLogStore.open(FileDisk.INSTANCE, dir, new StorageHealth(), StorageOptions.defaults());
        log.reset(0, 0);
        LongAdder done = new LongAdder();
        long warmupEnd;
        long end;
        try (GroupCommitLog front = new GroupCommitLog(log, 1, 4096)) {
            long start = System.nanoTime();
            warmupEnd = start + 1_000_000_000L;
            end = warmupEnd + seconds * 1_000_000_000L;
            final long stop = end;
            List<Thread> threads = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                Thread t = new Thread(() -> {
                    byte[] payload = new byte[ENTRY_BYTES];
                    while (System.nanoTime() < stop) {
                        front.submit(payload).join();
                        done.increment();
                    }
                });
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
            while (System.nanoTime() < warmupEnd) {
                Thread.sleep(10);
            }
            long doneAtStart = done.sum();
            long batchesAtStart = front.batches();
            long t0 = System.nanoTime();
            while (System.nanoTime() < end) {
                Thread.sleep(10);
            }
            long appends = done.sum() - doneAtStart;
            long batches = front.batches() - batchesAtStart;
            double secs = (System.nanoTime() - t0) / 1e9;
            for (Thread t : threads) {
                t.join();
            }
            double rate = appends / secs;
            System.out.printf(Locale.ROOT, "%8d %14.0f %10.2f %10.0f %12.1f %10.2f ms%n", writers, rate,
                    rate * ENTRY_BYTES / 1e6, batches / secs, (double) appends / Math.max(1, batches),
                    writers / rate * 1000);
        }
        log.close();
    }

    private static void recovery(Path dir, long targetBytes) throws IOException {
        DurableLogStore log = DurableLogStore.open(FileDisk.INSTANCE, dir, new StorageHealth(), StorageOptions.defaults());
        log.reset(0, 0);
        byte[] payload = new byte[ENTRY_BYTES];
        int recordBytes = DurableLogStore.FRAME_HEADER_BYTES + DurableLogStore.PAYLOAD_HEADER_BYTES + ENTRY_BYTES;
        long entries = targetBytes / recordBytes;
        long writeStart = System.nanoTime();
        List<Entry> batch = new ArrayList<>(8192);
        for (long i = 1; i <= entries; i++) {
            batch.add(Entry.command(i, 1 + i / 1_000_000, payload));
            if (batch.size() == 8192 || i == entries) {
                log.append(batch);
                batch.clear();
            }
        }
        double writeSecs = (System.nanoTime() - writeStart) / 1e9;
        log.close();
        long bytes = size(dir);
        System.out.printf(Locale.ROOT, "wrote a %.0f MiB log of %d entries in %.1f s (%.0f MB/s in 8192-entry batches)%n",
                bytes / 1048576.0, entries, writeSecs, bytes / writeSecs / 1e6);

        for (int run = 1; run <= 2; run++) {
            long t0 = System.nanoTime();
            DurableLogStore reopened = DurableLogStore.open(FileDisk.INSTANCE, dir, new StorageHealth(), StorageOptions.defaults());
            double secs = (System.nanoTime() - t0) / 1e9;
            if (reopened.lastIndex() != entries) {
                throw new IllegalStateException("recovered " + reopened.lastIndex() + " entries, wrote " + entries);
            }
            System.out.printf(Locale.ROOT, "recovery %d (%s page cache): %.2f s for %d entries, %.0f MB/s checked%n", run,
                    run == 1 ? "warm from writing," : "warm", secs, entries, bytes / secs / 1e6);
            reopened.close();
        }
    }

    private static long size(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static void wipe(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(dir);
    }
}
