package dev.shard4j.parallel.fsdp;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Files published whole or not at all: the content goes to a temporary name beside the final one,
 * is forced to disk and then renamed over the final name in one atomic step, so that a reader (or
 * a crash at any moment) finds the final name absent, with its old content, or with the whole new
 * content, never a part. Each write reports the CRC32C and size of what it wrote, for an index to
 * name. Making the rename itself durable is {@link #syncFolder}, left to the caller so that one
 * folder sync covers several files. Static helpers, safe on any thread.
 */
final class AtomicFiles {
  /** What a step of a write reached; a fault hook may stop the write there, as a crash would. */
  interface Progress {
    /**
     * Called between the system calls of a write.
     *
     * @param point "write" after each chunk written to the temporary file, "forced" after it is on
     *     disk, "renamed" once the final name holds it
     * @throws IOException to stop the write there, leaving the files as they are
     */
    void at(String point) throws IOException;
  }

  /** The content of a file, written to the channel in as many calls as it likes. */
  interface Content {
    /**
     * Writes the content.
     *
     * @param out where to write; every byte counts towards the size and the checksum
     * @throws IOException when writing fails
     */
    void writeTo(WritableByteChannel out) throws IOException;
  }

  /** The size and CRC32C of a file's content. */
  record Written(long bytes, int crc32c) {
    /** The checksum as 8 lower-case hex digits, as indexes store it. */
    String crcHex() {
      return String.format("%08x", crc32c);
    }
  }

  /** The suffix of temporary files; a folder's cleanup may delete any name that ends with it. */
  static final String TEMP_SUFFIX = ".tmp";

  private static final int CHUNK = 1 << 20;

  private AtomicFiles() {}

  /**
   * Writes the content to {@code name + ".tmp"} in the folder, forces it to disk, and renames it
   * atomically over {@code name}. A failure leaves the temporary file behind (as a crash would)
   * and the final name untouched.
   *
   * @param dir the folder
   * @param name the final file name
   * @param content what to write
   * @param progress told of each step
   * @return the size and checksum of what the final name now holds
   * @throws IOException when a write, the force or the rename fails, or progress stops it
   */
  static Written publish(Path dir, String name, Content content, Progress progress) throws IOException {
    Path temp = dir.resolve(name + TEMP_SUFFIX);
    Counting out;
    try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      out = new Counting(ch, progress);
      content.writeTo(out);
      ch.force(true); // the data is on disk before any name can point at it
      progress.at("forced");
    }
    Files.move(temp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    progress.at("renamed");
    return new Written(out.bytes, (int) out.crc.getValue());
  }

  /** Writes everything it is given to the file, summing its size and CRC32C on the way. */
  private static final class Counting implements WritableByteChannel {
    private final FileChannel file;
    private final Progress progress;
    private final CRC32C crc = new CRC32C();
    private long bytes;

    Counting(FileChannel file, Progress progress) {
      this.file = file;
      this.progress = progress;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      ByteBuffer written = src.duplicate();
      int n = 0;
      while (src.hasRemaining()) {
        n += file.write(src);
      }
      crc.update(written.limit(written.position() + n));
      bytes += n;
      progress.at("write");
      return n;
    }

    @Override
    public boolean isOpen() {
      return file.isOpen();
    }

    @Override
    public void close() {
      // publish closes the file, once forced
    }
  }

  /**
   * Forces the folder's entries to disk: the renames and creations in it so far survive a power
   * loss. File systems that cannot open a folder for reading (Windows) order renames themselves.
   *
   * @param dir the folder
   * @throws IOException when the sync fails
   */
  static void syncFolder(Path dir) throws IOException {
    FileChannel ch;
    try {
      ch = FileChannel.open(dir, StandardOpenOption.READ);
    } catch (IOException e) {
      if (System.getProperty("os.name", "").startsWith("Windows")) {
        return;
      }
      throw e;
    }
    try (ch) {
      ch.force(true);
    }
  }

  /**
   * Reads a file through and returns its size and CRC32C.
   *
   * @param file the file
   * @return what it holds
   * @throws NoSuchFileException when it is missing
   * @throws IOException when it cannot be read
   */
  static Written checksum(Path file) throws IOException {
    CRC32C crc = new CRC32C();
    long bytes = 0;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocateDirect(CHUNK);
      for (int n; (n = ch.read(b.clear())) >= 0; ) {
        crc.update(b.flip());
        bytes += n;
      }
    }
    return new Written(bytes, (int) crc.getValue());
  }
}
