package dev.shard4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** Views and copies through views on random data, against {@link RefArray}. */
class ViewsTest {
  private final Allocator allocator = Allocator.root("views-test");

  @AfterEach
  void close() {
    assertEquals(0, allocator.allocatedBytes(), "every tensor of the test was closed");
    allocator.close();
  }

  /** A random chain of narrow/slice/select/transpose, read back and compared element by element. */
  @RepeatedTest(40)
  void randomViewChainsReadTheRightElements(RepetitionInfo info) {
    Random r = new Random(info.getCurrentRepetition());
    long[] shape = TestSupport.randomShape(r, 1 + r.nextInt(5), 7);
    int n = (int) Shape.of(shape).numel();
    double[] data = new double[n];
    for (int i = 0; i < n; i++) {
      data[i] = r.nextGaussian();
    }
    RefArray ref = RefArray.contiguous(data, shape);
    DType dtype = DType.values()[r.nextInt(DType.values().length)];
    List<Tensor> open = new ArrayList<>();
    try {
      Tensor t = Tensors.fromArray(allocator, data, DType.F64, Device.CPU, shape);
      open.add(t);
      for (int step = 0; step < 4 && ref.shape.length > 0; step++) {
        int dim = r.nextInt(ref.shape.length);
        long size = ref.shape[dim];
        switch (r.nextInt(4)) {
          case 0 -> {
            long start = r.nextInt((int) size + 1);
            long length = r.nextInt((int) (size - start) + 1);
            t = t.narrow(dim, start, length);
            ref = ref.slice(dim, start, start + length, 1);
          }
          case 1 -> {
            long start = r.nextInt((int) size + 1);
            long end = start + r.nextInt((int) (size - start) + 1);
            long stride = 1 + r.nextInt(3);
            t = t.slice(dim, start, end, stride);
            ref = ref.slice(dim, start, end, stride);
          }
          case 2 -> {
            if (size == 0) {
              continue;
            }
            long index = r.nextInt((int) size);
            t = t.select(dim, index);
            ref = ref.select(dim, index);
          }
          default -> {
            int other = r.nextInt(ref.shape.length);
            t = t.transpose(dim, other);
            ref = ref.transpose(dim, other);
          }
        }
        open.add(t);
        assertArrayEquals(ref.shape, t.shape().toArray(), ref.toString());
      }
      assertArrayEquals(ref.values(), t.toDoubleArray(), ref.toString());
      // The same view after a cast: the strided kernel converts and gathers in one pass.
      try (Tensor cast = t.cast(dtype)) {
        assertTrue(cast.isContiguous());
        double[] expected = ref.values();
        try (Tensor e = Tensors.fromArray(allocator, expected, dtype, Device.CPU, ref.shape)) {
          assertArrayEquals(e.toDoubleArray(), cast.toDoubleArray());
        }
      }
    } finally {
      open.forEach(Tensor::close);
    }
  }

  /** Copies into strided destinations write exactly the view's elements and nothing else. */
  @RepeatedTest(25)
  void copiesIntoStridedViewsTouchOnlyTheView(RepetitionInfo info) {
    Random r = new Random(100 + info.getCurrentRepetition());
    long[] shape = TestSupport.randomShape(r, 3, 9);
    int n = (int) Shape.of(shape).numel();
    double[] poison = new double[n];
    java.util.Arrays.fill(poison, -777);
    RefArray ref = RefArray.contiguous(poison.clone(), shape);
    try (Tensor dst = Tensors.full(allocator, DType.F32, Device.CPU, -777, shape)) {
      int dim = r.nextInt(3);
      long start = r.nextInt((int) shape[dim]);
      long end = start + 1 + r.nextInt((int) (shape[dim] - start));
      long step = 1 + r.nextInt(2);
      try (Tensor view0 = dst.slice(dim, start, end, step); Tensor view = view0.transpose(0, 2)) {
        RefArray refView = ref.slice(dim, start, end, step).transpose(0, 2);
        double[] values = new double[(int) view.numel()];
        for (int i = 0; i < values.length; i++) {
          values[i] = Math.rint(r.nextGaussian() * 1000) / 8; // exact in every float dtype
        }
        DType srcType = r.nextBoolean() ? DType.F64 : DType.BF16;
        if (srcType == DType.BF16) {
          for (int i = 0; i < values.length; i++) {
            values[i] = (int) values[i]; // small integers are exact in bf16 up to 256
            values[i] = Math.max(-256, Math.min(256, values[i]));
          }
        }
        try (Tensor src = Tensors.fromArray(allocator, values, srcType, Device.CPU, view.shape().toArray())) {
          view.copyFrom(src);
        }
        refView.assign(values);
        assertArrayEquals(ref.data, dst.toDoubleArray());
      }
    }
  }

  @Test
  void viewAndReshape() {
    double[] data = new double[24];
    for (int i = 0; i < data.length; i++) {
      data[i] = i * 1.5 - 7;
    }
    try (Tensor t = Tensors.fromArray(allocator, data, DType.F32, Device.CPU, 2, 3, 4);
        Tensor v = t.view(4, -1);
        Tensor tr = t.transpose(0, 2);
        Tensor reshaped = tr.reshape(-1)) {
      assertArrayEquals(new long[] {4, 6}, v.shape().toArray());
      assertTrue(v.sharesStorageWith(t));
      assertArrayEquals(data, v.toDoubleArray());
      assertFalse(tr.isContiguous());
      assertFalse(reshaped.sharesStorageWith(t), "a non-contiguous reshape copies");
      RefArray ref = RefArray.contiguous(data, 2, 3, 4).transpose(0, 2);
      assertArrayEquals(ref.values(), reshaped.toDoubleArray());
    }
  }

  @Test
  void chunkMatchesTorchChunk() {
    try (Tensor t = Tensors.arange(allocator, DType.I32, Device.CPU, 10)) {
      List<Tensor> pieces = t.chunk(4, 0); // torch.chunk(arange(10), 4): sizes 3, 3, 3, 1
      try {
        assertEquals(4, pieces.size());
        assertArrayEquals(new int[] {0, 1, 2}, pieces.get(0).toIntArray());
        assertArrayEquals(new int[] {9}, pieces.get(3).toIntArray());
      } finally {
        pieces.forEach(Tensor::close);
      }
      List<Tensor> six = t.chunk(6, 0); // sizes 2, 2, 2, 2, 2: fewer pieces than asked
      try {
        assertEquals(5, six.size());
      } finally {
        six.forEach(Tensor::close);
      }
    }
  }

  @Test
  void emptyAndScalarTensors() {
    try (Tensor e = Tensors.zeros(allocator, DType.F32, Device.CPU, 3, 0, 2);
        Tensor s = Tensors.full(allocator, DType.I64, Device.CPU, 42)) {
      assertEquals(0, e.numel());
      assertEquals(0, e.toFloatArray().length);
      assertEquals(1, s.numel());
      assertArrayEquals(new long[] {42}, s.toLongArray());
      try (Tensor c = e.copy()) {
        assertEquals(0, c.numel());
      }
    }
  }
}
