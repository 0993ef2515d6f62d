package dev.shard4j.parallel.fsdp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors file format, for fp32 tensors: an 8-byte little-endian header length, a JSON
 * header naming each tensor's dtype, shape and byte range, then the raw little-endian data.
 * Reading checks every length and range against the file, so a corrupt file is an
 * {@link IOException} naming what is wrong, never a crash or a silent misread. Checkpoints use it
 * for their shards; a trainer can also export a model's weights in it for other frameworks.
 */
public final class SafeTensors {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long MAX_HEADER = 100L << 20;

  /**
   * One fp32 tensor of a file.
   *
   * @param shape its dimensions
   * @param data its elements, row-major
   */
  public record Entry(long[] shape, float[] data) {}

  private SafeTensors() {}

  /**
   * Writes the tensors and metadata in the format to the channel (a file's whole content).
   *
   * @param out where the bytes go, in order
   * @param tensors the tensors, by name, in the order their data is laid out
   * @param metadata string pairs for the header's "__metadata__"
   * @throws IOException when writing fails
   */
  public static void write(WritableByteChannel out, Map<String, Entry> tensors, Map<String, String> metadata)
      throws IOException {
    ObjectNode header = JSON.createObjectNode();
    ObjectNode meta = header.putObject("__metadata__");
    metadata.forEach(meta::put);
    long offset = 0;
    for (Map.Entry<String, Entry> e : tensors.entrySet()) {
      ObjectNode t = header.putObject(e.getKey());
      t.put("dtype", "F32");
      var shape = t.putArray("shape");
      for (long d : e.getValue().shape()) {
        shape.add(d);
      }
      long bytes = 4L * e.getValue().data().length;
      t.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8; // the format allows trailing spaces; 8-byte alignment of the data
    ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
    head.putLong(padded).put(json);
    while (head.hasRemaining()) {
      head.put((byte) ' ');
    }
    writeAll(out, head.flip());
    for (Entry e : tensors.values()) {
      ByteBuffer data = ByteBuffer.allocate(4 * e.data().length).order(ByteOrder.LITTLE_ENDIAN);
      data.asFloatBuffer().put(e.data());
      writeAll(out, data);
    }
  }

  private static void writeAll(WritableByteChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /**
   * Reads every tensor and the metadata.
   *
   * @param file a safetensors file of F32 tensors
   * @param metadata receives the header's "__metadata__" pairs
   * @return the tensors by name, in the file's order
   * @throws IOException when the file cannot be read or is not a valid file of F32 tensors
   */
  public static Map<String, Entry> read(Path file, Map<String, String> metadata) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readAll(ch, len, 0, file);
      long headerBytes = len.flip().getLong();
      if (headerBytes < 2 || headerBytes > MAX_HEADER || 8 + headerBytes > size) {
        throw new IOException(file + ": not a safetensors file (header length " + headerBytes + ", file " + size
            + " bytes)");
      }
      ByteBuffer head = ByteBuffer.allocate((int) headerBytes);
      readAll(ch, head, 8, file);
      JsonNode header;
      try {
        header = JSON.readTree(new String(head.array(), StandardCharsets.UTF_8).trim());
      } catch (IOException e) {
        throw new IOException(file + ": the safetensors header is not valid JSON: " + e.getMessage(), e);
      }
      if (header == null || !header.isObject()) {
        throw new IOException(file + ": the safetensors header is not a JSON object");
      }
      long dataStart = 8 + headerBytes;
      Map<String, Entry> out = new LinkedHashMap<>();
      var fields = header.fields();
      while (fields.hasNext()) {
        var f = fields.next();
        if (f.getKey().equals("__metadata__")) {
          f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
          continue;
        }
        out.put(f.getKey(), entry(ch, file, f.getKey(), f.getValue(), dataStart, size));
      }
      return out;
    }
  }

  private static Entry entry(FileChannel ch, Path file, String name, JsonNode t, long dataStart, long size)
      throws IOException {
    if (!"F32".equals(t.path("dtype").asText())) {
      throw new IOException(file + ": tensor '" + name + "' has dtype " + t.path("dtype") + ", expected F32");
    }
    JsonNode shapeNode = t.path("shape");
    JsonNode offsets = t.path("data_offsets");
    if (!shapeNode.isArray() || !offsets.isArray() || offsets.size() != 2) {
      throw new IOException(file + ": tensor '" + name + "' lacks a shape or data_offsets");
    }
    long[] shape = new long[shapeNode.size()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      shape[i] = shapeNode.get(i).asLong(-1);
      if (shape[i] < 0) {
        throw new IOException(file + ": tensor '" + name + "' has a negative dimension");
      }
      numel *= shape[i];
    }
    long begin = offsets.get(0).asLong(-1);
    long end = offsets.get(1).asLong(-1);
    if (begin < 0 || end < begin || end - begin != 4 * numel || dataStart + end > size || numel > Integer.MAX_VALUE) {
      throw new IOException(file + ": tensor '" + name + "' has data_offsets [" + begin + ", " + end + ") that do not "
          + "fit its shape or the file");
    }
    ByteBuffer data = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
    readAll(ch, data, dataStart + begin, file);
    float[] values = new float[(int) numel];
    data.flip().asFloatBuffer().get(values);
    return new Entry(shape, values);
  }

  private static void readAll(FileChannel ch, ByteBuffer b, long position, Path file) throws IOException {
    long at = position;
    while (b.hasRemaining()) {
      int n = ch.read(b, at);
      if (n < 0) {
        throw new IOException(file + ": truncated (ends before byte " + (at + b.remaining()) + ")");
      }
      at += n;
    }
  }
}
