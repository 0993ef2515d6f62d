package example;

import dev.shard4j.collectives.Communicator;
import dev.shard4j.collectives.local.LocalGroup;
import dev.shard4j.parallel.fsdp.MixedPrecision;
import dev.shard4j.parallel.fsdp.ParamSpec;
import dev.shard4j.parallel.fsdp.ShardGroup;
import dev.shard4j.kernels.AdamW;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** The README's quickstart: one sharded training step on two in-process ranks. */
public final class Quickstart {
  public static void main(String[] args) throws Exception {
    List<Communicator> ranks = LocalGroup.create(2);             // or NcclCommunicator, one per GPU
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try (Allocator memory = Allocator.root("trainer")) {
      List<Future<Float>> results = new ArrayList<>();
      for (Communicator comm : ranks) {
        results.add(threads.submit(() -> step(comm, memory)));
      }
      for (Future<Float> f : results) {
        System.out.println("w[0][0] after one step: " + f.get());
      }
    } finally {
      threads.shutdown();
      ranks.forEach(Communicator::close);
    }
  }

  static float step(Communicator comm, Allocator memory) {
    List<ParamSpec> params = List.of(ParamSpec.of("w", 8, 4));   // dim 0 is sharded over the ranks
    try (Tensor init = Tensors.normal(memory, DType.F32, Device.CPU, 42, 0, 0.1, 8, 4);
         ShardGroup group = ShardGroup.create(comm, params, new MixedPrecision(DType.BF16, DType.F32), memory,
             List.of(init))) {
      Tensor w = group.gather().get(0);                          // the unsharded bf16 weights
      // ... the trainer's forward and backward with w go here; a made-up gradient instead:
      try (Tensor grad = Tensors.full(memory, DType.F32, Device.CPU, 0.5, 8, 4)) {
        group.reduceGradients(List.of(grad));                    // averaged over ranks, sharded
      }
      group.reshard();                                           // frees the unsharded weights
      group.step(AdamW.defaults(), 1.0);                         // fused AdamW on this rank's shard
      return group.gather().get(0).toFloatArray()[0];            // the next gather sees the update
    }
  }
}
