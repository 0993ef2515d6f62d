package dev.shard4j.parallel.fsdp;

import static dev.shard4j.parallel.fsdp.CheckpointCrashChild.WORLD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.shard4j.tensor.Allocator;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint folder saved into again and again always loads: after a child JVM saving in a loop
 * is killed with SIGKILL at random moments, and after a save is stopped at each of its steps in
 * turn. What loads is bit for bit the state of an uninterrupted run at the checkpoint's step.
 */
class CheckpointCrashTest {
  /** The child stops here; no run gets near it (about 3 steps per life). */
  private static final int LAST_STEP = 1000;
  private static final int KILLS = 50;
  private static final int CHILDREN_AT_ONCE = 2;
  private static final Allocator REFERENCE_MEMORY = Allocator.root("crash-test-reference");
  /** The uninterrupted run: reference.get(rank).get(step) is what a checkpoint of the step holds. */
  private static List<List<float[]>> reference;
  private final Allocator allocator = Allocator.root("crash-test");

  @BeforeAll
  static void uninterruptedRun() throws Exception {
    reference = new ArrayList<>();
    for (Object o : CheckpointCrashChild.onRanks(REFERENCE_MEMORY, (g, rank) -> {
      List<float[]> states = new ArrayList<>(List.of(CheckpointCrashChild.state(g)));
      for (int s = 1; s <= LAST_STEP; s++) {
        CheckpointCrashChild.trainStep(g, REFERENCE_MEMORY, s);
        states.add(CheckpointCrashChild.state(g));
      }
      return states;
    })) {
      if (o instanceof Throwable t) {
        throw new AssertionError("the reference run failed", t);
      }
      @SuppressWarnings("unchecked")
      List<float[]> states = (List<float[]>) o;
      reference.add(states);
    }
  }

  @AfterAll
  static void freeReference() {
    REFERENCE_MEMORY.close();
  }

  @AfterEach
  void close() {
    ShardCheckpoint.faults = null;
    allocator.close();
  }

  private static boolean sameBits(float[] a, float[] b) {
    if (a.length != b.length) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
        return false;
      }
    }
    return true;
  }

  /**
   * Loads the folder on two ranks and checks the state against the reference; returns the step,
   * -1 when the folder holds no index, or throws an AssertionError saying what did not load.
   */
  private long loadsAsReference(Path dir) throws Exception {
    if (!Files.exists(dir.resolve(CheckpointIndex.NAME))) {
      return -1;
    }
    List<Object> got = CheckpointCrashChild.onRanks(allocator, (g, rank) -> {
      ShardCheckpoint.load(g, dir);
      return new Object[] {g.steps(), CheckpointCrashChild.state(g)};
    });
    long step = -1;
    for (int r = 0; r < WORLD; r++) {
      if (got.get(r) instanceof Throwable t) {
        throw new AssertionError(dir + " does not load on rank " + r + "; files " + list(dir), t);
      }
      Object[] loaded = (Object[]) got.get(r);
      step = (long) loaded[0];
      assertTrue(sameBits(reference.get(r).get((int) step), (float[]) loaded[1]),
          dir + ": rank " + r + " loads another state than the reference's at step " + step);
    }
    return step;
  }

  private static List<String> list(Path dir) throws IOException {
    try (var files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  // ---- a save stopped at each of its steps ----------------------------------------------------

  @Test
  @Timeout(120)
  void aSaveStoppedAtAnyStepLeavesTheOldOrTheNewCheckpoint(@TempDir Path dir) throws Exception {
    Path base = dir.resolve("base");
    saveSteps(base, 1);
    List<List<String>> points = List.of(Collections.synchronizedList(new ArrayList<>()),
        Collections.synchronizedList(new ArrayList<>()));
    ShardCheckpoint.faults = (point, rank) -> points.get(rank).add(point);
    Path counted = copy(base, dir.resolve("counted"));
    resumeAndSave(counted);
    ShardCheckpoint.faults = null;
    assertTrue(points.get(0).containsAll(List.of("start", "data forced", "data renamed", "pending renamed", "synced",
        "arrived", "index forced", "index renamed", "committed", "deleted")), points.get(0).toString());
    int stops = 0;
    for (int victim = 0; victim < WORLD; victim++) {
      for (int k = 0; k < points.get(victim).size(); k++) {
        String point = points.get(victim).get(k);
        Path d = copy(base, dir.resolve("stopped-" + victim + "-" + k));
        AtomicInteger seen = new AtomicInteger();
        int rankToStop = victim;
        int stopAt = k;
        ShardCheckpoint.faults = (p, rank) -> {
          if (rank == rankToStop && seen.getAndIncrement() == stopAt) {
            throw new IOException("stopped at " + p);
          }
        };
        List<Object> results = resumeAndSave(d);
        ShardCheckpoint.faults = null;
        for (Object o : results) {
          assertInstanceOf(Exception.class, o, "rank " + victim + " stopped at " + point + ": every rank fails");
        }
        boolean committed = victim == 0 && Set.of("index renamed", "committed", "deleted").contains(point);
        assertEquals(committed ? 2 : 1, loadsAsReference(d), "rank " + victim + " stopped at " + point + " (" + k
            + "), files " + list(d));
        // The next save commits and deletes whatever the stopped one left.
        resumeAndSave(d).forEach(o -> assertEquals("saved", o, String.valueOf(o)));
        assertEquals(committed ? 3 : 2, loadsAsReference(d));
        assertEquals(WORLD + 1, list(d).size(), "only the index and the rank files remain: " + list(d));
        stops++;
      }
    }
    assertTrue(stops > 20, "stopped at " + stops + " points");
  }

  @Test
  @Timeout(60)
  void aSaveThatCannotWriteItsIndexLeavesThePreviousCheckpoint(@TempDir Path dir) throws Exception {
    saveSteps(dir, 1);
    // A folder where the index's temporary file should go: the rank files are written, then the
    // commit fails on rank 0, and rank 1 learns of it at the barrier.
    Files.createDirectory(dir.resolve(CheckpointIndex.NAME + AtomicFiles.TEMP_SUFFIX));
    List<Object> failed = resumeAndSave(dir);
    IOException e = assertInstanceOf(IOException.class, failed.get(0), String.valueOf(failed.get(0)));
    assertTrue(e.getMessage().contains(CheckpointIndex.NAME + AtomicFiles.TEMP_SUFFIX), e.getMessage());
    assertInstanceOf(RuntimeException.class, failed.get(1), String.valueOf(failed.get(1)));
    assertEquals(1, loadsAsReference(dir));
    Files.delete(dir.resolve(CheckpointIndex.NAME + AtomicFiles.TEMP_SUFFIX));
    resumeAndSave(dir).forEach(o -> assertEquals("saved", o, String.valueOf(o)));
    assertEquals(2, loadsAsReference(dir));
    assertEquals(WORLD + 1, list(dir).size(), "only the index and the rank files remain: " + list(dir));
  }

  /** Trains from scratch to the step, saving into the folder. */
  private void saveSteps(Path dir, int steps) throws Exception {
    for (Object o : CheckpointCrashChild.onRanks(allocator, (g, rank) -> {
      for (int s = 1; s <= steps; s++) {
        CheckpointCrashChild.trainStep(g, allocator, s);
      }
      ShardCheckpoint.save(g, dir);
      return "saved";
    })) {
      assertEquals("saved", o, String.valueOf(o));
    }
  }

  /** Loads the folder, trains one step and saves into it; returns each rank's "saved" or exception. */
  private List<Object> resumeAndSave(Path dir) throws Exception {
    return CheckpointCrashChild.onRanks(allocator, (g, rank) -> {
      ShardCheckpoint.load(g, dir);
      CheckpointCrashChild.trainStep(g, allocator, g.steps() + 1);
      ShardCheckpoint.save(g, dir);
      return "saved";
    });
  }

  private static Path copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    for (String f : list(from)) {
      Files.copy(from.resolve(f), to.resolve(f));
    }
    return to;
  }

  // ---- child JVMs killed with SIGKILL ----------------------------------------------------------

  /** What the kills of one folder found. */
  private record Kills(int kills, int committed, int unloadable, Map<String, Integer> lastPoint, List<String> errors,
      double saveNanos) {}

  @Test
  @Timeout(300)
  void childrenKilledWhileSavingLeaveTheNewestCheckpointLoadable(@TempDir Path dir) throws Exception {
    long started = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(CHILDREN_AT_ONCE);
    List<Future<Kills>> runs = new ArrayList<>();
    try {
      for (int c = 0; c < CHILDREN_AT_ONCE; c++) {
        Path folder = dir.resolve("run-" + c);
        Random random = new Random(20240617L + c);
        int kills = KILLS / CHILDREN_AT_ONCE + (c < KILLS % CHILDREN_AT_ONCE ? 1 : 0);
        runs.add(pool.submit(() -> killRepeatedly(folder, random, kills)));
      }
      int kills = 0;
      int committed = 0;
      int unloadable = 0;
      Map<String, Integer> lastPoint = new TreeMap<>();
      List<String> errors = new ArrayList<>();
      double saveNanos = 0;
      for (Future<Kills> f : runs) {
        Kills k = f.get(280, TimeUnit.SECONDS);
        kills += k.kills();
        committed += k.committed();
        unloadable += k.unloadable();
        k.lastPoint().forEach((p, n) -> lastPoint.merge(p, n, Integer::sum));
        errors.addAll(k.errors());
        saveNanos += k.saveNanos() / CHILDREN_AT_ONCE;
      }
      System.out.printf("SIGKILL test: %d kills in %.1f s (a save about %.1f ms), %d after the commit of the save under"
          + " way, %d unloadable; the child's last step reported before each kill: %s%n", kills,
          (System.nanoTime() - started) / 1e9, saveNanos / 1e6, committed, unloadable, lastPoint);
      assertEquals(List.of(), errors);
      assertEquals(0, unloadable);
      assertTrue(kills >= KILLS, kills + " kills");
    } finally {
      pool.shutdownNow();
    }
  }

  /** Starts a child on the folder again and again, each time killing it during one of its saves. */
  private Kills killRepeatedly(Path dir, Random random, int kills) throws Exception {
    long newest = -1; // the folder's checkpoint step; -1 before the first commit
    double saveNanos = 5e6; // how long a save takes, learnt from the children
    int done = 0;
    int committed = 0;
    int unloadable = 0;
    Map<String, Integer> lastPoint = new TreeMap<>();
    List<String> errors = new ArrayList<>();
    while (done < kills && errors.isEmpty()) {
      Life life = new Life(dir);
      try {
        int victim = random.nextInt(3); // the save during which it dies: the first, second or third of this life
        long delay = (long) (random.nextDouble() * 1.3 * saveNanos);
        long savingSince = 0;
        int saves = 0;
        for (String line; (line = life.next()) != null; ) {
          String[] f = line.split(" ");
          switch (f[0]) {
            case "resumed" -> {
              if (Long.parseLong(f[1]) != Math.max(newest, 0)) {
                errors.add(dir + ": the child resumed at step " + f[1] + ", the newest checkpoint is " + newest);
              }
            }
            case "state" -> {
              float[] expected = reference.get(Integer.parseInt(f[2])).get(Integer.parseInt(f[1]));
              if (!CheckpointCrashChild.crc(expected).equals(f[3])) {
                errors.add(dir + ": rank " + f[2] + " left the reference's curve at step " + f[1]);
              }
            }
            case "saving" -> {
              life.lastSaving = Long.parseLong(f[1]);
              savingSince = System.nanoTime();
              if (saves++ == victim && !life.killed) {
                LockSupport.parkNanos(delay);
                life.kill();
              }
            }
            case "saved" -> {
              life.lastSaved = Long.parseLong(f[1]);
              saveNanos = 0.8 * saveNanos + 0.2 * (System.nanoTime() - savingSince);
            }
            case "at" -> life.lastPoint = line.substring(3);
            default -> { } // the JVM's own output
          }
        }
        if (!life.killed) {
          errors.add(dir + ": the child ended by itself:\n" + life.tail());
          break;
        }
        assertTrue(life.process.waitFor(30, TimeUnit.SECONDS), "a killed child is gone");
        done++;
        long step;
        try {
          step = loadsAsReference(dir);
        } catch (AssertionError e) {
          unloadable++;
          errors.add(e.getMessage() + "\n" + life.tail());
          break;
        }
        if (step < newest || step < life.lastSaved || step > Math.max(life.lastSaving, newest)) {
          errors.add(dir + ": after the kill the checkpoint is at step " + step + "; before it the newest was " + newest
              + ", the last save that returned " + life.lastSaved + ", the last begun " + life.lastSaving);
        }
        boolean commitOfTheKilledSave = step == life.lastSaving && life.lastSaved < life.lastSaving;
        committed += commitOfTheKilledSave ? 1 : 0;
        String where = life.lastSaved == life.lastSaving ? "between saves" : life.lastPoint;
        lastPoint.merge(where, 1, Integer::sum);
        newest = step;
      } finally {
        life.process.destroyForcibly();
      }
    }
    return new Kills(done, committed, unloadable, lastPoint, errors, saveNanos);
  }

  /** One child JVM, its lines as they come, and what the parent saw of it. */
  private static final class Life {
    private static final String EOF = "\u0000eof";
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    final List<String> seen = new ArrayList<>();
    boolean killed;
    long lastSaving = -1;
    long lastSaved = -1;
    String lastPoint = "before the first step of a save";

    Life(Path dir) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
        if (arg.startsWith("-D") || arg.startsWith("--enable-native-access") || arg.startsWith("-Xss")) {
          cmd.add(arg); // the native libraries' cache and access, as the tests run them
        }
      }
      // A small short-lived JVM: the kills are bounded by start-up time.
      cmd.addAll(List.of("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m", "-XX:-UsePerfData", "-cp",
          System.getProperty("java.class.path"), CheckpointCrashChild.class.getName(), dir.toString(),
          Integer.toString(LAST_STEP)));
      process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      Thread reader = new Thread(() -> {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; ) {
            lines.add(line);
          }
        } catch (IOException e) {
          // the child is gone
        } finally {
          lines.add(EOF);
        }
      }, "crash-child-output");
      reader.setDaemon(true);
      reader.start();
    }

    /** The next line, or null at the end of the child's output. */
    String next() throws InterruptedException {
      String line = lines.poll(60, TimeUnit.SECONDS);
      if (line == null) {
        throw new AssertionError("the child printed nothing for 60 s:\n" + tail());
      }
      if (line.equals(EOF)) {
        return null;
      }
      seen.add(line);
      return line;
    }

    void kill() {
      process.destroyForcibly(); // SIGKILL on Linux
      killed = true;
    }

    String tail() {
      return String.join("\n", seen.subList(Math.max(0, seen.size() - 40), seen.size()));
    }
  }
}
