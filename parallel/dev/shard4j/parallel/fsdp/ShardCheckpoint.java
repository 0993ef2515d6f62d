package dev.shard4j.parallel.fsdp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shard4j.kernels.ShardLayout;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sharded checkpoints of a {@link ShardGroup}: each rank writes its rows of every parameter and of
 * both AdamW moments (fp32, padding dropped) to one safetensors file, and rank 0 writes
 * {@code index.json} with the shapes, the world size and the step. Loading reads the rows each rank
 * owns in its own layout from whichever files hold them, so a checkpoint written by 8 ranks loads
 * into 4, 3 or 1 with nothing lost. Corrupt, missing or mismatched files are an
 * {@link IOException} or an {@link IllegalArgumentException} naming what is wrong.
 */
public final class ShardCheckpoint {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] SUFFIX = {"", ".exp_avg", ".exp_avg_sq"};

  private ShardCheckpoint() {}

  private static Path file(Path dir, int rank, int world) {
    return dir.resolve(String.format("rank-%05d-of-%05d.safetensors", rank, world));
  }

  /**
   * Writes this rank's shards (collective: every rank of the group calls it).
   *
   * @param group the group
   * @param dir the checkpoint folder (created if needed)
   * @throws IOException when a file cannot be written
   */
  public static void save(ShardGroup group, Path dir) throws IOException {
    try {
      saveState(group, dir);
    } catch (IOException | RuntimeException e) {
      group.abort(e); // the other ranks must not wait for this one at the barrier
      throw e;
    }
  }

  private static void saveState(ShardGroup group, Path dir) throws IOException {
    ShardLayout layout = group.layout();
    int world = layout.worldSize();
    int rank = group.shardRank();
    if (group.writesCheckpoints()) {
      Files.createDirectories(dir);
      Map<String, SafeTensors.Entry> tensors = new LinkedHashMap<>();
      Tensor[] state = group.state();
      List<ParamSpec> specs = group.specs();
      for (int p = 0; p < specs.size(); p++) {
        long rows = layout.rowsOnRank(p, rank);
        long count = rows * layout.rowNumel(p);
        long[] shape = rowsShape(specs.get(p), rows);
        for (int k = 0; k < state.length; k++) {
          try (Tensor rowsOfState = state[k].narrow(0, layout.shardOffset(p), count)) {
            tensors.put(specs.get(p).name() + SUFFIX[k], new SafeTensors.Entry(shape, rowsOfState.toFloatArray()));
          }
        }
      }
      SafeTensors.write(file(dir, rank, world), tensors, Map.of("format", "shard4j", "rank", Integer.toString(rank),
          "world_size", Integer.toString(world), "step", Long.toString(group.steps())));
      if (rank == 0) {
        writeIndex(dir, specs, world, group.steps(), layout);
      }
    }
    group.barrier(); // the checkpoint is whole once every rank has written
  }

  private static long[] rowsShape(ParamSpec spec, long rows) {
    long[] dims = spec.shape().rank() == 0 ? new long[] {1} : spec.shape().toArray();
    dims[0] = rows;
    return dims;
  }

  private static void writeIndex(Path dir, List<ParamSpec> specs, int world, long step, ShardLayout layout)
      throws IOException {
    ObjectNode index = JSON.createObjectNode();
    index.put("format", "shard4j sharded checkpoint");
    index.put("world_size", world);
    index.put("step", step);
    var params = index.putArray("params");
    for (int p = 0; p < specs.size(); p++) {
      ObjectNode node = params.addObject();
      node.put("name", specs.get(p).name());
      node.put("dtype", "F32");
      var shape = node.putArray("shape");
      for (long d : specs.get(p).shape().toArray()) {
        shape.add(d);
      }
      node.put("rows_per_rank", layout.chunkRows(p));
    }
    var files = index.putArray("files");
    for (int r = 0; r < world; r++) {
      files.add(file(dir, r, world).getFileName().toString());
    }
    Files.writeString(dir.resolve("index.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index));
  }

  /**
   * Loads a checkpoint into the group, whatever world size wrote it (collective).
   *
   * @param group the group, with the same parameter names and shapes as the checkpoint
   * @param dir the checkpoint folder
   * @throws IOException when a file is missing or corrupt
   * @throws IllegalArgumentException when the checkpoint's parameters differ from the group's
   */
  public static void load(ShardGroup group, Path dir) throws IOException {
    try {
      loadState(group, dir);
    } catch (java.io.UncheckedIOException e) {
      group.abort(e.getCause()); // the other ranks must not wait for this one at the barrier
      throw e.getCause();
    } catch (IOException | RuntimeException e) {
      group.abort(e);
      throw e;
    }
  }

  private static void loadState(ShardGroup group, Path dir) throws IOException {
    JsonNode index;
    Path indexFile = dir.resolve("index.json");
    try {
      index = JSON.readTree(Files.readString(indexFile));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new IOException(indexFile + " is missing: not a shard4j checkpoint", e);
    } catch (IOException e) {
      throw new IOException(indexFile + " is not valid JSON: " + e.getMessage(), e);
    }
    int oldWorld = index.path("world_size").asInt(0);
    long step = index.path("step").asLong(-1);
    JsonNode params = index.path("params");
    List<ParamSpec> specs = group.specs();
    if (oldWorld < 1 || step < 0 || !params.isArray()) {
      throw new IOException(indexFile + " lacks world_size, step or params");
    }
    if (params.size() != specs.size()) {
      throw new IllegalArgumentException("the checkpoint has " + params.size() + " parameters, the group "
          + specs.size());
    }
    for (int p = 0; p < specs.size(); p++) {
      JsonNode node = params.get(p);
      long[] shape = new long[node.path("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = node.path("shape").get(i).asLong();
      }
      if (!specs.get(p).name().equals(node.path("name").asText())
          || !java.util.Arrays.equals(shape, specs.get(p).shape().toArray())) {
        throw new IllegalArgumentException("checkpoint parameter " + p + " is '" + node.path("name").asText() + "' "
            + java.util.Arrays.toString(shape) + ", the group's is '" + specs.get(p).name() + "' "
            + specs.get(p).shape());
      }
    }
    ShardLayout oldLayout = new ShardLayout(specs.stream().map(ParamSpec::shape).toList(), oldWorld);
    ShardLayout layout = group.layout();
    int rank = group.shardRank();
    Map<Integer, Map<String, SafeTensors.Entry>> files = new HashMap<>();
    Tensor[] state = group.state();
    for (int p = 0; p < specs.size(); p++) {
      long rowNumel = layout.rowNumel(p);
      long first = rank * layout.chunkRows(p);
      long rows = layout.rowsOnRank(p, rank);
      for (int k = 0; k < state.length; k++) {
        float[] mine = new float[(int) (rows * rowNumel)];
        for (long row = first; row < first + rows; ) {
          int q = (int) (row / oldLayout.chunkRows(p));
          long qFirst = q * oldLayout.chunkRows(p);
          long take = Math.min(first + rows, qFirst + oldLayout.rowsOnRank(p, q)) - row;
          Map<String, SafeTensors.Entry> old = files.computeIfAbsent(q, r -> readShard(dir, r, oldWorld));
          String name = specs.get(p).name() + SUFFIX[k];
          SafeTensors.Entry e = old.get(name);
          if (e == null || e.data().length != oldLayout.rowsOnRank(p, q) * rowNumel) {
            throw new IOException(file(dir, q, oldWorld) + ": tensor '" + name + "' is missing or has the wrong size");
          }
          System.arraycopy(e.data(), (int) ((row - qFirst) * rowNumel), mine, (int) ((row - first) * rowNumel),
              (int) (take * rowNumel));
          row += take;
        }
        try (Tensor values = Tensors.fromArray(state[k].allocator(), mine, state[k].dtype(), Device.CPU, mine.length);
            Tensor target = state[k].narrow(0, layout.shardOffset(p), mine.length)) {
          target.copyFrom(values);
        }
      }
    }
    group.restored(step);
    group.barrier();
  }

  private static Map<String, SafeTensors.Entry> readShard(Path dir, int rank, int world) {
    try {
      return SafeTensors.read(file(dir, rank, world), new HashMap<>());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
