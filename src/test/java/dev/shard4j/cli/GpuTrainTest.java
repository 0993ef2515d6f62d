package dev.shard4j.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.bindings.CudaReport;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** `shard4j train` on the GPU: one NCCL rank per GPU, the same losses as one rank. */
@Tag("gpu")
class GpuTrainTest {

  @Test
  void trainsOnTheGpusAndMatchesOneRank() {
    CudaReport cuda = Cuda.probe();
    assumeTrue(cuda.deviceCount() > 0 && cuda.nccl().loaded() && cuda.cublas().loaded(),
        "needs a GPU, NCCL and cuBLAS: " + cuda.reason() + " " + cuda.nccl().detail());
    for (String overlap : new String[] {"--overlap", "--no-overlap"}) {
      String out = run("train", "--model", "mlp", "--device", "cuda", "--ranks", String.valueOf(cuda.deviceCount()),
          "--steps", "30", "--hidden", "256", "--check", overlap);
      assertTrue(out.startsWith("0\n") && out.contains("one per GPU, NCCL") && out.contains(": OK"), out);
    }
  }

  private static String run(String... args) {
    return CommandRun.run(new Shard4jCommand(), args);
  }
}
