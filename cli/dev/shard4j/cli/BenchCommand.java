package dev.shard4j.cli;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.models.gpt.GptConfig;
import dev.shard4j.tensor.Device;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shard4j bench kernels}: the fused kernels' bandwidth against a copy measured in the same
 * run; {@code shard4j bench gpt}: the GPT's training speed against PyTorch's in the same run.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Benchmark the fused kernels (kernels: GB/s of minimal traffic and the fraction of copy "
        + "bandwidth) or GPT training against PyTorch eager on the same model and batches (gpt: tokens/s, "
        + "the ratio, and each kernel's share of the step).")
public final class BenchCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "What to benchmark: kernels or gpt")
  String what;

  @Option(names = "--steps", description = "gpt: training steps of each trainer; the second half is timed "
      + "(default: ${DEFAULT-VALUE})", defaultValue = "20")
  int steps;

  @Option(names = "--device", description = "cpu or cuda:N (default: ${DEFAULT-VALUE})", defaultValue = "cpu")
  String device;

  @Option(names = "--elements", description = "Elements of the main buffers (default: ${DEFAULT-VALUE}, 128 MiB of fp32)",
      defaultValue = "33554432")
  long elements;

  @Option(names = {"-n", "--repeats"}, description = "Timed runs per kernel; the median is reported (default: ${DEFAULT-VALUE})",
      defaultValue = "9")
  int repeats;

  @Option(names = "--threads", description = "Host kernel threads, GEMM included; bench gpt gives PyTorch as many "
      + "(default: every core)")
  Integer threads;

  @Option(names = "--json", description = "Also write the table to this file as JSON")
  Path json;

  @picocli.CommandLine.Spec
  picocli.CommandLine.Model.CommandSpec spec;

  /** Creates the command; picocli calls this. */
  public BenchCommand() {}

  @Override
  public Integer call() throws Exception {
    Device dev = Flags.checked(spec, this::device);
    if (threads != null) {
      NativeApi.setCpuThreads(threads);
    }
    if (what.equals("gpt")) {
      return gpt();
    }
    List<KernelBenchmarks.Result> results;
    try (KernelBenchmarks bench = new KernelBenchmarks(dev, elements, repeats)) {
      results = bench.run();
    }
    PrintStream out = System.out;
    out.printf(Locale.ROOT, "# shard4j bench kernels on %s, %d host threads, %d elements, median of %d runs%n",
        dev, NativeApi.cpuThreads(), elements, repeats);
    out.printf(Locale.ROOT, "%-38s %12s %10s %9s %8s %8s%n", "kernel", "MiB moved", "ms", "GB/s", "of copy",
        "TFLOP/s");
    for (KernelBenchmarks.Result r : results) {
      out.printf(Locale.ROOT, "%-38s %12.1f %10.3f %9.2f %8.2f %8s%n", r.name(), r.bytes() / 1048576.0,
          r.medianSeconds() * 1e3, r.gbPerSecond(), r.ofCopy(),
          Double.isNaN(r.tflops()) ? "" : String.format(Locale.ROOT, "%.2f", r.tflops()));
    }
    if (json != null) {
      Files.writeString(json, toJson(dev, results), StandardCharsets.UTF_8);
    }
    return 0;
  }

  /** The device to measure, each flag checked before anything starts. */
  private Device device() {
    Flags.oneOf("benchmark", what, Flags.names("kernels", "gpt"));
    Flags.atLeast("--steps", steps, 2);
    Flags.atLeast("-n", repeats, 1);
    Flags.atLeast("--elements", elements, 1024);
    if (threads != null) {
      Flags.atLeast("--threads", threads, 1);
    }
    Flags.writableFile("--json", json);
    Device dev;
    try {
      dev = Device.parse(device);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--device: unknown value '" + device + "'; valid: cpu, cuda, cuda:N");
    }
    if (dev.isCuda() && what.equals("gpt")) {
      throw new IllegalArgumentException("bench gpt measures the CPU (--device applies to bench kernels)");
    }
    if (dev.isCuda()) {
      Flags.cudaProblem(dev.index() + 1, false, true).ifPresent(problem -> {
        throw new IllegalArgumentException("--device " + device + " needs that CUDA device and cuBLAS, but " + problem);
      });
    }
    return dev;
  }

  /** The README's GPT on one CPU rank against every PyTorch found here. */
  private int gpt() throws Exception {
    Path root = Path.of(System.getProperty("shard4j.root", "."));
    if (!Files.isRegularFile(root.resolve("scripts/peers/gpt_torch.py"))) {
      throw new IllegalArgumentException("bench gpt runs PyTorch's scripts/peers/gpt_torch.py: run it from the "
          + "project's root");
    }
    Path work = Files.createTempDirectory("shard4j-bench-gpt");
    GptConfig model = new GptConfig(4, 4, 128, 64, 256);
    java.util.Map<String, Object> result = new GptBenchmark(model, 8, 64, steps, root, work, System.out).run();
    if (json != null) {
      Files.writeString(json, new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
          .writeValueAsString(result), StandardCharsets.UTF_8);
    }
    return 0;
  }

  private String toJson(Device dev, List<KernelBenchmarks.Result> results) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "{\"device\": \"%s\", \"hostThreads\": %d, \"elements\": %d, \"repeats\": %d, \"results\": [",
        dev, NativeApi.cpuThreads(), elements, repeats));
    for (int i = 0; i < results.size(); i++) {
      KernelBenchmarks.Result r = results.get(i);
      s.append(i == 0 ? "\n  " : ",\n  ").append(String.format(Locale.ROOT,
          "{\"kernel\": \"%s\", \"bytes\": %d, \"medianSeconds\": %.9f, \"gbPerSecond\": %.4f, \"ofCopy\": %.4f%s}",
          r.name(), r.bytes(), r.medianSeconds(), r.gbPerSecond(), r.ofCopy(),
          Double.isNaN(r.tflops()) ? "" : String.format(Locale.ROOT, ", \"tflops\": %.4f", r.tflops())));
    }
    return s.append("\n]}\n").toString();
  }
}
