package dev.shard4j.bindings;

import java.util.List;

/**
 * What the CUDA probe found; immutable.
 *
 * @param deviceCount usable devices (0 when none)
 * @param reason why there are none, "" when there are
 * @param driverVersion the driver's CUDA version (1000 * major + 10 * minor), 0 when none
 * @param runtimeVersion the runtime built into libshard4j, 0 when built without CUDA
 * @param devices each device's properties
 * @param cublas whether the cuBLAS preset loaded
 * @param nccl whether the NCCL preset loaded
 */
public record CudaReport(int deviceCount, String reason, int driverVersion, int runtimeVersion,
    List<CudaDeviceInfo> devices, PresetStatus cublas, PresetStatus nccl) {

  static CudaReport unavailable(String reason, int[] versions) {
    PresetStatus skipped = PresetStatus.notTried("CUDA unavailable");
    return new CudaReport(0, reason, versions[0], versions[1], List.of(), skipped, skipped);
  }
}
