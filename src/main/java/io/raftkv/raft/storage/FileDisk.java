package io.raftkv.raft.storage;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/** The real {@link Disk}: {@link FileChannel}s on the local file system. */
public final class FileDisk implements Disk {

    private static final System.Logger LOG = System.getLogger(FileDisk.class.getName());

    public static final FileDisk INSTANCE = new FileDisk();

    private FileDisk() {
    }

    @Override
    public void createDirectories(Path dir) throws IOException {
        Files.createDirectories(dir);
    }

    @Override
    public DiskFile open(Path file) throws IOException {
        return new Channel(FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    @Override
    public DiskFile create(Path file) throws IOException {
        return new Channel(FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE,
                StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING));
    }

    @Override
    public boolean exists(Path file) {
        return Files.exists(file);
    }

    @Override
    public List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            List<String> names = new ArrayList<>();
            s.forEach(p -> names.add(p.getFileName().toString()));
            return names;
        }
    }

    @Override
    public void rename(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void delete(Path file) throws IOException {
        Files.deleteIfExists(file);
    }

    /** On one thread for the whole process, in order; a delete that fails is logged and left to the next start. */
    @Override
    public void discard(Path file) {
        Discarder.THREAD.execute(() -> {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "could not delete " + file + " (it is deleted at the next start)", e);
            }
        });
    }

    /** Started on the first discard. A daemon: what it has not deleted at exit is deleted at the next start. */
    private static final class Discarder {
        static final ExecutorService THREAD = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "raftkv-file-discard");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void syncDirectory(Path dir) throws IOException {
        // On Linux an fsync of the directory is what makes a rename or create survive a power
        // cut; opening a directory read-only and forcing it is how Java reaches that call.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public Closeable lock(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // held by this very process
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        if (lock == null) {
            ch.close();
            throw new IOException(file + " is locked by another process: is another node using this data directory?");
        }
        return ch::close; // closing the channel releases the lock
    }

    private record Channel(FileChannel ch) implements DiskFile {
        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return ch.read(dst, position);
        }

        @Override
        public void write(ByteBuffer src, long position) throws IOException {
            while (src.hasRemaining()) {
                position += ch.write(src, position);
            }
        }

        @Override
        public void truncate(long size) throws IOException {
            ch.truncate(size);
        }

        @Override
        public void force() throws IOException {
            // fdatasync: it still flushes the file size, which is all the metadata an append or a
            // truncate changes, and skips the timestamps that would cost a second journal write.
            ch.force(false);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
