package dev.shard4j.models.gpt;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.bindings.CudaReport;
import dev.shard4j.models.ranks.RankRunner;
import dev.shard4j.parallel.fsdp.MixedPrecision;
import dev.shard4j.parallel.fsdp.Strategy;
import dev.shard4j.tensor.DType;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The GPT trainer on GPUs (one NCCL rank per GPU, cuBLAS, the CUDA kernels) against the same run
 * on one CPU rank: the losses within fp32's reordering of sums (relative 1e-4), BF16 within 2e-2,
 * and recomputation giving the same bits on the device too.
 */
@Tag("gpu")
class GpuGptTest {
  private static final GptConfig MODEL = new GptConfig(2, 2, 32, 16, 61);

  private static TrainSettings settings(int ranks, boolean gpu, MixedPrecision precision, boolean recompute) {
    return new TrainSettings(MODEL, new TrainSettings.Parallel(new RankRunner(ranks, gpu, null), Strategy.FULL_SHARD,
        ranks, precision, true, recompute), 6, 4, 15, 4 / ranks, new TrainSettings.Optimizer(3e-3, 3e-4, 2, 0.1, 0.9,
        0.95, 1e-8, 1.0), 3, 0, 0, null, 0, null, TrainSettings.Sample.none());
  }

  private static double[] losses(TrainSettings s) throws Exception {
    return new GptTrainer(s, GptTrainerTest.randomTokens(MODEL.vocab(), 7), null, null).run().losses();
  }

  @Test
  void trainsOnTheGpusAsOnTheCpu() throws Exception {
    CudaReport cuda = Cuda.probe();
    assumeTrue(cuda.deviceCount() > 0 && cuda.nccl().loaded() && cuda.cublas().loaded(),
        "needs a GPU, NCCL and cuBLAS: " + cuda.reason() + " " + cuda.nccl().detail());
    int ranks = cuda.deviceCount() >= 4 ? 4 : cuda.deviceCount() >= 2 ? 2 : 1;
    double[] cpu = losses(settings(1, false, MixedPrecision.FULL, false));
    double[] gpu = losses(settings(ranks, true, MixedPrecision.FULL, false));
    for (int i = 0; i < cpu.length; i++) {
      assertEquals(cpu[i], gpu[i], 1e-4 * cpu[i], "fp32 loss of step " + (i + 1));
    }
    assertArrayEquals(gpu, losses(settings(ranks, true, MixedPrecision.FULL, true)), "recomputed on the GPU");
    MixedPrecision bf16 = new MixedPrecision(DType.BF16, DType.BF16);
    double[] low = losses(settings(ranks, true, bf16, false));
    for (int i = 0; i < cpu.length; i++) {
      assertEquals(cpu[i], low[i], 2e-2 * cpu[i], "bf16 loss of step " + (i + 1));
    }
  }
}
