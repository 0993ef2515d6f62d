package dev.shard4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shard4j.bindings.Cuda;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `shard4j bench kernels`: every kernel measured, the copy as ceiling, GEMM in TFLOP/s; `bench gpt`:
 * shard4j's GPT beside every PyTorch found, with the kernels' shares of the step.
 */
class BenchCommandTest {

  @Test
  void measuresEveryKernelAndWritesJson(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("bench.json");
    String out = CommandRun.run(new Shard4jCommand(), "bench", "kernels", "--elements", "65536", "-n", "1",
        "--json", json.toString());
    int code = Integer.parseInt(out.substring(0, out.indexOf('\n')));
    assertEquals(0, code, out);
    JsonNode results = new ObjectMapper().readTree(json.toFile()).path("results");
    assertEquals(11, results.size(), out);
    assertEquals("copy f32 (ceiling)", results.get(0).path("kernel").asText());
    assertEquals(1.0, results.get(0).path("ofCopy").asDouble(), 1e-9);
    for (JsonNode r : results) {
      assertTrue(r.path("gbPerSecond").asDouble() > 0, r.toString());
    }
    JsonNode gemm = results.get(results.size() - 1);
    assertEquals("gemm f32 1024^3", gemm.path("kernel").asText());
    assertTrue(gemm.path("tflops").asDouble() > 0, gemm.toString());
    assertTrue(out.contains("TFLOP/s"), out);
  }

  @Test
  void benchGptTimesShard4jAndEveryTorchAndSharesTheStepOut(@TempDir Path dir) throws Exception {
    Path json = dir.resolve("gpt.json");
    CommandRun.Result r = CommandRun.execute(new Shard4jCommand(), "bench", "gpt", "--steps", "2", "--json",
        json.toString());
    assertEquals(0, r.code(), r.toString());
    JsonNode result = new ObjectMapper().readTree(json.toFile());
    assertTrue(result.path("shard4j_tokens_per_s").asDouble() > 0, result.toString());
    assertTrue(result.path("kernel_shares").path("gemm").asDouble() > 0, result.toString());
    for (JsonNode peer : result.path("torch")) {
      assertTrue(peer.path("tokens_per_s").asDouble() > 0, peer.toString());
      assertTrue(peer.path("max_relative_loss_difference").asDouble() < 1e-5, peer.toString());
    }
    if (System.getenv("SHARD4J_REQUIRE_TORCH") != null) {
      assertTrue(result.path("torch").size() > 0, "CI installs torch: " + r);
    }
  }

  @Test
  void eachBadValueIsRefusedInOneLineNamingItsFlag() {
    assertEquals("shard4j bench: unknown benchmark 'kernel'; valid: kernels, gpt", refusal("bench", "kernel"));
    assertEquals("shard4j bench: --steps must be at least 2, got 1", refusal("bench", "gpt", "--steps", "1"));
    assertEquals("shard4j bench: bench gpt measures the CPU (--device applies to bench kernels)",
        refusal("bench", "gpt", "--device", "cuda:0"));
    assertEquals("shard4j bench: --device: unknown value 'gpu'; valid: cpu, cuda, cuda:N",
        refusal("bench", "kernels", "--device", "gpu"));
    assertEquals("shard4j bench: -n must be at least 1, got 0", refusal("bench", "kernels", "-n", "0"));
    assertEquals("shard4j bench: --elements must be at least 1024, got 10",
        refusal("bench", "kernels", "--elements", "10"));
    assertEquals("shard4j bench: --threads must be at least 1, got 0", refusal("bench", "kernels", "--threads", "0"));
    if (!Cuda.available()) {
      assertTrue(refusal("bench", "kernels", "--device", "cuda:0").startsWith("shard4j bench: --device cuda:0 needs "
          + "that CUDA device and cuBLAS, but there is no usable CUDA device here: "));
    }
  }

  private static String refusal(String... args) {
    return CommandRun.refusal(new Shard4jCommand(), args);
  }
}
