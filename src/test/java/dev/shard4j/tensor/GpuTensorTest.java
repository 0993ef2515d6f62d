package dev.shard4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.bindings.CudaReport;
import dev.shard4j.bindings.CudaUnavailableException;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The CUDA paths against the CPU paths (themselves checked against plain Java references). */
@Tag("gpu")
class GpuTensorTest {
  private static final Device GPU = Device.cuda(0);
  private Allocator allocator;

  @BeforeEach
  void requireGpu() {
    CudaReport report = Cuda.probe();
    assumeTrue(report.deviceCount() > 0, "no CUDA device: " + report.reason());
    allocator = Allocator.root("gpu-test");
  }

  @AfterEach
  void close() {
    if (allocator != null) {
      assertEquals(0, allocator.allocatedBytes(), "every tensor of the test was closed");
      allocator.close();
    }
  }

  @Test
  void presetsLoadWhereADeviceExists() {
    CudaReport report = Cuda.probe();
    assertTrue(report.cublas().loaded(), report.cublas().detail());
    assertTrue(report.nccl().loaded(), report.nccl().detail());
    assertTrue(report.runtimeVersion() >= 13000, "runtime " + report.runtimeVersion());
  }

  @Test
  void everyDtypeRoundTripsThroughTheDevice() {
    Random r = new Random(1);
    double[] values = new double[12_345];
    for (int i = 0; i < values.length; i++) {
      values[i] = r.nextInt(200) - 100;
    }
    for (DType dtype : DType.values()) {
      try (Tensor host = Tensors.fromArray(allocator, values, dtype, Device.CPU, 5, 2469);
          Tensor device = host.to(GPU);
          Tensor back = device.to(Device.CPU)) {
        assertEquals(GPU, device.device());
        assertArrayEquals(host.toDoubleArray(), back.toDoubleArray(), dtype.toString());
      }
    }
  }

  @Test
  void deviceCastsMatchTheCpuBitForBit() {
    float[] values = TestSupport.awkwardFloats(11, 1_000_003);
    try (Tensor host = Tensors.fromArray(allocator, values, DType.F32, Device.CPU, values.length);
        Tensor device = host.to(GPU)) {
      for (DType target : DType.values()) {
        try (Tensor onCpu = host.cast(target); Tensor onGpu = device.cast(target);
            Tensor gpuBack = onGpu.to(Device.CPU)) {
          ByteEquality.assertSameBytes(onCpu, gpuBack, "F32 -> " + target);
        }
      }
    }
    short[] all = new short[65536];
    for (int i = 0; i < all.length; i++) {
      all[i] = (short) i;
    }
    for (DType half : new DType[] {DType.F16, DType.BF16}) {
      try (Tensor host = Tensors.fromBits(allocator, all, half, Device.CPU, 65536);
          Tensor device = host.to(GPU);
          Tensor wideCpu = host.cast(DType.F32);
          Tensor wideGpu = device.cast(DType.F32);
          Tensor back = wideGpu.to(Device.CPU)) {
        ByteEquality.assertSameBytes(wideCpu, back, half + " -> F32");
      }
    }
  }

  @Test
  void stridedCopiesAndFillsOnTheDevice() {
    Random r = new Random(5);
    for (int round = 0; round < 20; round++) {
      long[] shape = TestSupport.randomShape(r, 4, 9);
      DType from = DType.values()[r.nextInt(DType.values().length)];
      DType to = DType.values()[r.nextInt(DType.values().length)];
      try (Tensor host = Tensors.uniform(allocator, from, Device.CPU, round, -100, 100, shape);
          Tensor device = host.to(GPU);
          Tensor hostT = host.transpose(0, 3);
          Tensor deviceT = device.transpose(0, 3);
          Tensor hostView = hostT.slice(1, 0, hostT.shape().dim(1), 2);
          Tensor deviceView = deviceT.slice(1, 0, deviceT.shape().dim(1), 2);
          Tensor expected = hostView.cast(to);
          Tensor actual = deviceView.cast(to);
          Tensor actualHost = actual.to(Device.CPU)) {
        ByteEquality.assertSameBytes(expected, actualHost, from + " -> " + to + " round " + round);
        try (Tensor hostDst = Tensors.full(allocator, to, Device.CPU, -3, shape);
            Tensor deviceDst = Tensors.full(allocator, to, GPU, -3, shape);
            Tensor hostSub = hostDst.narrow(2, 0, 1 + r.nextInt((int) shape[2]));
            Tensor deviceSub = deviceDst.narrow(2, 0, hostSub.shape().dim(2))) {
          hostSub.fill(7.5);
          deviceSub.fill(7.5);
          try (Tensor back = deviceDst.to(Device.CPU)) {
            ByteEquality.assertSameBytes(hostDst, back, "fill " + to);
          }
          // A host tensor copied straight into a strided device view.
          try (Tensor src = Tensors.uniform(allocator, DType.F64, Device.CPU, 99, -5, 5, hostSub.shape().toArray())) {
            hostSub.copyFrom(src);
            deviceSub.copyFrom(src);
          }
          try (Tensor back = deviceDst.to(Device.CPU)) {
            ByteEquality.assertSameBytes(hostDst, back, "host -> strided device view " + to);
          }
        }
      }
    }
  }

  @Test
  void streamsAndEventsOrderDeviceWork() {
    try (Stream side = Stream.create(GPU);
        Tensor a = Tensors.uniform(allocator, DType.F32, GPU, 3, -1, 1, 1 << 22);
        Tensor b = Tensors.empty(allocator, DType.BF16, GPU, 1 << 22);
        Event start = Event.create(GPU, true);
        Event end = Event.create(GPU, true)) {
      try (Event ready = Stream.defaultStream(GPU).record()) {
        side.waitFor(ready); // a was written on the default stream
      }
      start.record(side);
      b.copyFrom(a, side);
      end.record(side);
      side.synchronize(Duration.ofSeconds(30));
      assertTrue(end.isDone());
      assertTrue(Event.elapsedMillis(start, end) >= 0);
      try (Tensor aHost = a.to(Device.CPU); Tensor expected = aHost.cast(DType.BF16);
          Tensor actual = b.to(Device.CPU)) {
        ByteEquality.assertSameBytes(expected, actual, "copy on a side stream");
      }
    }
  }

  @Test
  void deviceMemoryIsAccountedAndMissingDevicesAreRefused() {
    try (Allocator child = allocator.newChild("gpu-child", 1 << 20)) {
      try (Tensor t = Tensors.zeros(child, DType.F32, GPU, 1000)) {
        assertEquals(4000, child.allocatedBytes());
        assertThrows(dev.shard4j.bindings.OutOfMemoryException.class,
            () -> Tensors.empty(child, DType.F32, GPU, 1 << 20));
      }
      assertEquals(0, child.allocatedBytes());
    }
    int count = Cuda.probe().deviceCount();
    assertThrows(CudaUnavailableException.class,
        () -> Tensors.zeros(allocator, DType.F32, Device.cuda(count), 4));
  }
}
