package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A multi-tensor copy computed once and run many times: a list of contiguous segments, each
 * copying elements from a source tensor (or writing zeros) into a destination tensor with a dtype
 * conversion and an optional scale, all in one pass over memory. Pack, unpack and chunk-cat are
 * plans built by {@link PackKernel}, {@link UnpackKernel} and {@link ChunkCatKernel}.
 *
 * <p>The plan holds a reference to every tensor it reads or writes, so they stay valid until it
 * is closed, whoever closes them first. The creator owns the plan and closes it; it may be run
 * from any thread, one run at a time per destination.
 */
public final class CopyPlan implements AutoCloseable {
  private final Device device;
  private final long handle;
  private final List<Tensor> held;
  private final long bytesMoved;
  private volatile boolean closed;

  private CopyPlan(Device device, long handle, List<Tensor> held, long bytesMoved) {
    this.device = device;
    this.handle = handle;
    this.held = held;
    this.bytesMoved = bytesMoved;
  }

  /**
   * Runs the plan as an exact conversion, on the device's default stream.
   */
  public void run() {
    run(1.0, null);
  }

  /**
   * Runs the plan: every destination element becomes convert(source * scale), the product in
   * fp32 (fp64 when F64 is involved).
   *
   * @param scale the factor (1: an exact conversion)
   * @param stream a stream of the plan's device, or null for its default stream
   */
  public void run(double scale, Stream stream) {
    if (closed) {
      throw new IllegalStateException("copy plan is closed");
    }
    if (!Double.isFinite(scale)) {
      throw new IllegalArgumentException("scale must be finite, got " + scale);
    }
    long profiled = KernelProfile.start();
    NativeApi.planRun(handle, scale, Checks.stream(stream, device));
    KernelProfile.stop("copy_plan", profiled);
  }

  /**
   * The device the plan runs on.
   *
   * @return the device of all its tensors
   */
  public Device device() {
    return device;
  }

  /**
   * The fewest bytes one run must move: each source element read once, each destination element
   * written once.
   *
   * @return bytes per run
   */
  public long bytesMoved() {
    return bytesMoved;
  }

  /** Frees the plan and drops its references to the tensors; idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    NativeApi.planDestroy(handle);
    held.forEach(Tensor::close);
  }

  /**
   * Collects segments, checks them and builds the plan. Closing it releases the tensors it holds
   * unless {@link #build()} handed them to the plan. Not thread-safe.
   */
  static final class Builder implements AutoCloseable {
    private final Device device;
    private final Map<Tensor, Tensor> held = new IdentityHashMap<>();
    private final List<long[]> segments = new ArrayList<>(); // src, dst, count, srcDtype, dstDtype, srcBytes
    private long bytesMoved;

    Builder(Device device) {
      this.device = device;
    }

    /**
     * Adds a segment: count elements from src at srcOffset (src null: zeros) into dst at dstOffset.
     */
    Builder add(Tensor src, long srcOffset, Tensor dst, long dstOffset, long count, String what) {
      check(dst, dstOffset, count, what + " destination");
      long srcAddress = 0;
      int srcDtype = dst.dtype().nativeCode();
      long srcBytes = 0;
      if (src != null) {
        check(src, srcOffset, count, what + " source");
        srcAddress = src.dataAddress() + srcOffset * src.dtype().byteSize();
        srcDtype = src.dtype().nativeCode();
        srcBytes = count * src.dtype().byteSize();
        hold(src);
      }
      hold(dst);
      long dstAddress = dst.dataAddress() + dstOffset * dst.dtype().byteSize();
      long dstBytes = count * dst.dtype().byteSize();
      segments.add(new long[] {srcAddress, dstAddress, count, srcDtype, dst.dtype().nativeCode(), srcBytes, dstBytes});
      bytesMoved += srcBytes + dstBytes;
      return this;
    }

    private void check(Tensor t, long offset, long count, String what) {
      Checks.contiguous(t, what);
      Checks.sameDevice(t, device, what);
      Checks.dtype(t, what, Checks.FLOATS);
      if (offset < 0 || count < 0 || offset > t.numel() - count) {
        throw new IllegalArgumentException(what + ": elements [" + offset + ", " + (offset + count)
            + ") are out of range for " + t.numel() + " elements");
      }
    }

    private void hold(Tensor t) {
      held.computeIfAbsent(t, Tensor::contiguous);
    }

    CopyPlan build() {
      checkOverlaps();
      int n = segments.size();
      long[] src = new long[n];
      long[] dst = new long[n];
      long[] count = new long[n];
      int[] srcDtype = new int[n];
      int[] dstDtype = new int[n];
      for (int i = 0; i < n; i++) {
        long[] s = segments.get(i);
        src[i] = s[0];
        dst[i] = s[1];
        count[i] = s[2];
        srcDtype[i] = (int) s[3];
        dstDtype[i] = (int) s[4];
      }
      long handle = NativeApi.planCreate(device.nativeOrdinal(), src, dst, count, srcDtype, dstDtype);
      List<Tensor> views = new ArrayList<>(held.values());
      held.clear();
      return new CopyPlan(device, handle, views, bytesMoved);
    }

    @Override
    public void close() {
      held.values().forEach(Tensor::close);
      held.clear();
    }

    /** Destinations must not overlap each other, nor any source. */
    private void checkOverlaps() {
      List<long[]> writes = new ArrayList<>();
      for (int i = 0; i < segments.size(); i++) {
        long[] s = segments.get(i);
        if (s[6] > 0) {
          writes.add(new long[] {s[1], s[1] + s[6], i});
        }
      }
      writes.sort(Comparator.comparingLong(w -> w[0]));
      for (int k = 1; k < writes.size(); k++) {
        if (writes.get(k)[0] < writes.get(k - 1)[1]) {
          throw new IllegalArgumentException("destinations of segments " + writes.get(k - 1)[2] + " and "
              + writes.get(k)[2] + " overlap");
        }
      }
      long[] starts = writes.stream().mapToLong(w -> w[0]).toArray();
      for (int i = 0; i < segments.size(); i++) {
        long[] s = segments.get(i);
        if (s[0] == 0 || s[5] == 0) {
          continue;
        }
        // The last write starting before this source ends is the only one that can overlap it.
        int k = Arrays.binarySearch(starts, s[0] + s[5]);
        k = k >= 0 ? k - 1 : -k - 2;
        if (k >= 0 && writes.get(k)[1] > s[0]) {
          throw new IllegalArgumentException("source of segment " + i + " overlaps the destination of segment "
              + writes.get(k)[2]);
        }
      }
    }
  }
}
