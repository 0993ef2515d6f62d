package dev.shard4j.cli.report;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A metrics log in JSON lines: each {@link #write} appends one JSON object and a newline and hands
 * the line to the operating system at once, so a reader following the file ({@code tail -f}, a
 * notebook) sees each step as it ends.
 *
 * <p>Values are written as Jackson writes them (numbers, strings, booleans, lists, nested maps,
 * records), with one exception: JSON has no NaN or infinity, so a non-finite {@code double} or
 * {@code float} (boxed, a record's component, or in a {@code double[]} or {@code float[]}) is
 * written as {@code null}, as JavaScript's {@code JSON.stringify} does; pandas reads it as NaN, and
 * a strict JSON parser accepts it. A finite {@code double} is written in a form that parses back to
 * the same bits; a {@code float} in its shortest decimal form, which parses back exactly as a
 * {@code float}.
 *
 * <p>The caller that opens a log owns it and closes it. {@code write} and {@code close} may be called
 * from any thread: they are synchronized, so lines never interleave. {@code close} is idempotent.
 */
public final class MetricsLog implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper().registerModule(new SimpleModule("non-finite as null")
      .addSerializer(Double.class, new NumberOrNull<>(Double.class))
      .addSerializer(double.class, new NumberOrNull<>(Double.class))
      .addSerializer(Float.class, new NumberOrNull<>(Float.class))
      .addSerializer(float.class, new NumberOrNull<>(Float.class))
      .addSerializer(double[].class, new DoublesOrNulls())
      .addSerializer(float[].class, new FloatsOrNulls()));

  private final Path file;
  private OutputStream out;

  private MetricsLog(Path file, OutputStream out) {
    this.file = file;
    this.out = out;
  }

  /**
   * Opens a log for appending: creates the file and its parent folders if they are missing, and
   * keeps the lines already in it (a resumed run continues its log).
   *
   * @param file the log, e.g. {@code runs/gpt/metrics.jsonl}
   * @return the open log
   * @throws NullPointerException if {@code file} is null
   * @throws IOException if the file cannot be opened for appending; the message names it
   */
  public static MetricsLog open(Path file) throws IOException {
    Objects.requireNonNull(file, "file");
    try {
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      // Unbuffered: each line goes to the file in one write call.
      return new MetricsLog(file, Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND));
    } catch (IOException e) {
      throw new IOException("cannot open the metrics log " + file + ": " + e, e);
    }
  }

  /**
   * Appends one JSON object, the record's entries in its iteration order, and a newline.
   *
   * @param record the metrics of one step, e.g. {@code {"step": 10, "loss": 3.2}}
   * @throws NullPointerException if {@code record} is null
   * @throws IllegalArgumentException if the record cannot be written as JSON (a null key, a value
   *     that Jackson does not know how to write); nothing is written then
   * @throws IllegalStateException if the log is closed
   * @throws IOException if the line cannot be written; the message names the file
   */
  public synchronized void write(Map<String, ?> record) throws IOException {
    Objects.requireNonNull(record, "record");
    if (out == null) {
      throw new IllegalStateException("the metrics log " + file + " is closed");
    }
    byte[] json;
    try {
      json = JSON.writeValueAsBytes(record);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("a record for the metrics log " + file + " cannot be written as JSON: "
          + e.getOriginalMessage(), e);
    }
    byte[] line = Arrays.copyOf(json, json.length + 1);
    line[json.length] = '\n';
    try {
      out.write(line);
      out.flush();
    } catch (IOException e) {
      throw new IOException("cannot append to the metrics log " + file + ": " + e, e);
    }
  }

  /**
   * Closes the file; later calls do nothing.
   *
   * @throws IOException if closing fails; the message names the file
   */
  @Override
  public synchronized void close() throws IOException {
    if (out == null) {
      return;
    }
    OutputStream closing = out;
    out = null;
    try {
      closing.close();
    } catch (IOException e) {
      throw new IOException("cannot close the metrics log " + file + ": " + e, e);
    }
  }

  /** A boxed double or float, or null where it is not finite. */
  private static final class NumberOrNull<T extends Number> extends StdSerializer<T> {
    private static final long serialVersionUID = 1L;

    NumberOrNull(Class<T> type) {
      super(type);
    }

    @Override
    public void serialize(T value, JsonGenerator gen, SerializerProvider provider) throws IOException {
      if (!Double.isFinite(value.doubleValue())) {
        gen.writeNull();
      } else if (value instanceof Float f) {
        gen.writeNumber(f.floatValue());
      } else {
        gen.writeNumber(value.doubleValue());
      }
    }
  }

  /** A double[] as a list, with null where an element is not finite. */
  private static final class DoublesOrNulls extends StdSerializer<double[]> {
    private static final long serialVersionUID = 1L;

    DoublesOrNulls() {
      super(double[].class);
    }

    @Override
    public void serialize(double[] values, JsonGenerator gen, SerializerProvider provider) throws IOException {
      gen.writeStartArray(values, values.length);
      for (double v : values) {
        if (Double.isFinite(v)) {
          gen.writeNumber(v);
        } else {
          gen.writeNull();
        }
      }
      gen.writeEndArray();
    }
  }

  /** A float[] as a list, with null where an element is not finite. */
  private static final class FloatsOrNulls extends StdSerializer<float[]> {
    private static final long serialVersionUID = 1L;

    FloatsOrNulls() {
      super(float[].class);
    }

    @Override
    public void serialize(float[] values, JsonGenerator gen, SerializerProvider provider) throws IOException {
      gen.writeStartArray(values, values.length);
      for (float v : values) {
        if (Float.isFinite(v)) {
          gen.writeNumber(v);
        } else {
          gen.writeNull();
        }
      }
      gen.writeEndArray();
    }
  }
}
