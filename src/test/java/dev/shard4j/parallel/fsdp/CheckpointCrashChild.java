package dev.shard4j.parallel.fsdp;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.kernels.AdamW;
import dev.shard4j.kernels.ShardLayout;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

/**
 * A small deterministic training of two in-process ranks that saves every step into one folder:
 * the child JVM of the SIGKILL test ({@link #main}), and the same training for the parent's
 * reference and its in-process crash tests. The child prints what the parent follows: "resumed
 * STEP", "state STEP RANK CRC" after each step, "saving STEP" / "saved STEP" around each save, and
 * "at RANK POINT" at each step of a save.
 */
public final class CheckpointCrashChild {
  static final int WORLD = 2;
  /** Odd sizes: padded chunks on both ranks, a parameter smaller than the world. */
  static final List<ParamSpec> SPECS = List.of(ParamSpec.of("w", 7, 3), ParamSpec.of("b", 5), ParamSpec.of("s", 1),
      ParamSpec.of("e", 3, 2, 3));
  private static final AdamW ADAMW = new AdamW(1e-2, 0.9, 0.99, 1e-8, 0.05);

  private CheckpointCrashChild() {}

  /** What each rank runs with its group. */
  interface RankBody<T> {
    T run(ShardGroup group, int rank) throws Exception;
  }

  /**
   * Runs the body on each of two ranks (threads), each with a group of the seeded initial values.
   * A rank's exception is its result, so that tests can look at how every rank failed.
   */
  static List<Object> onRanks(Allocator allocator, RankBody<?> body) throws Exception {
    List<Communicator> comms = LocalGroup.create(WORLD, Duration.ofSeconds(60));
    ExecutorService pool = Executors.newFixedThreadPool(WORLD);
    try {
      List<Future<Object>> fs = new ArrayList<>();
      for (Communicator comm : comms) {
        fs.add(pool.submit(() -> {
          List<Tensor> init = new ArrayList<>();
          for (int p = 0; p < SPECS.size(); p++) {
            init.add(Tensors.normal(allocator, DType.F32, Device.CPU, 5 + p, 0, 1, SPECS.get(p).shape().toArray()));
          }
          try (ShardGroup g = ShardGroup.create(comm, SPECS, MixedPrecision.FULL, allocator, init)) {
            return body.run(g, comm.rank());
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
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** One step, identical on every rank: the gradient of parameter p is a seeded function of the step. */
  static void trainStep(ShardGroup g, Allocator allocator, long step) {
    List<Tensor> grads = new ArrayList<>();
    for (int p = 0; p < SPECS.size(); p++) {
      grads.add(Tensors.normal(allocator, DType.F32, Device.CPU, 1000L * step + p, 0, 1,
          SPECS.get(p).shape().toArray()));
    }
    try {
      g.reduceGradients(grads); // fails when a peer's failed save has aborted the group meanwhile
    } finally {
      grads.forEach(Tensor::close);
    }
    g.step(ADAMW, 1.0);
  }

  /** What a checkpoint holds of this rank: its rows of the master, then of both moments, per parameter. */
  static float[] state(ShardGroup g) {
    ShardLayout layout = g.layout();
    Tensor[] buffers = g.state();
    List<float[]> parts = new ArrayList<>();
    int total = 0;
    for (int p = 0; p < SPECS.size(); p++) {
      long count = layout.rowsOnRank(p, g.shardRank()) * layout.rowNumel(p);
      for (Tensor b : buffers) {
        try (Tensor rows = b.narrow(0, layout.shardOffset(p), count)) {
          parts.add(rows.toFloatArray());
          total += (int) count;
        }
      }
    }
    float[] out = new float[total];
    int at = 0;
    for (float[] part : parts) {
      System.arraycopy(part, 0, out, at, part.length);
      at += part.length;
    }
    return out;
  }

  /** A checksum of the state's bits, which the child prints after each step. */
  static String crc(float[] state) {
    CRC32C crc = new CRC32C();
    for (float v : state) {
      int bits = Float.floatToRawIntBits(v);
      crc.update(new byte[] {(byte) bits, (byte) (bits >> 8), (byte) (bits >> 16), (byte) (bits >> 24)});
    }
    return String.format("%08x", crc.getValue());
  }

  /**
   * Resumes from the folder's checkpoint (or starts afresh when it has none) and trains, saving
   * after every step, until the step count reaches the limit or the parent kills it.
   *
   * @param args the folder and the last step
   * @throws Exception when the training fails (its stack trace goes to the parent)
   */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long last = Long.parseLong(args[1]);
    ShardCheckpoint.faults = (point, rank) -> System.out.println("at " + rank + " " + point);
    try (Allocator allocator = Allocator.root("crash-child")) {
      List<Object> results = onRanks(allocator, (g, rank) -> {
        if (Files.exists(dir.resolve(CheckpointIndex.NAME))) {
          ShardCheckpoint.load(g, dir);
        }
        if (rank == 0) {
          System.out.println("resumed " + g.steps());
        }
        for (long s = g.steps() + 1; s <= last; s++) {
          trainStep(g, allocator, s);
          System.out.println("state " + s + " " + rank + " " + crc(state(g)));
          if (rank == 0) {
            System.out.println("saving " + s);
          }
          ShardCheckpoint.save(g, dir);
          if (rank == 0) {
            System.out.println("saved " + s);
          }
        }
        return "done";
      });
      for (Object r : results) {
        if (r instanceof Throwable t) {
          t.printStackTrace(System.out);
          System.exit(1);
        }
      }
    }
    System.out.println("done");
  }
}
