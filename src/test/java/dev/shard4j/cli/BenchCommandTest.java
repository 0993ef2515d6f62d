package dev.shard4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.shard4j.bindings.Cuda;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `shard4j bench kernels`: every kernel measured, the copy as ceiling, GEMM in TFLOP/s. */
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
  void eachBadValueIsRefusedInOneLineNamingItsFlag() {
    assertEquals("shard4j bench: unknown benchmark 'kernel'; valid: kernels", refusal("bench", "kernel"));
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
