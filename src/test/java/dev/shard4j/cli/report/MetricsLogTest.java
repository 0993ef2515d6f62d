package dev.shard4j.cli.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final long seed = System.nanoTime();
  private final Random random = new Random(seed);

  @TempDir
  Path dir;

  /** A record as a trainer might log it. */
  record Eval(long step, double loss, float lr) {}

  @Test
  void eachLineReadsBackToTheSameValuesAndIsThereBeforeClose() throws IOException {
    Path file = dir.resolve("runs/deep/er/metrics.jsonl");
    int lines = 3 + random.nextInt(20);
    List<double[]> written = new ArrayList<>();
    try (MetricsLog log = MetricsLog.open(file)) {
      for (int i = 0; i < lines; i++) {
        // Random bits: any finite double, subnormals and extremes included, not only tidy decimals.
        double loss = randomFinite();
        double lr = random.nextDouble() * 1e-3;
        written.add(new double[] {loss, lr});
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("step", (long) i * 1_000_000_007L);
        record.put("loss", loss);
        record.put("lr", lr);
        record.put("note", "line " + i + "\n\"quoted\"\tü");
        log.write(record);
        // A reader following the file sees the line already.
        assertEquals(i + 1, Files.readAllLines(file).size(), "seed " + seed);
      }
    }
    List<String> text = Files.readAllLines(file);
    assertEquals(lines, text.size());
    for (int i = 0; i < lines; i++) {
      JsonNode node = JSON.readTree(text.get(i));
      assertEquals(List.of("step", "loss", "lr", "note"), fieldNames(node));
      assertEquals((long) i * 1_000_000_007L, node.get("step").asLong());
      assertEquals(Double.doubleToRawLongBits(written.get(i)[0]), Double.doubleToRawLongBits(node.get("loss").asDouble()),
          "line " + i + " " + text.get(i) + " (seed " + seed + ")");
      assertEquals(Double.doubleToRawLongBits(written.get(i)[1]), Double.doubleToRawLongBits(node.get("lr").asDouble()));
      assertEquals("line " + i + "\n\"quoted\"\tü", node.get("note").asText());
    }
  }

  @Test
  void nonFiniteNumbersAreNullEverywhere() throws IOException {
    Path file = dir.resolve("nan.jsonl");
    float lr = random.nextFloat();
    try (MetricsLog log = MetricsLog.open(file)) {
      log.write(Map.of("loss", Double.NaN, "grad_norm", Double.POSITIVE_INFINITY, "scale", Float.NEGATIVE_INFINITY,
          "losses", new double[] {1.5, Double.NaN, -0.0}, "halves", new float[] {Float.NaN, 0.1f},
          "list", List.of(Double.NEGATIVE_INFINITY, 2.0), "eval", new Eval(7, Double.NaN, lr)));
    }
    JsonNode node = JSON.readTree(Files.readString(file));
    for (String name : List.of("loss", "grad_norm", "scale")) {
      assertTrue(node.get(name).isNull(), name + " in " + node);
    }
    assertEquals("[1.5,null,-0.0]", node.get("losses").toString());
    assertTrue(node.get("halves").get(0).isNull());
    assertEquals(0.1f, JSON.treeToValue(node.get("halves").get(1), Float.class));
    assertEquals("[null,2.0]", node.get("list").toString());
    assertTrue(node.get("eval").get("loss").isNull(), node.toString());
    assertEquals(7, node.get("eval").get("step").asLong());
    assertEquals(lr, JSON.treeToValue(node.get("eval").get("lr"), Float.class), "seed " + seed);
  }

  @Test
  void openingAgainAppends() throws IOException {
    Path file = dir.resolve("m.jsonl");
    try (MetricsLog log = MetricsLog.open(file)) {
      log.write(Map.of("step", 1));
    }
    try (MetricsLog log = MetricsLog.open(file)) {
      log.write(Map.of("step", 2));
      log.write(Map.of());
    }
    assertEquals(List.of("{\"step\":1}", "{\"step\":2}", "{}"), Files.readAllLines(file));
  }

  @Test
  void closeIsIdempotentAndWritingAfterItIsRefused() throws IOException {
    Path file = dir.resolve("closed.jsonl");
    MetricsLog log = MetricsLog.open(file);
    log.close();
    log.close();
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> log.write(Map.of("step", 1)));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
  }

  @Test
  void badRecordsAndPathsAreRefusedByName() throws IOException {
    Path file = dir.resolve("bad.jsonl");
    try (MetricsLog log = MetricsLog.open(file)) {
      assertThrows(NullPointerException.class, () -> log.write(null));
      Map<String, Object> nullKey = new HashMap<>();
      nullKey.put(null, 1);
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> log.write(nullKey));
      assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
      assertThrows(IllegalArgumentException.class, () -> log.write(Map.of("thing", new Object())));
      log.write(Map.of("step", 3));
    }
    // A refused record wrote nothing, not even half a line.
    assertEquals(List.of("{\"step\":3}"), Files.readAllLines(file));

    Path underAFile = file.resolve("metrics.jsonl");
    IOException e = assertThrows(IOException.class, () -> MetricsLog.open(underAFile));
    assertTrue(e.getMessage().contains(underAFile.toString()), e.getMessage());
  }

  private double randomFinite() {
    while (true) {
      double d = Double.longBitsToDouble(random.nextLong());
      if (Double.isFinite(d)) {
        return d;
      }
    }
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
