package dev.shard4j.cli;

import dev.shard4j.collectives.rendezvous.LaunchEnv;
import dev.shard4j.parallel.fsdp.MixedPrecision;
import dev.shard4j.parallel.fsdp.Strategy;
import dev.shard4j.models.mlp.TrainRun;
import dev.shard4j.models.ranks.RankRunner;
import dev.shard4j.tensor.DType;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code shard4j train}: the sharded-training demo, on in-process ranks (CPU threads, or a GPU
 * each), or on one rank per process launched as torchrun does.
 */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Train with sharded data parallel across in-process ranks, or across processes (--from-env): "
        + "a GPT-2-style model on real text (--model gpt, byte tokens of the Brown corpus or --data), or a small "
        + "MLP on synthetic data (--model mlp). Flags marked gpt: apply to the GPT only.")
public final class TrainCommand implements Callable<Integer> {
  /** The most ranks that one JVM runs. */
  private static final int MAX_RANKS = 64;
  private static final Map<String, Strategy> STRATEGIES = strategies();
  private static final Map<String, DType> DTYPES = dtypes();
  private static final Map<String, String> DEVICES = Flags.names("cpu", "cuda", "auto");
  private static final Map<String, String> MODELS = Flags.names("gpt", "mlp");

  @Option(names = "--model", defaultValue = "gpt", description = "gpt or mlp (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--ranks", defaultValue = "2", description = "Ranks in this JVM (threads, or a GPU each) (default: ${DEFAULT-VALUE})")
  int ranks;

  @Option(names = "--strategy", defaultValue = "full_shard",
      description = "full_shard, shard_grad_op, no_shard or hybrid_shard (default: ${DEFAULT-VALUE})")
  String strategy;

  @Option(names = "--shard-size", description = "Ranks per sharding group for hybrid_shard, a divisor of the ranks (default: half the ranks, "
      + "or the largest divisor below that)")
  Integer shardSize;

  @Option(names = "--param-dtype", defaultValue = "f32", description = "f32, bf16 or f16 (default: ${DEFAULT-VALUE})")
  String paramDtype;

  @Option(names = "--reduce-dtype", defaultValue = "f32", description = "f32, bf16 or f16 (default: ${DEFAULT-VALUE})")
  String reduceDtype;

  @Option(names = "--steps", defaultValue = "200", description = "Optimizer steps (default: ${DEFAULT-VALUE})")
  int steps;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the model and the data (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--hidden", defaultValue = "256", description = "mlp: hidden width (default: ${DEFAULT-VALUE})")
  int hidden;

  @Option(names = "--layers", description = "Layers, each a shard group of its own: gpt: transformer blocks "
      + "(default: 4); mlp: affine layers, 2 or more (default: 2)")
  Integer layers;

  @Option(names = "--batch", description = "Sequences per micro-batch of a rank (gpt, default: 8), or samples per "
      + "rank and step (mlp, default: 32)")
  Integer batch;

  @Option(names = "--check", description = "Also train on one rank with the same global batches and compare the losses")
  boolean check;

  @CommandLine.Mixin
  GptOptions gpt = new GptOptions();

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
    return Flags.checked(spec, this::plan).call();
  }

  /** The run that the flags ask for, each value checked before anything starts. */
  private Callable<Integer> plan() {
    LaunchEnv launch = null;
    if (fromEnv) {
      launch = LaunchEnv.fromEnv();
      ranks = launch.worldSize();
    } else {
      Flags.inRange("--ranks", ranks, 1, MAX_RANKS);
    }
    Strategy s = Flags.oneOf("--strategy", strategy, STRATEGIES);
    MixedPrecision precision = new MixedPrecision(Flags.oneOf("--param-dtype", paramDtype, DTYPES),
        Flags.oneOf("--reduce-dtype", reduceDtype, DTYPES));
    Flags.atLeast("--steps", steps, 1);
    boolean isGpt = Flags.oneOf("--model", model, MODELS).equals("gpt");
    onlyFor(isGpt);
    int layerCount = layers != null ? layers : isGpt ? 4 : 2;
    int batchSize = Flags.atLeast("--batch", batch != null ? batch : isGpt ? 8 : 32, 1);
    Flags.inRange("--layers", layerCount, isGpt ? 1 : 2, 64);
    int shards = shardSize != null ? Flags.atLeast("--shard-size", shardSize, 1) : defaultShardSize(ranks);
    if (ranks % shards != 0) {
      // Every strategy's memory is summarised, hybrid_shard's with this size too.
      throw new IllegalArgumentException("--shard-size " + shards + " does not divide "
          + (launch == null ? "--ranks " : "the world size ") + ranks);
    }
    boolean gpu = onGpus(launch, Flags.oneOf("--device", device, DEVICES));
    PrintStream out = launch == null || launch.rank() == 0 ? System.out
        : new PrintStream(OutputStream.nullOutputStream());
    if (isGpt) {
      return GptFlags.plan(gpt, new RankRunner(ranks, gpu, launch), s, shards, precision, steps, seed, layerCount,
          batchSize, overlap, check, out);
    }
    Flags.atLeast("--hidden", hidden, 1);
    return new TrainRun(ranks, s, precision, steps, seed, hidden, layerCount, batchSize, shards, check, overlap, gpu,
        launch, out);
  }

  /** The flags of one model, refused with the other. */
  private void onlyFor(boolean isGpt) {
    CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
    for (CommandLine.Model.OptionSpec option : parsed.matchedOptions()) {
      String name = option.longestName();
      boolean gptOnly = option.description().length > 0 && option.description()[0].startsWith("gpt:");
      if (!isGpt && gptOnly) {
        throw new IllegalArgumentException(name + " applies to --model gpt only");
      }
      if (isGpt && name.equals("--hidden")) {
        throw new IllegalArgumentException("--hidden applies to --model mlp only (the GPT's width is --width)");
      }
    }
  }

  /** Half the ranks, or where that does not divide them, the largest divisor below it. */
  static int defaultShardSize(int ranks) {
    for (int size = ranks / 2; size > 1; size--) {
      if (ranks % size == 0) {
        return size;
      }
    }
    return 1;
  }

  /**
   * Whether the ranks run on GPUs, from --device and what this machine has: a GPU per rank in
   * this process, or cuda:LOCAL_RANK for a launch (which has no CPU backend: its ranks are
   * processes).
   */
  private boolean onGpus(LaunchEnv launch, String mode) {
    if (launch != null && mode.equals("cpu")) {
      throw new IllegalArgumentException("--from-env needs GPUs: the cpu backend's ranks are threads of one process");
    }
    if (mode.equals("cpu")) {
      return false;
    }
    int needed = launch == null ? ranks : launch.localRank() + 1;
    Optional<String> problem = Flags.cudaProblem(needed, true, true);
    if (problem.isPresent() && (mode.equals("cuda") || launch != null)) {
      throw new IllegalArgumentException((launch == null ? "--device cuda" : "--from-env") + " needs a CUDA device "
          + "per rank (" + needed + " here), NCCL and cuBLAS, but " + problem.get());
    }
    return problem.isEmpty();
  }

  private static Map<String, Strategy> strategies() {
    Map<String, Strategy> names = new LinkedHashMap<>();
    for (Strategy s : Strategy.values()) {
      names.put(s.name().toLowerCase(Locale.ROOT), s);
    }
    return names;
  }

  /** The dtype names, each followed by its aliases. */
  private static Map<String, DType> dtypes() {
    Map<String, DType> names = new LinkedHashMap<>();
    for (String name : new String[] {"f32", "float32", "fp32"}) {
      names.put(name, DType.F32);
    }
    for (String name : new String[] {"bf16", "bfloat16"}) {
      names.put(name, DType.BF16);
    }
    for (String name : new String[] {"f16", "float16", "fp16", "half"}) {
      names.put(name, DType.F16);
    }
    return names;
  }
}
