package dev.shard4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
}
