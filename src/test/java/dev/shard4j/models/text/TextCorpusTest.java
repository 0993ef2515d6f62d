package dev.shard4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading text from a file, a folder or a zip, and the errors for bad data. */
class TextCorpusTest {
  @TempDir
  Path dir;

  @Test
  void readsAFileAsItIs() throws IOException {
    byte[] bytes = new byte[4099];
    new SplittableRandom(11).nextBytes(bytes);
    Path file = Files.write(dir.resolve("data.bin"), bytes);
    TextCorpus corpus = TextCorpus.read(file);
    assertArrayEquals(bytes, corpus.bytes());
    assertEquals(1, corpus.files());
    assertEquals(4099, corpus.size());
    assertArrayEquals(ByteTokens.encode(bytes), corpus.tokens());
    assertEquals(file + ": 1 file, 4,099 bytes", corpus.describe());
  }

  @Test
  void joinsAFolderInPathOrderSkippingEmptyFiles() throws IOException {
    Path root = Files.createDirectory(dir.resolve("texts"));
    Files.createDirectories(root.resolve("b/c"));
    Files.writeString(root.resolve("b/c/z.txt"), "third");
    Files.writeString(root.resolve("b/a.txt"), "second");
    Files.writeString(root.resolve("a.txt"), "first\n");
    Files.writeString(root.resolve("c.txt"), "");
    Files.writeString(root.resolve("d"), "fourth");
    TextCorpus corpus = TextCorpus.read(root);
    assertEquals("first\n\nsecond\nthird\nfourth", new String(corpus.bytes(), StandardCharsets.UTF_8));
    assertEquals(4, corpus.files());
    assertTrue(corpus.describe().startsWith(root + ": 4 files, "), corpus.describe());
  }

  @Test
  void joinsZipEntriesInNameOrder() throws IOException {
    Path zip = dir.resolve("Texts.ZIP");
    writeZip(zip, Map.of("z.txt", "last", "a/b.txt", "middle", "a/a.txt", "first", "empty.txt", ""));
    TextCorpus corpus = TextCorpus.read(zip);
    assertEquals("first\nmiddle\nlast", new String(corpus.bytes(), StandardCharsets.UTF_8));
    assertEquals(3, corpus.files());
  }

  @Test
  void namesThePathOfMissingEmptyOrBrokenData() throws IOException {
    Path missing = dir.resolve("nothing-here.txt");
    assertMessageNames(missing, "does not exist");

    Path empty = Files.createFile(dir.resolve("empty.txt"));
    assertMessageNames(empty, "is empty");

    Path emptyDir = Files.createDirectories(dir.resolve("hollow/inner"));
    Files.createFile(emptyDir.resolve("zero"));
    assertMessageNames(dir.resolve("hollow"), "is empty");

    Path emptyZip = dir.resolve("empty.zip");
    writeZip(emptyZip, Map.of("a.txt", ""));
    assertMessageNames(emptyZip, "is empty");

    Path notZip = Files.writeString(dir.resolve("fake.zip"), "not a zip at all");
    assertMessageNames(notZip, "zip");

    assertThrows(IllegalArgumentException.class, () -> TextCorpus.read(null));
    assertThrows(IllegalArgumentException.class, () -> TextCorpus.of("t", new byte[0]));
  }

  @Test
  void namesAnUnreadableFile() throws IOException {
    Path secret = Files.writeString(dir.resolve("secret.txt"), "hidden");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("---------"));
    try {
      assumeFalse(Files.isReadable(secret), "this user reads files whatever their permissions (root)");
      assertMessageNames(secret, "cannot read");
      Path folder = Files.createDirectory(dir.resolve("folder"));
      Files.move(secret, folder.resolve("secret.txt"));
      IOException e = assertThrows(IOException.class, () -> TextCorpus.read(folder));
      assertTrue(e.getMessage().contains(folder.resolve("secret.txt").toString()), e.getMessage());
    } finally {
      Files.walk(dir).filter(Files::isRegularFile).forEach(p -> p.toFile().setReadable(true));
    }
  }

  private static void assertMessageNames(Path path, String what) {
    IOException e = assertThrows(IOException.class, () -> TextCorpus.read(path));
    assertTrue(e.getMessage().contains(path.toString()) && e.getMessage().contains(what), e.getMessage());
  }

  private static void writeZip(Path zip, Map<String, String> entries) throws IOException {
    try (OutputStream file = Files.newOutputStream(zip); ZipOutputStream out = new ZipOutputStream(file)) {
      out.putNextEntry(new ZipEntry("a/"));
      out.closeEntry();
      for (Map.Entry<String, String> e : entries.entrySet()) {
        out.putNextEntry(new ZipEntry(e.getKey()));
        out.write(e.getValue().getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
      }
    }
  }
}
