package dev.shard4j.bindings;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Loader;

/**
 * Whether CUDA can be used here, asked without ever throwing or crashing the JVM.
 *
 * <p>The probe asks libshard4j first (its statically linked cudart answers even without a
 * driver); only when a device exists does it load the Bytedeco cudart, cuBLAS and NCCL presets,
 * catching every failure, because a failed preset load poisons those classes for the JVM's life.
 * The verdict is computed once and cached. Thread-safe.
 */
public final class Cuda {
  private static volatile CudaReport report;

  private Cuda() {}

  /**
   * The cached verdict, probing on the first call.
   *
   * @return what CUDA offers here
   */
  public static CudaReport probe() {
    CudaReport r = report;
    if (r == null) {
      synchronized (Cuda.class) {
        if (report == null) {
          report = computeReport();
        }
        r = report;
      }
    }
    return r;
  }

  /**
   * Whether at least one CUDA device is usable.
   *
   * @return true when cuda:0 exists
   */
  public static boolean available() {
    return probe().deviceCount() > 0;
  }

  /**
   * Throws unless the device exists.
   *
   * @param ordinal CUDA device number
   * @throws CudaUnavailableException naming the reason
   */
  public static void requireDevice(int ordinal) {
    CudaReport r = probe();
    if (ordinal < 0 || ordinal >= r.deviceCount()) {
      throw new CudaUnavailableException("cuda:" + ordinal + " is not available: "
          + (r.deviceCount() == 0 ? r.reason() : r.deviceCount() + " CUDA device(s) present"));
    }
  }

  private static CudaReport computeReport() {
    if (!NativeLibrary.isLoaded()) {
      return CudaReport.unavailable("libshard4j is not loaded: " + NativeLibrary.failureReason(),
          new int[2]);
    }
    int count;
    try {
      count = NativeApi.cudaDeviceCount();
    } catch (RuntimeException e) {
      int[] versions = versionsOrZero();
      // A runtime built in and a driver version of 0: cudart found no libcuda.so.1. The native
      // message (the failed call, "driver version is insufficient", our source file) says
      // nothing of that to the user.
      boolean noDriver = versions[1] > 0 && versions[0] == 0;
      return CudaReport.unavailable(noDriver ? "no NVIDIA driver (libcuda.so.1 not found)" : e.getMessage(), versions);
    }
    int[] versions = versionsOrZero();
    if (count == 0) {
      return new CudaReport(0, "no CUDA device found", versions[0], versions[1], List.of(),
          PresetStatus.notTried("no CUDA device"), PresetStatus.notTried("no CUDA device"));
    }
    List<CudaDeviceInfo> devices = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      devices.add(NativeApi.cudaDeviceProperties(i));
    }
    PresetStatus cublas = loadPreset("org.bytedeco.cuda.global.cublas");
    PresetStatus nccl = loadPreset("org.bytedeco.cuda.global.nccl");
    return new CudaReport(count, "", versions[0], versions[1], List.copyOf(devices), cublas, nccl);
  }

  /** {driver, runtime}; a library built without CUDA has neither. */
  private static int[] versionsOrZero() {
    try {
      return NativeApi.cudaVersions();
    } catch (RuntimeException e) {
      return new int[2];
    }
  }

  private static PresetStatus loadPreset(String className) {
    try {
      Class<?> preset = Class.forName(className);
      String path = Loader.load(preset);
      return PresetStatus.loaded(path);
    } catch (Throwable t) {
      return PresetStatus.failed(t.getClass().getSimpleName() + ": " + t.getMessage()
          + " (is the library on LD_LIBRARY_PATH?)");
    }
  }
}
