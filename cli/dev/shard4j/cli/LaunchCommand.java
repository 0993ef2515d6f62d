package dev.shard4j.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code shard4j launch}: starts one JVM per rank of this node running a shard4j command, with
 * the variables torchrun gives its workers (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,
 * MASTER_ADDR, MASTER_PORT), so that {@code train --from-env} and {@code perf --from-env} need no
 * Python launcher. Their output comes out here line by line, each line after "[rank N] ". train
 * and perf without --from-env are refused: each process would run a whole job of its own. When a
 * rank fails, the others are stopped and its exit status is returned; a rank that waits on a
 * failed peer would otherwise only stop at its collective timeout.
 */
@Command(name = "launch", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Start one process per rank of this node running a shard4j command (after --) with torchrun's "
        + "variables: shard4j launch --nproc-per-node 8 -- train --from-env --device cuda")
public final class LaunchCommand implements Callable<Integer> {
  /** How long stopped ranks get to exit before they are killed. */
  private static final long STOP_GRACE_SECONDS = 10;

  @Option(names = "--nproc-per-node", defaultValue = "1", description = "Ranks on this node, usually one per GPU "
      + "(default: ${DEFAULT-VALUE})")
  int perNode;

  @Option(names = "--nnodes", defaultValue = "1", description = "Nodes, each running this launcher "
      + "(default: ${DEFAULT-VALUE})")
  int nodes;

  @Option(names = "--node-rank", defaultValue = "0", description = "This node, from 0 (default: ${DEFAULT-VALUE})")
  int nodeRank;

  @Option(names = "--master-addr", defaultValue = "127.0.0.1",
      description = "Address of node 0, where rank 0 serves the rendezvous (default: ${DEFAULT-VALUE})")
  String masterAddr;

  @Option(names = "--master-port", defaultValue = "29500", description = "Its port (default: ${DEFAULT-VALUE})")
  int masterPort;

  @Parameters(paramLabel = "COMMAND", description = "The shard4j command and its arguments, after --")
  List<String> command = new ArrayList<>();

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  /** Creates the command; picocli calls this. */
  public LaunchCommand() {}

  @Override
  public Integer call() throws Exception {
    Flags.checked(spec, this::validate);
    List<Process> ranks = new CopyOnWriteArrayList<>(); // the shutdown hook reads it too
    List<Thread> pumps = new ArrayList<>();
    Thread stopOnExit = new Thread(() -> stop(ranks));
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    try {
      for (int local = 0; local < perNode; local++) {
        Process p = start(local);
        ranks.add(p);
        String prefix = "[rank " + (firstRank() + local) + "] ";
        pumps.add(pump(p.getInputStream(), System.out, prefix));
        pumps.add(pump(p.getErrorStream(), System.err, prefix));
      }
      int status = awaitAll(ranks, firstRank());
      for (Thread t : pumps) {
        t.join(TimeUnit.SECONDS.toMillis(STOP_GRACE_SECONDS));
      }
      return status;
    } finally {
      stop(ranks);
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
    }
  }

  /** The global rank of this node's first process. */
  private int firstRank() {
    return nodeRank * perNode;
  }

  /**
   * Checks the flags, and the command to launch as its ranks would parse it, so that a mistake
   * is reported once, before any process starts.
   */
  private Void validate() {
    Flags.inRange("--nproc-per-node", perNode, 1, 1024);
    Flags.inRange("--nnodes", nodes, 1, 65536);
    Flags.inRange("--node-rank", nodeRank, 0, nodes - 1);
    Flags.inRange("--master-port", masterPort, 1, 65535);
    if (command.isEmpty()) {
      throw new IllegalArgumentException("name the command to launch after --, e.g. -- train --from-env");
    }
    if (command.get(0).equals("launch")) {
      throw new IllegalArgumentException("launch cannot launch itself");
    }
    CommandLine shard4j = Shard4jCommand.commandLine(new Shard4jCommand());
    Map<String, String> launchable = new LinkedHashMap<>();
    shard4j.getSubcommands().keySet().stream().filter(name -> !name.equals("launch"))
        .forEach(name -> launchable.put(name, name));
    String name = Flags.oneOf("command", command.get(0), launchable);
    CommandLine.ParseResult parsed = shard4j.parseArgs(command.toArray(new String[0])).subcommand();
    // train and perf run every rank in this process unless --from-env makes each process one rank:
    // launched without it, each process would run a whole job of its own beside the others.
    if (parsed.commandSpec().findOption("--from-env") != null && !parsed.hasMatchedOption("--from-env")) {
      throw new IllegalArgumentException(name + " without --from-env ignores the launch: each of the " + perNode
          + " processes would run a whole " + name + " of its own; add --from-env to make them the ranks of one");
    }
    return null;
  }

  /**
   * The start of a command line that runs another JVM like this one: the same runtime, JVM options
   * (system properties, -X options, native access, module openings; not agents or debuggers, which
   * would clash between processes) and class path. Add the main class and its arguments.
   *
   * @return a new, modifiable list
   */
  public static List<String> thisJvm() {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("-D") || arg.startsWith("-X") || arg.startsWith("--enable-native-access")
          || arg.startsWith("--add-opens") || arg.startsWith("--add-exports")) {
        cmd.add(arg);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    return cmd;
  }

  /** This JVM again running the command as one rank. */
  private Process start(int local) throws IOException {
    List<String> cmd = thisJvm();
    cmd.add(Shard4jCommand.class.getName());
    cmd.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().put("RANK", Integer.toString(nodeRank * perNode + local));
    pb.environment().put("WORLD_SIZE", Integer.toString(nodes * perNode));
    pb.environment().put("LOCAL_RANK", Integer.toString(local));
    pb.environment().put("LOCAL_WORLD_SIZE", Integer.toString(perNode));
    pb.environment().put("MASTER_ADDR", masterAddr);
    pb.environment().put("MASTER_PORT", Integer.toString(masterPort));
    return pb.start();
  }

  /**
   * Copies a rank's output here line by line, so that lines of different ranks never mix, each
   * after the prefix that says whose it is (as torchrun's --tee does).
   */
  private static Thread pump(InputStream from, PrintStream to, String prefix) {
    Thread t = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(from, StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (to) {
            to.println(prefix + line);
          }
        }
      } catch (IOException e) {
        // the rank is gone; its exit status tells the rest
      }
    }, "launch-output");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Waits for every rank; the first to fail stops the others, and its status is returned.
   *
   * @param ranks this node's processes, in rank order
   * @param firstRank the global rank of the first
   */
  static int awaitAll(List<Process> ranks, int firstRank) throws InterruptedException {
    List<Process> running = new ArrayList<>(ranks);
    while (!running.isEmpty()) {
      for (Process p : new ArrayList<>(running)) {
        if (p.waitFor(50, TimeUnit.MILLISECONDS)) {
          running.remove(p);
          if (p.exitValue() != 0) {
            System.err.println("shard4j launch: rank " + (firstRank + ranks.indexOf(p)) + " exited with "
                + p.exitValue() + "; stopping the others");
            stop(running);
            return p.exitValue();
          }
        }
      }
    }
    return 0;
  }

  /** Asks the ranks to exit, then kills those still there after the grace period. */
  private static void stop(List<Process> ranks) {
    ranks.forEach(Process::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_GRACE_SECONDS);
    for (Process p : ranks) {
      try {
        if (!p.waitFor(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
  }
}
