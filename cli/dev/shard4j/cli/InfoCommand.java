package dev.shard4j.cli;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.bindings.CudaDeviceInfo;
import dev.shard4j.bindings.CudaReport;
import dev.shard4j.bindings.NativeApi;
import dev.shard4j.bindings.NativeLibrary;
import dev.shard4j.bindings.PresetStatus;
import dev.shard4j.bindings.Setting;
import dev.shard4j.collectives.rendezvous.LaunchEnv;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code shard4j info}: what this machine offers shard4j (Java, the native library, CPU
 * features, CUDA, cuBLAS, NCCL), the settings in force, and the rank of a launch. Never fails for a
 * missing GPU: it says why there is none.
 */
@Command(name = "info", mixinStandardHelpOptions = true,
    description = "Describe Java, the native library, CPU, CUDA devices, NCCL, cuBLAS and settings.")
public final class InfoCommand implements Callable<Integer> {
  /** Creates the command; picocli calls this. */
  public InfoCommand() {}

  @Override
  public Integer call() {
    print(System.out);
    return 0;
  }

  /**
   * Writes the report.
   *
   * @param out where to write
   */
  static void print(PrintStream out) {
    Runtime rt = Runtime.getRuntime();
    out.println("shard4j " + VersionProvider.version());
    out.printf("Java:     %s (%s), %s%n", System.getProperty("java.version"),
        System.getProperty("java.vendor"), System.getProperty("java.home"));
    out.printf("OS:       %s %s %s, %d processors, max heap %d MiB%n", System.getProperty("os.name"),
        System.getProperty("os.version"), System.getProperty("os.arch"), rt.availableProcessors(),
        rt.maxMemory() >> 20);
    boolean nativeOk = NativeLibrary.isLoaded();
    if (nativeOk) {
      out.println("Native:   " + NativeApi.buildInfo());
      out.println("CPU:      " + NativeApi.cpuFeatures() + " (host kernels: " + NativeApi.cpuIsa() + ", "
          + NativeApi.cpuThreads() + " threads)");
    } else {
      out.println("Native:   not loaded: " + NativeLibrary.failureReason());
    }
    CudaReport cuda = Cuda.probe();
    out.println("CUDA:     " + (cuda.deviceCount() > 0 ? cuda.deviceCount() + " device(s)"
        : "no usable device: " + cuda.reason()));
    out.println("          driver " + version(cuda.driverVersion()) + ", runtime "
        + version(cuda.runtimeVersion()) + " (linked into libshard4j)");
    for (CudaDeviceInfo d : cuda.devices()) {
      out.printf(Locale.ROOT, "  cuda:%d  %s, %.1f GiB, compute %d.%d, %d SMs%n", d.ordinal(), d.name(),
          d.totalMemory() / (double) (1L << 30), d.major(), d.minor(), d.multiprocessors());
    }
    out.println("cuBLAS:   " + preset(cuda.cublas()));
    out.println("NCCL:     " + preset(cuda.nccl()));
    if (System.getenv("RANK") != null) {
      out.println("Launch:   " + launch());
    }
    out.println("Settings:");
    for (Setting s : Setting.values()) {
      out.printf("  %s=%s (%s): %s%n", s.key(), s.value(), s.source(), s.description());
    }
  }

  /** This process's rank of a launch (torchrun's variables, or shard4j launch). */
  private static String launch() {
    try {
      LaunchEnv e = LaunchEnv.fromEnv();
      return String.format(Locale.ROOT, "rank %d of %d (local %d of %d), rendezvous at %s:%d", e.rank(),
          e.worldSize(), e.localRank(), e.localWorldSize(), e.masterAddr(), e.masterPort());
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
  }

  private static String version(int v) {
    return v == 0 ? "none" : (v / 1000) + "." + (v % 1000) / 10;
  }

  private static String preset(PresetStatus status) {
    return (status.loaded() ? "loaded from " : "") + status.detail();
  }
}
