package dev.shard4j.cli;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.bindings.CudaReport;
import dev.shard4j.collectives.rendezvous.LaunchEnv;
import dev.shard4j.parallel.fsdp.MixedPrecision;
import dev.shard4j.parallel.fsdp.Strategy;
import dev.shard4j.models.mlp.TrainRun;
import dev.shard4j.tensor.DType;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code shard4j train}: the sharded-training demo, on in-process ranks (CPU threads, or a GPU
 * each), or on one rank per process launched as torchrun does.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Train a small MLP on synthetic data with sharded data parallel across in-process ranks, or "
        + "across processes (--from-env).")
public final class TrainCommand implements Callable<Integer> {
  @Option(names = "--ranks", defaultValue = "2", description = "Ranks in this JVM (threads, or a GPU each) (default: ${DEFAULT-VALUE})")
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

  @Option(names = "--from-env",
      description = "One rank per process, launched as torchrun does (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, "
          + "MASTER_PORT; rank 0 serves the rendezvous): each on cuda:LOCAL_RANK over NCCL, the world size from "
          + "WORLD_SIZE instead of --ranks; rank 0 prints and checks")
  boolean fromEnv;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Creates the command; picocli calls this. */
  public TrainCommand() {}

  @Override
  public Integer call() throws Exception {
    Strategy s;
    MixedPrecision precision;
    LaunchEnv launch = null;
    try {
      if (fromEnv) {
        launch = LaunchEnv.fromEnv();
        ranks = launch.worldSize();
      }
      s = Strategy.valueOf(strategy.toUpperCase(Locale.ROOT));
      precision = new MixedPrecision(dtype(paramDtype), dtype(reduceDtype));
      if (ranks < 1 || (launch == null && ranks > 64) || steps < 1 || hidden < 1 || batch < 1) {
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
      gpu = onGpus(launch);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintStream out = launch == null || launch.rank() == 0 ? System.out
        : new PrintStream(OutputStream.nullOutputStream());
    return new TrainRun(ranks, s, precision, steps, seed, hidden, layers, batch, shards, check, overlap, gpu, launch,
        out).call();
  }

  /**
   * Whether the ranks run on GPUs, from --device and what this machine has: a GPU per rank in
   * this process, or cuda:LOCAL_RANK for a launch (which has no CPU backend: its ranks are
   * processes).
   */
  private boolean onGpus(LaunchEnv launch) {
    CudaReport cuda = Cuda.probe();
    int needed = launch == null ? ranks : launch.localRank() + 1;
    boolean ready = cuda.deviceCount() >= needed && cuda.nccl().loaded() && cuda.cublas().loaded();
    String mode = device.toLowerCase(Locale.ROOT);
    if (launch != null && mode.equals("cpu")) {
      throw new IllegalArgumentException("--from-env needs GPUs: the cpu backend's ranks are threads of one process");
    }
    return switch (mode) {
      case "cpu" -> false;
      case "auto" -> {
        if (launch != null && !ready) {
          throw notReady(cuda, needed);
        }
        yield ready;
      }
      case "cuda" -> {
        if (!ready) {
          throw notReady(cuda, needed);
        }
        yield true;
      }
      default -> throw new IllegalArgumentException("--device must be cpu, cuda or auto, got '" + device + "'");
    };
  }

  private IllegalArgumentException notReady(CudaReport cuda, int needed) {
    return new IllegalArgumentException("--device cuda needs a GPU per rank, NCCL and cuBLAS: " + needed
        + " GPU(s) needed here, " + cuda.deviceCount() + " found" + (cuda.deviceCount() == 0 ? " (" + cuda.reason()
        + ")" : ", NCCL " + cuda.nccl().detail() + ", cuBLAS " + cuda.cublas().detail()));
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
