package dev.shard4j.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns a JMH JSON result file ({@code -rf json}) of these benchmarks into Markdown tables: call
 * overhead against the plain JNI call, allocation times, kernel bandwidth as a fraction of the
 * copy of the same elements on the same device, and collective bandwidth (algorithm and bus, as
 * nccl-tests computes them, and the memory throughput against the copy of the same size). It also says whether the stated targets hold.
 */
public final class Summary {
  private static final String PACKAGE = "dev.shard4j.jmh.";
  private static final double PLAIN_JNI_FACTOR = 1.5;
  private static final double CALL_NS = 30;
  private static final double CACHED_ALLOC_NS = 200;

  private final List<JsonNode> results = new ArrayList<>();
  private final PrintStream out;

  private Summary(JsonNode root, PrintStream out) {
    root.forEach(results::add);
    this.out = out;
  }

  /**
   * Prints the tables of one result file.
   *
   * @param args the JSON file
   * @throws IOException when it cannot be read
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: Summary <jmh-result.json>");
      System.exit(2);
    }
    JsonNode root = new ObjectMapper().readTree(Path.of(args[0]).toFile());
    new Summary(root, System.out).print();
  }

  private void print() {
    printCalls();
    printAllocations();
    Map<String, Double> copyGbps = printKernels();
    printCollectives(copyGbps);
  }

  private List<JsonNode> of(String benchmarkClass) {
    return results.stream().filter(r -> r.path("benchmark").asText().startsWith(PACKAGE + benchmarkClass + "."))
        .toList();
  }

  private static String method(JsonNode r) {
    String name = r.path("benchmark").asText();
    return name.substring(name.lastIndexOf('.') + 1);
  }

  private static String param(JsonNode r, String name) {
    return r.path("params").path(name).asText();
  }

  private static double score(JsonNode r) {
    return r.path("primaryMetric").path("score").asDouble();
  }

  private static double secondary(JsonNode r, String name) {
    return r.path("secondaryMetrics").path(name).path("score").asDouble(Double.NaN);
  }

  private void printCalls() {
    List<JsonNode> calls = new ArrayList<>(of("CallOverheadBenchmark"));
    calls.addAll(of("ForeignCallBenchmark"));
    if (calls.isEmpty()) {
      return;
    }
    double plain = calls.stream().filter(r -> method(r).equals("plainJni")).mapToDouble(Summary::score)
        .findFirst().orElse(Double.NaN);
    out.println("| call | ns/op | of plain JNI |");
    out.println("|---|---:|---:|");
    for (JsonNode r : calls) {
      out.printf(Locale.ROOT, "| %s | %.2f | %.2f |%n", method(r), score(r), score(r) / plain);
    }
    calls.stream().filter(r -> method(r).equals("binding")).findFirst().ifPresent(r -> out.printf(Locale.ROOT,
        "%nTarget, binding within %.1fx of plain JNI and under %.0f ns: %s (%.2fx, %.2f ns)%n%n",
        PLAIN_JNI_FACTOR, CALL_NS, score(r) <= PLAIN_JNI_FACTOR * plain && score(r) < CALL_NS ? "met" : "MISSED",
        score(r) / plain, score(r)));
  }

  private void printAllocations() {
    List<JsonNode> allocations = of("AllocationBenchmark");
    if (allocations.isEmpty()) {
      return;
    }
    out.println("| device | path | bytes | ns per allocate + free |");
    out.println("|---|---|---:|---:|");
    double worstCachedHost = 0;
    for (JsonNode r : allocations) {
      out.printf(Locale.ROOT, "| %s | %s | %s | %.1f |%n", param(r, "device"), param(r, "path"), param(r, "bytes"),
          score(r));
      if (param(r, "device").equals("cpu") && param(r, "path").equals("caching")) {
        worstCachedHost = Math.max(worstCachedHost, score(r));
      }
    }
    if (worstCachedHost > 0) {
      out.printf(Locale.ROOT, "%nTarget, host allocation from the cache under %.0f ns: %s (slowest size %.1f ns,"
          + " free included)%n%n", CACHED_ALLOC_NS, worstCachedHost < CACHED_ALLOC_NS ? "met" : "MISSED",
          worstCachedHost);
    }
  }

  /** Prints the kernels and returns the copy's GB/s by "device/buffer bytes". */
  private Map<String, Double> printKernels() {
    List<JsonNode> kernels = of("KernelBenchmark");
    Map<String, Double> copy = new HashMap<>();
    for (JsonNode r : kernels) {
      if (param(r, "kernel").equals("copy")) {
        copy.put(param(r, "device") + "/" + 4 * Long.parseLong(param(r, "elements")), secondary(r, "bytes") / 1e9);
      }
    }
    if (kernels.isEmpty()) {
      return copy;
    }
    out.println("| device | kernel | elements | GB/s | of copy |");
    out.println("|---|---|---:|---:|---:|");
    for (JsonNode r : kernels) {
      double gbps = secondary(r, "bytes") / 1e9;
      Double ceiling = copy.get(param(r, "device") + "/" + 4 * Long.parseLong(param(r, "elements")));
      out.printf(Locale.ROOT, "| %s | %s | %s | %.2f | %s |%n", param(r, "device"), param(r, "kernel"),
          param(r, "elements"), gbps, ceiling == null ? "" : String.format(Locale.ROOT, "%.2f", gbps / ceiling));
    }
    out.println();
    return copy;
  }

  private void printCollectives(Map<String, Double> copyGbps) {
    List<JsonNode> collectives = of("CollectiveBenchmark");
    if (collectives.isEmpty()) {
      return;
    }
    out.println("| op | ranks | size | us per call | algbw GB/s | busbw GB/s | memory GB/s | of copy |");
    out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (JsonNode r : collectives) {
      String op = param(r, "op");
      int ranks = Integer.parseInt(param(r, "ranks"));
      double algbw = secondary(r, "bytes") / 1e9;
      boolean allReduce = op.equals("all_reduce");
      double busFactor = allReduce ? 2.0 * (ranks - 1) / ranks : (ranks - 1.0) / ranks;
      // The fewest bytes all ranks together move (each input read once, each output written
      // once), as `shard4j perf --memory` counts them: 2 w S for all_reduce, (w + 1) S otherwise.
      double memory = algbw * (allReduce ? 2.0 * ranks : ranks + 1.0);
      Double ceiling = copyGbps.get("cpu/" + param(r, "size"));
      out.printf(Locale.ROOT, "| %s | %d | %s | %.2f | %.2f | %.2f | %.2f | %s |%n", op, ranks, param(r, "size"),
          1e6 / secondary(r, "operations"), algbw, algbw * busFactor, memory,
          ceiling == null ? "" : String.format(Locale.ROOT, "%.2f", memory / ceiling));
    }
    out.println();
  }
}
