package dev.shard4j.cli.perf;

import dev.shard4j.cli.Flags;
import dev.shard4j.collectives.RedOp;
import dev.shard4j.collectives.rendezvous.LaunchEnv;
import dev.shard4j.tensor.DType;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shard4j perf}: nccl-tests for shard4j, with its flags, columns, bandwidth formulas, exact
 * check and footer. Exits 1 when any element is wrong.
 */
@Command(name = "perf", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Measure and check a collective as nccl-tests does (all_reduce_perf and friends).")
public final class PerfCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "all_reduce, all_gather, reduce_scatter, broadcast, reduce, alltoall or sendrecv")
  String operation;

  @Option(names = {"-b", "--minbytes"}, defaultValue = "32M", description = "Smallest size (default: ${DEFAULT-VALUE})")
  String minBytes;

  @Option(names = {"-e", "--maxbytes"}, defaultValue = "32M", description = "Largest size (default: ${DEFAULT-VALUE})")
  String maxBytes;

  @Option(names = {"-f", "--stepfactor"}, defaultValue = "0",
      description = "Multiply the size by this between steps, 2 or more; 0 (default) or 1 with -i: add -i instead")
  int stepFactor;

  /** Null when not given: -f 1 steps by -i only when -i says by how much. */
  @Option(names = {"-i", "--stepbytes"}, description = "Add this to the size between steps (default: 1M)")
  String stepBytes;

  @Option(names = {"-n", "--iters"}, defaultValue = "20", description = "Timed iterations (default: ${DEFAULT-VALUE})")
  int iters;

  @Option(names = {"-w", "--warmup_iters"}, defaultValue = "5", description = "Warm-up iterations (default: ${DEFAULT-VALUE})")
  int warmup;

  @Option(names = {"-c", "--check"}, defaultValue = "1", description = "Check the results: 0 or 1 (default: ${DEFAULT-VALUE})")
  int check;

  @Option(names = {"-d", "--datatype"}, defaultValue = "float",
      description = "float, double, half, bfloat16, int8, uint8, int32, int64 or all (default: ${DEFAULT-VALUE})")
  String datatype;

  @Option(names = {"-o", "--op"}, defaultValue = "sum",
      description = "sum, prod, max, min, avg, premulsum or all (default: ${DEFAULT-VALUE})")
  String op;

  @Option(names = {"-r", "--root"}, defaultValue = "0", description = "Root rank, or -1 for all (default: ${DEFAULT-VALUE})")
  int root;

  @Option(names = {"-z", "--blocking"}, defaultValue = "0", description = "Wait for each operation: 0 or 1 (default: ${DEFAULT-VALUE})")
  int blocking;

  @Option(names = "--ranks", defaultValue = "2", description = "In-process ranks (default: ${DEFAULT-VALUE})")
  int ranks;

  @Option(names = "--backend", defaultValue = "cpu",
      description = "cpu (ranks are threads of this JVM) or nccl (one rank per GPU) (default: ${DEFAULT-VALUE})")
  String backend;

  @Option(names = "--from-env",
      description = "One rank per process, launched as torchrun does (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, "
          + "MASTER_PORT; rank 0 serves the rendezvous): --backend nccl on cuda:LOCAL_RANK, the world size from "
          + "WORLD_SIZE instead of --ranks; rank 0 prints and writes --json, every rank exits 1 on a wrong value")
  boolean fromEnv;

  @Option(names = "--memory", description = "Also print memory throughput and its fraction of a copy bandwidth")
  boolean memory;

  @Option(names = "--json", description = "Also write the rows to this file as JSON")
  Path json;

  @Option(names = "--jit-warmup", defaultValue = "2",
      description = "Seconds of untimed runs at the first small size, so that the JVM has compiled the path "
          + "before anything is timed (default: ${DEFAULT-VALUE})")
  double jitWarmup;

  @Option(names = "--jit-settle", defaultValue = "2",
      description = "Before each timed series, wait up to this many seconds for the JIT compiler to go idle, so "
          + "that its threads do not take a core from the ranks while they are timed (default: ${DEFAULT-VALUE})")
  double jitSettle;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Creates the command; picocli calls this. */
  public PerfCommand() {}

  @Override
  public Integer call() throws Exception {
    PerfOptions options = Flags.checked(spec, this::options);
    boolean printing = options.launch() == null || options.launch().rank() == 0;
    PrintStream out = printing ? System.out : new PrintStream(OutputStream.nullOutputStream());
    PerfRunner runner = new PerfRunner(options, out);
    long wrong = runner.run();
    if (json != null && printing) {
      writeJson(runner);
    }
    if (wrong > 0) {
      System.err.println("shard4j perf: " + wrong + " wrong elements");
      return 1;
    }
    return 0;
  }

  /** The run that the flags ask for, each value checked before anything starts. */
  private PerfOptions options() {
    Collective collective = Flags.oneOf("operation", operation, Collective.byName());
    operation = collective.perfName;
    backend = Flags.oneOf("--backend", backend, Flags.names("cpu", "nccl"));
    boolean nccl = backend.equals("nccl");
    if (nccl && memory) {
      throw new IllegalArgumentException("--memory measures host memory: use it with --backend cpu");
    }
    LaunchEnv launch = null;
    if (fromEnv) {
      if (!nccl) {
        throw new IllegalArgumentException("--from-env needs --backend nccl: the cpu backend's ranks are threads of "
            + "one process");
      }
      launch = LaunchEnv.fromEnv();
      ranks = launch.worldSize();
    } else {
      Flags.inRange("--ranks", ranks, 1, 64);
    }
    Flags.atLeast("-n", iters, 1);
    Flags.atLeast("-w", warmup, 0);
    Flags.writableFile("--json", json);
    zeroOrOne("-c", check);
    zeroOrOne("-z", blocking);
    Duration warmupTime = seconds(jitWarmup, "--jit-warmup");
    Duration settleTime = seconds(jitSettle, "--jit-settle");
    long min = PerfOptions.parseBytes("-b", minBytes);
    long max = PerfOptions.parseBytes("-e", maxBytes);
    long step = stepBytes == null ? 1L << 20 : PerfOptions.parseBytes("-i", stepBytes);
    if (max < min) {
      throw new IllegalArgumentException("-e " + maxBytes + " is smaller than -b " + minBytes);
    }
    Flags.atLeast("-f", stepFactor, 0);
    if (stepFactor == 1 && min < max && stepBytes == null) {
      // nccl-tests adds -i for any factor below 2; -f 1 alone looks like a factor, so say so.
      throw new IllegalArgumentException("-f 1 does not grow the size from -b to -e: use -f 2 or more to multiply it, "
          + "or -i to add to it");
    }
    List<DType> dtypes = Flags.oneOf("-d", datatype, PerfOptions.datatypeNames());
    List<RedOp> ops = Flags.oneOf("-o", op, PerfOptions.opNames());
    List<Integer> roots = new ArrayList<>();
    if (root == -1) {
      for (int r = 0; r < ranks; r++) {
        roots.add(r);
      }
    } else if (root < 0 || root >= ranks) {
      throw new IllegalArgumentException("-r must be -1 (every rank) or a rank from 0 to " + (ranks - 1) + ", got "
          + root);
    } else {
      roots.add(root);
    }
    if (nccl) {
      int needed = launch == null ? ranks : launch.localRank() + 1;
      Flags.cudaProblem(needed, true, false).ifPresent(problem -> {
        throw new IllegalArgumentException("--backend nccl needs a CUDA device per rank (" + needed + " here) and "
            + "NCCL, but " + problem);
      });
    }
    return new PerfOptions(collective, backend, ranks, min, max, stepFactor, step, iters, warmup, check != 0, dtypes,
        ops, roots, blocking != 0, memory, json, warmupTime, settleTime, launch);
  }

  private static void zeroOrOne(String flag, int value) {
    if (value != 0 && value != 1) {
      throw new IllegalArgumentException(flag + " must be 0 or 1, got " + value);
    }
  }

  /** A flag's seconds as a duration, refused outside [0, 600]. */
  private static Duration seconds(double value, String flag) {
    if (!(value >= 0 && value <= 600)) {
      throw new IllegalArgumentException(flag + " must be in [0, 600] seconds, got " + value);
    }
    return Duration.ofNanos((long) (value * 1e9));
  }

  private void writeJson(PerfRunner runner) throws IOException {
    StringBuilder s = new StringBuilder("{\"operation\": \"" + operation + "\", \"ranks\": " + ranks
        + ", \"backend\": \"" + backend + "\"");
    if (memory) {
      s.append(String.format(Locale.ROOT, ", \"copyGbPerSecond\": %.4f", runner.copyGbps()));
    }
    s.append(", \"rows\": [");
    List<PerfRunner.Row> rows = runner.rows();
    for (int i = 0; i < rows.size(); i++) {
      PerfRunner.Row r = rows.get(i);
      s.append(i == 0 ? "\n  " : ",\n  ").append(String.format(Locale.ROOT,
          "{\"size\": %d, \"count\": %d, \"type\": \"%s\", \"redop\": \"%s\", \"root\": %d, "
              + "\"outOfPlace\": {\"timeUs\": %.3f, \"algbw\": %.4f, \"busbw\": %.4f, \"wrong\": %d, \"memoryGbPerSecond\": %.4f}, "
              + "\"inPlace\": {\"timeUs\": %.3f, \"algbw\": %.4f, \"busbw\": %.4f, \"wrong\": %d, \"memoryGbPerSecond\": %.4f}}",
          r.bytes(), r.count(), PerfOptions.typeName(r.dtype()), r.redop(), r.root(), r.micros()[0], r.algbw()[0],
          r.busbw()[0], r.wrong()[0], r.memoryGbps()[0], r.micros()[1], r.algbw()[1], r.busbw()[1], r.wrong()[1],
          r.memoryGbps()[1]));
    }
    s.append("\n]}\n");
    Files.writeString(json, s.toString(), StandardCharsets.UTF_8);
  }
}
