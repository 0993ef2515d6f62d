package dev.shard4j.parallel.fsdp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.shard4j.kernels.ShardLayout;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code index.json} of a sharded checkpoint: the parameters, the world size and step that
 * wrote it, and each rank's file with its size and CRC32C. Reading checks the index and then each
 * file against it before a byte of it is used, so damage is an {@link IOException} naming the file
 * and what differs. Immutable.
 *
 * @param worldSize the ranks that wrote the checkpoint
 * @param step the step count at the save
 * @param files rank r's file at position r
 */
record CheckpointIndex(int worldSize, long step, List<FileRef> files) {
  /** The index's file name in the checkpoint folder. */
  static final String NAME = "index.json";
  /** The name of a rank's file of one save; the random part makes it this save's alone. */
  static final Pattern DATA = Pattern.compile("step-\\d{8,}-rank-\\d{5,}-of-\\d{5,}-[0-9a-f]{16}\\.safetensors");
  private static final Pattern CRC = Pattern.compile("[0-9a-f]{8}");
  private static final String FORMAT = "shard4j sharded checkpoint";
  private static final int VERSION = 2;
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One file of a checkpoint, as the index names it.
   *
   * @param name the file name in the folder
   * @param bytes its size
   * @param crc32c its CRC32C, 8 lower-case hex digits
   */
  record FileRef(String name, long bytes, String crc32c) {
    /** Writes the three fields into the node. */
    ObjectNode into(ObjectNode node) {
      return node.put("name", name).put("bytes", bytes).put("crc32c", crc32c);
    }

    /** Reads the three fields of a node of the named file (an index or a rank's note), checked. */
    static FileRef of(JsonNode node, Path where) throws IOException {
      if (node.isTextual()) {
        throw new IOException(where + " names its files without checksums (a checkpoint of an older shard4j): "
            + "load it with that version and save it again");
      }
      String name = node.path("name").asText("");
      JsonNode bytes = node.path("bytes");
      String crc = node.path("crc32c").asText("");
      if (!DATA.matcher(name).matches() || !bytes.canConvertToLong() || bytes.asLong() < 0
          || !CRC.matcher(crc).matches()) {
        throw new IOException(where + " has a bad file entry (name, bytes, crc32c): " + node);
      }
      return new FileRef(name, bytes.asLong(), crc);
    }
  }

  static String dataName(long step, int rank, int world, long id) {
    return String.format("step-%08d-rank-%05d-of-%05d-%016x.safetensors", step, rank, world, id);
  }

  /** The index of a checkpoint of these parameters, sharded as the layout says. */
  static ObjectNode toJson(List<ParamSpec> specs, ShardLayout layout, long step, List<FileRef> files) {
    ObjectNode index = JSON.createObjectNode();
    index.put("format", FORMAT);
    index.put("version", VERSION);
    index.put("world_size", layout.worldSize());
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
    var array = index.putArray("files");
    files.forEach(f -> f.into(array.addObject()));
    return index;
  }

  /**
   * Reads and checks the folder's index.
   *
   * @param dir the checkpoint folder
   * @param specs the parameters the checkpoint must hold, in order
   * @return the index
   * @throws IOException when the index is missing, not JSON, or lacks a field
   * @throws IllegalArgumentException when its parameters differ from the specs
   */
  static CheckpointIndex read(Path dir, List<ParamSpec> specs) throws IOException {
    Path indexFile = dir.resolve(NAME);
    JsonNode index;
    try {
      index = JSON.readTree(Files.readString(indexFile));
    } catch (NoSuchFileException e) {
      throw new IOException(indexFile + " is missing: not a shard4j checkpoint", e);
    } catch (IOException e) {
      throw new IOException(indexFile + " is not valid JSON: " + e.getMessage(), e);
    }
    if (index == null || !index.isObject()) {
      throw new IOException(indexFile + " is not a JSON object: not a shard4j checkpoint index");
    }
    int world = index.path("world_size").asInt(0);
    long step = index.path("step").asLong(-1);
    JsonNode params = index.path("params");
    if (world < 1 || step < 0 || !params.isArray()) {
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
          || !Arrays.equals(shape, specs.get(p).shape().toArray())) {
        throw new IllegalArgumentException("checkpoint parameter " + p + " is '" + node.path("name").asText() + "' "
            + Arrays.toString(shape) + ", the group's is '" + specs.get(p).name() + "' " + specs.get(p).shape());
      }
    }
    JsonNode fileNodes = index.path("files");
    if (!fileNodes.isArray() || fileNodes.size() != world) {
      throw new IOException(indexFile + " names " + fileNodes.size() + " files for " + world + " ranks");
    }
    List<FileRef> files = new ArrayList<>();
    for (JsonNode f : fileNodes) {
      files.add(FileRef.of(f, indexFile));
    }
    return new CheckpointIndex(world, step, List.copyOf(files));
  }

  /**
   * Reads rank q's file after checking its size and CRC32C against the index.
   *
   * @param dir the checkpoint folder
   * @param q the rank that wrote the file
   * @return its tensors by name
   * @throws IOException naming the file: missing, of another size or checksum, or not rank q's of
   *     this checkpoint
   */
  Map<String, SafeTensors.Entry> readShard(Path dir, int q) throws IOException {
    FileRef ref = files.get(q);
    Path file = dir.resolve(ref.name());
    AtomicFiles.Written got;
    try {
      long size = Files.size(file);
      if (size != ref.bytes()) {
        throw new IOException(file + " is " + size + " bytes, " + NAME + " says " + ref.bytes()
            + ": the file is truncated or was overwritten");
      }
      got = AtomicFiles.checksum(file);
    } catch (NoSuchFileException e) {
      throw new IOException(file + " is missing (" + NAME + " names it as rank " + q + "'s file)", e);
    }
    if (got.bytes() != ref.bytes() || !got.crcHex().equals(ref.crc32c())) {
      throw new IOException(file + " has CRC32C " + got.crcHex() + " over " + got.bytes() + " bytes, " + NAME
          + " says " + ref.crc32c() + " over " + ref.bytes() + ": the file is corrupt");
    }
    Map<String, String> meta = new HashMap<>();
    Map<String, SafeTensors.Entry> tensors = SafeTensors.read(file, meta);
    if (!Integer.toString(q).equals(meta.get("rank")) || !Integer.toString(worldSize).equals(meta.get("world_size"))
        || !Long.toString(step).equals(meta.get("step"))) {
      throw new IOException(file + " holds rank " + meta.get("rank") + " of " + meta.get("world_size") + " at step "
          + meta.get("step") + ", " + NAME + " names it rank " + q + " of " + worldSize + " at step " + step);
    }
    return tensors;
  }
}
