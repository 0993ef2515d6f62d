package dev.shard4j.collectives.cli;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.bindings.CudaReport;
import dev.shard4j.collectives.shard.MixedPrecision;
import dev.shard4j.collectives.shard.Strategy;
import dev.shard4j.collectives.train.TrainRun;
import dev.shard4j.tensor.DType;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code shard4j train}: the sharded-training demo, on in-process CPU ranks. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Train a small MLP on synthetic data with sharded data parallel across in-process ranks.")
public final class TrainCommand implements Callable<Integer> {
  @Option(names = "--ranks", defaultValue = "2", description = "Ranks (threads of this JVM) (default: ${DEFAULT-VALUE})")
  int ranks;

  @Option(names = "--strategy", defaultValue = "full_shard",
      description = "full_shard, shard_grad_op, no_shard or hybrid_shard (default: ${DEFAULT-VALUE})")
  String strategy;

  @Option(names = "--shard-size", description = "Ranks per sharding group for hybrid_shard (default: half the ranks)")
  Integer shardSize;

  @Option(names = "--param-dtype", defaultValue = "f32", description = "f32, bf16 or f16 (default: ${DEFAULT-VALUE})")
  String paramDtype;

  @Option(names = "--reduce-dtype", defaultValue = "f32", description = "f32, bf16 or f16 (default: ${DEFAULT-VALUE})")
  String reduceDtype;

  @Option(names = "--steps", defaultValue = "200", description = "Optimizer steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the model and the data (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--hidden", defaultValue = "256", description = "Hidden width (default: ${DEFAULT-VALUE})")
  int hidden;

  @Option(names = "--layers", defaultValue = "2",
      description = "Affine layers of the MLP, 2 or more, each a shard group of its own (default: ${DEFAULT-VALUE})")
  int layers;

  @Option(names = "--batch", defaultValue = "32", description = "Samples per rank and step (default: ${DEFAULT-VALUE})")
  int batch;

  @Option(names = "--check", description = "Also train on one rank with the same global batches and compare the losses")
  boolean check;

  @Option(names = "--overlap", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Run each rank's communication on a thread of its own, overlapping compute "
          + "(--no-overlap: on the rank's thread) (default: ${DEFAULT-VALUE})")
  boolean overlap;

  @Option(names = "--device", defaultValue = "auto",
      description = "cpu (ranks are threads), cuda (one rank per GPU, NCCL) or auto: cuda when there are "
          + "as many GPUs as ranks (default: ${DEFAULT-VALUE})")
  String device;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Creates the command; picocli calls this. */
  public TrainCommand() {}

  @Override
  public Integer call() throws Exception {
    Strategy s;
    MixedPrecision precision;
    try {
      s = Strategy.valueOf(strategy.toUpperCase(Locale.ROOT));
      precision = new MixedPrecision(dtype(paramDtype), dtype(reduceDtype));
      if (ranks < 1 || ranks > 64 || steps < 1 || hidden < 1 || batch < 1) {
        throw new IllegalArgumentException("--ranks must be in [1, 64]; --steps, --hidden and --batch positive");
      }
      if (layers < 2 || layers > 64) {
        throw new IllegalArgumentException("--layers must be in [2, 64], got " + layers);
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    int shards = shardSize != null ? shardSize : Math.max(1, ranks / 2);
    boolean gpu;
    try {
      gpu = onGpus();
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    return new TrainRun(ranks, s, precision, steps, seed, hidden, layers, batch, shards, check, overlap, gpu, System.out)
        .call();
  }

  /** Whether the ranks run on GPUs, from --device and what this machine has. */
  private boolean onGpus() {
    CudaReport cuda = Cuda.probe();
    boolean ready = cuda.deviceCount() >= ranks && cuda.nccl().loaded() && cuda.cublas().loaded();
    return switch (device.toLowerCase(Locale.ROOT)) {
      case "cpu" -> false;
      case "auto" -> ready;
      case "cuda" -> {
        if (!ready) {
          throw new IllegalArgumentException("--device cuda needs a GPU per rank, NCCL and cuBLAS: " + ranks
              + " rank(s), " + cuda.deviceCount() + " GPU(s)" + (cuda.deviceCount() == 0 ? " (" + cuda.reason() + ")"
              : ", NCCL " + cuda.nccl().detail() + ", cuBLAS " + cuda.cublas().detail()));
        }
        yield true;
      }
      default -> throw new IllegalArgumentException("--device must be cpu, cuda or auto, got '" + device + "'");
    };
  }

  private static DType dtype(String name) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "f32", "float32", "fp32" -> DType.F32;
      case "bf16", "bfloat16" -> DType.BF16;
      case "f16", "float16", "fp16", "half" -> DType.F16;
      default -> throw new IllegalArgumentException("dtype '" + name + "' is not f32, bf16 or f16");
    };
  }
}
