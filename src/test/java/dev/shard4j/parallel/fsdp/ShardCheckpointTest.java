package dev.shard4j.parallel.fsdp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.kernels.AdamW;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded checkpoints round-trip bit for bit, across world sizes. */
class ShardCheckpointTest {
  private static final List<ParamSpec> SPECS = List.of(ParamSpec.of("w", 13, 5), ParamSpec.of("b", 7),
      ParamSpec.of("s", 1), ParamSpec.of("e", 3, 2, 2));
  private static final AdamW ADAMW = new AdamW(1e-2, 0.9, 0.99, 1e-8, 0.05);
  private final Allocator allocator = Allocator.root("checkpoint-test");

  @AfterEach
  void close() {
    allocator.close();
  }

  private interface Body {
    Object run(ShardGroup group, Communicator comm) throws Exception;
  }

  /** Makes a group on each of world ranks (same seeded init) and runs body on every rank. */
  private List<Object> onGroups(int world, Body body) throws Exception {
    List<Communicator> comms = LocalGroup.create(world, Duration.ofSeconds(60));
    ExecutorService pool = Executors.newFixedThreadPool(world);
    try {
      List<Future<Object>> fs = new ArrayList<>();
      for (Communicator comm : comms) {
        fs.add(pool.submit(() -> {
          List<Tensor> init = new ArrayList<>();
          for (int p = 0; p < SPECS.size(); p++) {
            init.add(Tensors.normal(allocator, DType.F32, Device.CPU, 5 + p, 0, 1, SPECS.get(p).shape().toArray()));
          }
          try (ShardGroup g = ShardGroup.create(comm, SPECS, MixedPrecision.FULL, allocator, init)) {
            return body.run(g, comm);
          } catch (Throwable t) {
            return t;
          } finally {
            init.forEach(Tensor::close);
            comm.close();
          }
        }));
      }
      List<Object> out = new ArrayList<>();
      for (Future<Object> f : fs) {
        out.add(f.get(120, TimeUnit.SECONDS));
      }
      for (Object o : out) {
        if (o instanceof Error e) {
          throw e;
        }
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** One identical step on every rank: the gradient of parameter p is a seeded function of the step. */
  private void trainStep(ShardGroup g, int step) {
    List<Tensor> grads = new ArrayList<>();
    for (int p = 0; p < SPECS.size(); p++) {
      grads.add(Tensors.normal(allocator, DType.F32, Device.CPU, 100L * step + p, 0, 1, SPECS.get(p).shape().toArray()));
    }
    g.reduceGradients(grads);
    grads.forEach(Tensor::close);
    g.step(ADAMW, 1.0);
  }

  private static List<double[]> full(ShardGroup g) {
    List<double[]> out = new ArrayList<>();
    for (Tensor t : g.gather()) {
      out.add(t.toDoubleArray());
    }
    g.reshard();
    return out;
  }

  @Test
  void roundTripsAcrossWorldSizes(@TempDir Path dir) throws Exception {
    roundTrip(dir.resolve("from8"), 8, new int[] {4, 3, 2, 1, 8});
    roundTrip(dir.resolve("from4"), 4, new int[] {8});
    roundTrip(dir.resolve("from3"), 3, new int[] {2});
  }

  private void roundTrip(Path dir, int savedBy, int[] loadedBy) throws Exception {
    // Train 3 steps and save; the reference then trains one more step.
    List<Object> saved = onGroups(savedBy, (g, comm) -> {
      for (int s = 1; s <= 3; s++) {
        trainStep(g, s);
      }
      ShardCheckpoint.save(g, dir.resolve("ckpt"));
      List<double[]> atSave = full(g);
      trainStep(g, 4);
      return List.of(atSave, full(g));
    });
    @SuppressWarnings("unchecked")
    List<List<double[]>> reference = (List<List<double[]>>) saved.get(0);
    assertTrue(Files.exists(dir.resolve("ckpt/index.json")));
    for (int world : loadedBy) {
      List<Object> loaded = onGroups(world, (g, comm) -> {
        ShardCheckpoint.load(g, dir.resolve("ckpt"));
        List<double[]> atLoad = full(g);
        trainStep(g, 4); // the moments and the step count came back too
        return List.of(atLoad, full(g));
      });
      for (Object o : loaded) {
        if (o instanceof Throwable t) {
          throw new AssertionError("world " + world, t);
        }
        @SuppressWarnings("unchecked")
        List<List<double[]>> got = (List<List<double[]>>) o;
        for (int p = 0; p < SPECS.size(); p++) {
          // At load: bit for bit.
          assertArrayEquals(reference.get(0).get(p), got.get(0).get(p), savedBy + " -> " + world + " at load "
              + SPECS.get(p).name());
          // One step later the moments and step count must have come back; the averaged gradient
          // rounds differently with another world size (g/3 + g/3 + g/3 is not g/2 + g/2 in fp32),
          // so compare to 1e-6 (lost moments would move the parameters by about the learning rate).
          double[] e = reference.get(1).get(p);
          double[] a = got.get(1).get(p);
          for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], 1e-6 * Math.max(1, Math.abs(e[i])),
                savedBy + " -> " + world + " one step later " + SPECS.get(p).name() + "[" + i + "]");
          }
        }
      }
    }
  }

  /** Damage done to a copy of a checkpoint folder, and the file and words that the error must name. */
  private record Damage(String file, String says, Change change) {}

  private interface Change {
    void apply(Path ckpt) throws IOException;
  }

  @Test
  void damagedFilesAndIndexesFailToLoadNamingTheFile(@TempDir Path dir) throws Exception {
    Path saved = dir.resolve("saved");
    for (Object o : onGroups(2, (g, comm) -> {
      trainStep(g, 1);
      ShardCheckpoint.save(g, saved);
      return "saved";
    })) {
      assertEquals("saved", o, String.valueOf(o));
    }
    String rank0 = rankFile(saved, 0, 2).getFileName().toString();
    String rank1 = rankFile(saved, 1, 2).getFileName().toString();
    String index = "index.json";
    ObjectMapper json = new ObjectMapper();
    List<Damage> damages = List.of(
        new Damage(rank1, "has CRC32C", d -> flipByte(d.resolve(rank1), Files.size(d.resolve(rank1)) - 3)),
        new Damage(rank0, "has CRC32C", d -> flipByte(d.resolve(rank0), 20)), // in the header
        new Damage(rank1, "bytes, index.json says", d -> {
          try (FileChannel ch = FileChannel.open(d.resolve(rank1), StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 4);
          }
        }),
        new Damage(rank0, "bytes, index.json says", d -> Files.write(d.resolve(rank0), new byte[1],
            StandardOpenOption.APPEND)),
        new Damage(rank0, "is missing", d -> Files.delete(d.resolve(rank0))),
        new Damage(index, "is not valid JSON", d -> {
          byte[] text = Files.readAllBytes(d.resolve(index));
          Files.write(d.resolve(index), Arrays.copyOf(text, text.length / 2));
        }),
        new Damage(index, "is not a JSON object", d -> Files.write(d.resolve(index), new byte[0])),
        new Damage(rank1, "has CRC32C", d -> editIndex(json, d,
            files -> ((ObjectNode) files.get(1)).put("crc32c", "0badc0de"))),
        new Damage(rank0, "bytes, index.json says", d -> editIndex(json, d,
            files -> ((ObjectNode) files.get(0)).put("bytes", 7))),
        new Damage(index, "has a bad file entry", d -> editIndex(json, d,
            files -> ((ObjectNode) files.get(1)).put("name", "../" + rank1))),
        new Damage(index, "names 1 files for 2 ranks", d -> editIndex(json, d, files -> files.remove(1))),
        new Damage(index, "names its files without checksums", d -> editIndex(json, d,
            files -> files.set(0, json.getNodeFactory().textNode(rank0)))));
    for (int n = 0; n < damages.size(); n++) {
      Damage damage = damages.get(n);
      Path ckpt = dir.resolve("damaged-" + n);
      Files.createDirectories(ckpt);
      try (var files = Files.list(saved)) {
        for (Path f : files.toList()) {
          Files.copy(f, ckpt.resolve(f.getFileName()));
        }
      }
      damage.change().apply(ckpt);
      // One rank reads both files: the first damaged one it reads is the error.
      for (Object o : onGroups(1, (g, comm) -> {
        ShardCheckpoint.load(g, ckpt);
        return "loaded";
      })) {
        IOException e = assertInstanceOf(IOException.class, o, "damage " + n + " of " + damage.file() + ": " + o);
        assertTrue(e.getMessage().contains(ckpt.resolve(damage.file()).toString())
            && e.getMessage().contains(damage.says()), "damage " + n + ": " + e.getMessage());
      }
    }
  }

  private static void flipByte(Path file, long at) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      ByteBuffer b = ByteBuffer.allocate(1);
      ch.read(b, at);
      b.put(0, (byte) (b.get(0) ^ 0x10));
      ch.write(b.rewind(), at);
    }
  }

  private static void editIndex(ObjectMapper json, Path ckpt, java.util.function.Consumer<ArrayNode> edit)
      throws IOException {
    ObjectNode index = (ObjectNode) json.readTree(ckpt.resolve("index.json").toFile());
    edit.accept((ArrayNode) index.get("files"));
    json.writeValue(ckpt.resolve("index.json").toFile(), index);
  }

  /** The one file of the checkpoint that rank r of world wrote. */
  static Path rankFile(Path ckpt, int rank, int world) throws IOException {
    String part = String.format("-rank-%05d-of-%05d-", rank, world);
    try (var files = Files.list(ckpt)) {
      List<Path> found = files.filter(f -> f.getFileName().toString().contains(part)).toList();
      assertEquals(1, found.size(), "rank " + rank + "'s files: " + found);
      return found.get(0);
    }
  }

  @Test
  void corruptAndMismatchedCheckpointsAreClearErrors(@TempDir Path dir) throws Exception {
    Path ckpt = dir.resolve("ckpt");
    onGroups(2, (g, comm) -> {
      trainStep(g, 1);
      ShardCheckpoint.save(g, ckpt);
      return null;
    });
    Path rank1 = rankFile(ckpt, 1, 2);
    try (FileChannel ch = FileChannel.open(rank1, StandardOpenOption.WRITE)) {
      ch.truncate(ch.size() - 10);
    }
    List<Object> truncated = onGroups(2, (g, comm) -> {
      ShardCheckpoint.load(g, ckpt);
      return "loaded";
    });
    // Rank 1 reads the damaged file and aborts the group; rank 0 then fails at once, not after a timeout.
    IOException e = assertInstanceOf(IOException.class, truncated.get(1), String.valueOf(truncated.get(1)));
    assertTrue(e.getMessage().contains(rank1.getFileName().toString()), e.getMessage());
    assertInstanceOf(dev.shard4j.collectives.CollectiveException.class, truncated.get(0),
        String.valueOf(truncated.get(0)));
    Files.writeString(ckpt.resolve("index.json"), "{\"world_size\": 2, \"step\": 1, \"params\": [{\"name\": \"x\"}]}");
    for (Object o : onGroups(1, (g, comm) -> {
      ShardCheckpoint.load(g, ckpt);
      return "loaded";
    })) {
      IllegalArgumentException m = assertInstanceOf(IllegalArgumentException.class, o, String.valueOf(o));
      assertTrue(m.getMessage().contains("the checkpoint has 1 parameters, the group 4"), m.getMessage());
    }
    Files.delete(ckpt.resolve("index.json"));
    for (Object o : onGroups(1, (g, comm) -> {
      ShardCheckpoint.load(g, ckpt);
      return "loaded";
    })) {
      IOException m = assertInstanceOf(IOException.class, o, String.valueOf(o));
      assertTrue(m.getMessage().contains("index.json is missing"), m.getMessage());
    }
    assertEquals(2, Files.list(ckpt).count());
  }
}
