package dev.shard4j.parallel.fsdp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shard4j.kernels.ShardLayout;
import dev.shard4j.parallel.fsdp.CheckpointIndex.FileRef;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Sharded checkpoints of a {@link ShardGroup}: each rank writes its rows of every parameter and of
 * both AdamW moments (fp32, padding dropped) to one safetensors file, and rank 0 writes
 * {@code index.json} with the shapes, the world size, the step and each file's name, size and
 * CRC32C. Loading reads the rows each rank owns in its own layout from whichever files hold them,
 * checking each file against the index first, so a checkpoint written by 8 ranks loads into 4, 3
 * or 1 with nothing lost. Corrupt, missing or mismatched files are an {@link IOException} or an
 * {@link IllegalArgumentException} naming what is wrong.
 *
 * <p>Saving into the same folder again and again keeps the previous checkpoint loadable until the
 * new one is committed. A save goes in this order (the folder is shared by all ranks; only the
 * first replica of each shard writes):
 *
 * <ol>
 *   <li>every rank writes its file under a name of this save alone,
 *       {@code step-<step>-rank-<r>-of-<world>-<random>.safetensors}: to a temporary name, forced
 *       to disk, renamed atomically; then the note {@code rank-<r>-of-<world>.pending.json} (the
 *       file's name, size and checksum) the same way; then it syncs the folder;
 *   <li>all ranks meet at the group's barrier;
 *   <li>rank 0 reads the notes, writes the index to {@code index.json.tmp}, forces it, renames it
 *       atomically over {@code index.json} and syncs the folder: that rename is the commit;
 *   <li>rank 0 then deletes what the new index does not name (the previous save's files, notes,
 *       and temporary files of saves killed before they committed);
 *   <li>all ranks meet again: when save returns, the checkpoint is committed on every rank.
 * </ol>
 *
 * <p>The guarantee: a crash or failure at any point (between any two system calls, on any rank)
 * leaves {@code index.json} naming either the previous checkpoint or the new one, and every file
 * it names whole on disk. Before the commit the index is the old one, and the save has neither
 * changed nor removed a file it names (its own names are new; notes and temporary files are named
 * by no index). After the commit the index names files that were forced and renamed into the
 * synced folder before the barrier that precedes it. Only files that no index names are deleted,
 * and only after the commit. A failed save leaves its partial files for the next save to delete.
 * One save at a time per folder. With one process per rank the folder must show every rank's
 * renames to rank 0 once past the barrier (one machine's disk, or a shared file system with
 * close-to-open consistency); rank 0 checks each rank's note (its step, rank and world size) and
 * the size of the file it names before it commits, so a file it cannot see fails the save and
 * leaves the old checkpoint in place.
 */
public final class ShardCheckpoint {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] SUFFIX = {"", ".exp_avg", ".exp_avg_sq"};
  private static final Pattern PENDING = Pattern.compile("rank-\\d{5,}-of-\\d{5,}\\.pending\\.json");
  /** The files of checkpoints written before the index held checksums: one name per rank. */
  private static final Pattern LEGACY = Pattern.compile("rank-\\d{5,}-of-\\d{5,}\\.safetensors");
  private static final SecureRandom IDS = new SecureRandom();

  /** Where a save has got to; tests stop it there, as a crash would. */
  interface FaultHook {
    /**
     * Called at each step of a save, on the rank's thread.
     *
     * @param point the step just done ("data forced", "index renamed", "committed", ...)
     * @param rank the rank saving
     * @throws IOException to fail the save right there, leaving the files as they are
     */
    void at(String point, int rank) throws IOException;
  }

  /** For tests: told of every step of every save in this JVM; null for none. */
  static volatile FaultHook faults;

  private ShardCheckpoint() {}

  private static void fault(String point, int rank) throws IOException {
    FaultHook hook = faults;
    if (hook != null) {
      hook.at(point, rank);
    }
  }

  /**
   * Writes this rank's shards and, on rank 0, commits the checkpoint (collective: every rank of the
   * group calls it; it returns once the checkpoint is committed). The class comment gives the order
   * of writes and what a crash leaves.
   *
   * @param group the group
   * @param dir the checkpoint folder (created if needed); the previous checkpoint in it stays
   *     loadable until this one is committed, and is then deleted
   * @throws IOException when a file cannot be written; the previous checkpoint is still there
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
    long step = group.steps();
    boolean writes = group.writesCheckpoints();
    if (writes) {
      fault("start", rank);
      createFolder(dir);
      Map<String, SafeTensors.Entry> tensors = shardTensors(group);
      String name = CheckpointIndex.dataName(step, rank, world, IDS.nextLong());
      AtomicFiles.Written data = AtomicFiles.publish(dir, name, out -> SafeTensors.write(out, tensors,
          Map.of("format", "shard4j", "rank", Integer.toString(rank), "world_size", Integer.toString(world),
              "step", Long.toString(step))), p -> fault("data " + p, rank));
      ObjectNode pending = new FileRef(name, data.bytes(), data.crcHex()).into(JSON.createObjectNode());
      pending.put("step", step).put("rank", rank).put("world_size", world);
      publishJson(dir, pendingName(rank, world), pending, "pending", rank);
      AtomicFiles.syncFolder(dir);
      fault("synced", rank);
    }
    group.barrier(); // every rank's file is on disk
    if (writes && rank == 0) {
      fault("arrived", rank);
      List<FileRef> files = readPending(dir, world, step);
      publishJson(dir, CheckpointIndex.NAME, CheckpointIndex.toJson(group.specs(), layout, step, files), "index", rank);
      AtomicFiles.syncFolder(dir);
      fault("committed", rank);
      Set<String> keep = new HashSet<>();
      files.forEach(f -> keep.add(f.name()));
      deleteAllBut(dir, keep, rank);
    }
    group.barrier(); // committed everywhere; the next save cannot race with this one's deletions
  }

  private static void createFolder(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      Path parent = dir.toAbsolutePath().getParent();
      if (parent != null) {
        AtomicFiles.syncFolder(parent); // the folder's own entry survives a power loss too
      }
    }
  }

  private static Map<String, SafeTensors.Entry> shardTensors(ShardGroup group) {
    ShardLayout layout = group.layout();
    int rank = group.shardRank();
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
    return tensors;
  }

  private static String pendingName(int rank, int world) {
    return String.format("rank-%05d-of-%05d.pending.json", rank, world);
  }

  private static void publishJson(Path dir, String name, ObjectNode json, String what, int rank) throws IOException {
    byte[] text = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json);
    AtomicFiles.publish(dir, name, out -> out.write(ByteBuffer.wrap(text)), p -> fault(what + " " + p, rank));
  }

  /** Rank 0, after the barrier: every rank's file, as its note names it, checked against the disk. */
  private static List<FileRef> readPending(Path dir, int world, long step) throws IOException {
    List<FileRef> files = new ArrayList<>();
    for (int r = 0; r < world; r++) {
      Path note = dir.resolve(pendingName(r, world));
      JsonNode n;
      try {
        n = JSON.readTree(Files.readAllBytes(note));
      } catch (NoSuchFileException e) {
        throw new IOException(note + " is missing after every rank wrote its file: is " + dir
            + " one folder that all ranks share?", e);
      }
      if (n.path("step").asLong(-1) != step || n.path("rank").asInt(-1) != r
          || n.path("world_size").asInt(-1) != world) {
        throw new IOException(note + " is not rank " + r + "'s note of step " + step + " of " + world + " ranks: " + n);
      }
      FileRef f = FileRef.of(n, note);
      long onDisk = Files.size(dir.resolve(f.name()));
      if (onDisk != f.bytes()) {
        throw new IOException(dir.resolve(f.name()) + " is " + onDisk + " bytes, its writer wrote " + f.bytes());
      }
      files.add(f);
    }
    return files;
  }

  /** Rank 0, after the commit: the names of this package's files that the index does not hold. */
  private static void deleteAllBut(Path dir, Set<String> keep, int rank) throws IOException {
    List<Path> stale = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path f : entries) {
        String n = f.getFileName().toString();
        boolean temp = n.endsWith(AtomicFiles.TEMP_SUFFIX);
        String base = temp ? n.substring(0, n.length() - AtomicFiles.TEMP_SUFFIX.length()) : n;
        boolean ours = CheckpointIndex.DATA.matcher(base).matches() || PENDING.matcher(base).matches()
            || LEGACY.matcher(base).matches() || (temp && base.equals(CheckpointIndex.NAME));
        if (ours && !keep.contains(n)) {
          stale.add(f);
        }
      }
    }
    for (Path f : stale) {
      Files.deleteIfExists(f);
      fault("deleted", rank);
    }
  }

  private static long[] rowsShape(ParamSpec spec, long rows) {
    long[] dims = spec.shape().rank() == 0 ? new long[] {1} : spec.shape().toArray();
    dims[0] = rows;
    return dims;
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
    } catch (UncheckedIOException e) {
      group.abort(e.getCause()); // the other ranks must not wait for this one at the barrier
      throw e.getCause();
    } catch (IOException | RuntimeException e) {
      group.abort(e);
      throw e;
    }
  }

  private static void loadState(ShardGroup group, Path dir) throws IOException {
    List<ParamSpec> specs = group.specs();
    CheckpointIndex index = CheckpointIndex.read(dir, specs);
    ShardLayout oldLayout = new ShardLayout(specs.stream().map(ParamSpec::shape).toList(), index.worldSize());
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
          Map<String, SafeTensors.Entry> old = files.computeIfAbsent(q, r -> readShard(index, dir, r));
          String name = specs.get(p).name() + SUFFIX[k];
          SafeTensors.Entry e = old.get(name);
          if (e == null || e.data().length != oldLayout.rowsOnRank(p, q) * rowNumel) {
            throw new IOException(dir.resolve(index.files().get(q).name()) + ": tensor '" + name
                + "' is missing or has the wrong size");
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
    group.restored(index.step());
    group.barrier();
  }

  private static Map<String, SafeTensors.Entry> readShard(CheckpointIndex index, Path dir, int q) {
    try {
      return index.readShard(dir, q);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
