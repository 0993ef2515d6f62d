package dev.shard4j.models.text;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The tarball reader and the all-or-nothing publication of a cache folder. */
class NpmTarballTest {
  @TempDir
  Path dir;

  @Test
  void extractsRegularFilesWithoutTheTopFolder() throws IOException {
    Map<String, byte[]> files = randomFiles(new SplittableRandom(3), 7);
    Path tgz = dir.resolve("p.tgz");
    Files.write(tgz, Tar.gzip(Tar.entries(files, "package/")));
    Path out = Files.createDirectory(dir.resolve("out"));
    assertEquals(files.size(), NpmTarball.extract(tgz, out));
    for (Map.Entry<String, byte[]> e : files.entrySet()) {
      assertTrue(java.util.Arrays.equals(e.getValue(), Files.readAllBytes(out.resolve(e.getKey()))), e.getKey());
    }
  }

  @Test
  void readsUstarPrefixes() throws IOException {
    Tar tar = new Tar();
    tar.add("file.txt", "package/" + "d".repeat(90), '0', "long".getBytes(StandardCharsets.US_ASCII));
    Path tgz = dir.resolve("p.tgz");
    Files.write(tgz, Tar.gzip(tar.finish()));
    Path out = Files.createDirectory(dir.resolve("out"));
    NpmTarball.extract(tgz, out);
    assertEquals("long", Files.readString(out.resolve("d".repeat(90)).resolve("file.txt")));
  }

  @Test
  void refusesPathsThatLeaveTheFolder() {
    // Unique, so that a file another run left behind does not fail this one.
    String escape = "escaped-" + Long.toHexString(System.nanoTime());
    for (String name : List.of("package/../../" + escape, "/tmp/" + escape, "../" + escape,
        "package/a/../../../" + escape, "package")) {
      Tar tar = new Tar();
      tar.add(name, "", '0', new byte[] {1});
      IOException e = assertThrows(IOException.class, () -> extract(tar.finish()), name);
      assertTrue(e.getMessage().contains(name), e.getMessage());
    }
    assertTrue(Files.notExists(dir.getParent().resolve(escape)));
  }

  @Test
  void refusesLinksCorruptionAndTruncation() throws IOException {
    Tar link = new Tar();
    link.add("package/link", "", '2', new byte[0]);
    assertTrue(assertThrows(IOException.class, () -> extract(link.finish())).getMessage().contains("type '2'"));

    byte[] good = Tar.entries(Map.of("a", new byte[1000]), "package/");
    byte[] corrupt = good.clone();
    corrupt[3] ^= 1;
    assertTrue(assertThrows(IOException.class, () -> extract(corrupt)).getMessage().contains("checksum"));
    byte[] cut = java.util.Arrays.copyOf(good, 700);
    assertThrows(IOException.class, () -> extract(cut));

    Path notGzip = dir.resolve("plain.tgz");
    Files.write(notGzip, good);
    IOException e = assertThrows(IOException.class, () -> NpmTarball.extract(notGzip, dir));
    assertTrue(e.getMessage().contains(notGzip.toString()), e.getMessage());
  }

  @Test
  @Timeout(60)
  void racingPublishersLeaveOneWholeFolder() throws Exception {
    Map<String, byte[]> files = new LinkedHashMap<>(randomFiles(new SplittableRandom(5), 0));
    for (String name : List.of("ca01", "ca02", "cb01", "cr09")) {
      files.put(name, ("text of " + name).getBytes(StandardCharsets.US_ASCII));
    }
    files.put("package.json", "{\"version\": \"1.9.80\"}".getBytes(StandardCharsets.US_ASCII));
    Path tgz = dir.resolve("p.tgz");
    Files.write(tgz, Tar.gzip(Tar.entries(files, "package/")));
    Path target = dir.resolve("corpus");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> runs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        runs.add(pool.submit(() -> {
          BrownCorpus.publish(tgz, target, 4);
          return null;
        }));
      }
      for (Future<?> run : runs) {
        run.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertEquals(List.of("ca01", "ca02", "cb01", "cr09"),
        BrownCorpus.textFiles(target).stream().map(p -> p.getFileName().toString()).toList());
    try (Stream<Path> left = Files.list(dir)) {
      assertEquals(List.of("corpus", "p.tgz"), left.map(p -> p.getFileName().toString()).sorted().toList());
    }
    IOException e = assertThrows(IOException.class, () -> BrownCorpus.publish(tgz, dir.resolve("other"), 5));
    assertTrue(e.getMessage().contains("4 corpus files, expected 5"), e.getMessage());
    assertTrue(Files.notExists(dir.resolve("other")));
  }

  private void extract(byte[] tar) throws IOException {
    Path tgz = Files.createTempFile(dir, "t", ".tgz");
    Files.write(tgz, Tar.gzip(tar));
    Path out = Files.createTempDirectory(dir, "out");
    NpmTarball.extract(tgz, out);
  }

  private static Map<String, byte[]> randomFiles(SplittableRandom random, int count) {
    Map<String, byte[]> files = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      byte[] bytes = new byte[random.nextInt(0, 3000)];
      random.nextBytes(bytes);
      files.put((i % 3 == 0 ? "sub/" : "") + "f" + i, bytes);
    }
    return files;
  }

  /** Writes ustar archives as npm does, and broken ones. */
  static final class Tar {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    static byte[] entries(Map<String, byte[]> files, String prefix) {
      Tar tar = new Tar();
      for (Map.Entry<String, byte[]> e : files.entrySet()) {
        tar.add(prefix + e.getKey(), "", '0', e.getValue());
      }
      return tar.finish();
    }

    void add(String name, String ustarPrefix, char type, byte[] data) {
      byte[] header = new byte[512];
      put(header, 0, name);
      put(header, 100, "0000644");
      put(header, 108, "0000000");
      put(header, 116, "0000000");
      put(header, 124, String.format("%011o", data.length));
      put(header, 136, String.format("%011o", 0));
      header[156] = (byte) type;
      put(header, 257, "ustar");
      put(header, 263, "00");
      put(header, 345, ustarPrefix);
      for (int i = 148; i < 156; i++) {
        header[i] = ' ';
      }
      int sum = 0;
      for (byte b : header) {
        sum += b & 0xFF;
      }
      put(header, 148, String.format("%06o", sum));
      header[154] = 0;
      out.writeBytes(header);
      out.writeBytes(data);
      out.writeBytes(new byte[(512 - data.length % 512) % 512]);
    }

    byte[] finish() {
      out.writeBytes(new byte[1024]);
      return out.toByteArray();
    }

    static byte[] gzip(byte[] bytes) {
      ByteArrayOutputStream buffer = new ByteArrayOutputStream();
      try (OutputStream gz = new GZIPOutputStream(buffer)) {
        gz.write(bytes);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      return buffer.toByteArray();
    }

    private static void put(byte[] header, int offset, String text) {
      byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
      System.arraycopy(bytes, 0, header, offset, bytes.length);
    }
  }
}
