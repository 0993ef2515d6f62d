package dev.shard4j.tensor;

import dev.shard4j.testing.HalfReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FactoriesTest {
  private final Allocator allocator = Allocator.root("factories-test");

  @AfterEach
  void close() {
    allocator.close();
  }

  @Test
  void zerosFullAndArange() {
    try (Tensor z = Tensors.zeros(allocator, DType.BF16, Device.CPU, 3, 5);
        Tensor f = Tensors.full(allocator, DType.F16, Device.CPU, 1.1, 7);
        Tensor a = Tensors.arange(allocator, DType.I64, Device.CPU, 11)) {
      assertArrayEquals(new float[15], z.toFloatArray());
      short expected = (short) HalfReference.FP16.fromFloat(1.1f);
      for (short bits : f.toShortArray()) {
        assertEquals(expected, bits);
      }
      assertArrayEquals(new long[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, a.toLongArray());
    }
  }

  @Test
  void fillOfIntegersIsExact() {
    try (Tensor t = Tensors.empty(allocator, DType.I64, Device.CPU, 4)) {
      t.fill((1L << 60) + 1);
      for (long v : t.toLongArray()) {
        assertEquals((1L << 60) + 1, v);
      }
      t.fill(-2.9);
      assertArrayEquals(new long[] {-2, -2, -2, -2}, t.toLongArray());
    }
  }

  @Test
  void uniformIsSeededInRangeAndTheSameForEveryDtype() {
    try (Tensor a = Tensors.uniform(allocator, DType.F32, Device.CPU, 9, -2, 3, 100, 101);
        Tensor b = Tensors.uniform(allocator, DType.F32, Device.CPU, 9, -2, 3, 100, 101);
        Tensor c = Tensors.uniform(allocator, DType.F32, Device.CPU, 10, -2, 3, 100, 101);
        Tensor h = Tensors.uniform(allocator, DType.BF16, Device.CPU, 9, -2, 3, 100, 101);
        Tensor a16 = a.cast(DType.BF16)) {
      float[] va = a.toFloatArray();
      assertArrayEquals(va, b.toFloatArray());
      assertNotEquals(va[0], c.toFloatArray()[0]);
      double sum = 0;
      for (float v : va) {
        assertTrue(v >= -2 && v <= 3, "in range: " + v);
        sum += v;
      }
      assertEquals(0.5, sum / va.length, 0.05);
      // Same seed in bf16: the double values rounded once more (double -> f32 -> bf16 vs f32 -> bf16).
      assertArrayEquals(a16.toShortArray(), h.toShortArray());
    }
  }

  @Test
  void normalHasTheAskedMoments() {
    try (Tensor t = Tensors.normal(allocator, DType.F64, Device.CPU, 5, 3.0, 2.0, 200_000)) {
      double[] v = t.toDoubleArray();
      double mean = 0;
      for (double x : v) {
        mean += x;
      }
      mean /= v.length;
      double var = 0;
      for (double x : v) {
        var += (x - mean) * (x - mean);
      }
      var /= v.length;
      assertEquals(3.0, mean, 0.02);
      assertEquals(2.0, Math.sqrt(var), 0.02);
    }
  }

  @Test
  void fromArraysOfEveryKind() {
    try (Tensor f = Tensors.fromArray(allocator, new float[] {1.5f, -2f}, DType.F64, Device.CPU, 2);
        Tensor i = Tensors.fromArray(allocator, new int[] {7, -8, 9}, DType.F32, Device.CPU, 3);
        Tensor l = Tensors.fromArray(allocator, new long[] {1L << 40}, DType.I64, Device.CPU, 1);
        Tensor b = Tensors.fromBytes(allocator, new byte[] {-1, 2}, DType.U8, Device.CPU, 2);
        Tensor s = Tensors.fromBits(allocator, new short[] {0x3F80}, DType.BF16, Device.CPU, 1)) {
      assertArrayEquals(new double[] {1.5, -2}, f.toDoubleArray());
      assertArrayEquals(new float[] {7, -8, 9}, i.toFloatArray());
      assertArrayEquals(new long[] {1L << 40}, l.toLongArray());
      assertArrayEquals(new int[] {255, 2}, b.toIntArray());
      assertArrayEquals(new byte[] {-1, 2}, b.toByteArray());
      assertArrayEquals(new float[] {1f}, s.toFloatArray());
    }
  }

  @Test
  void nioBuffersInAndOut() {
    ByteBuffer in = ByteBuffer.allocateDirect(6 * 4).order(ByteOrder.nativeOrder());
    for (int k = 0; k < 6; k++) {
      in.putFloat(k * 0.25f - 1);
    }
    in.flip();
    try (Tensor t = Tensors.fromBuffer(allocator, in, DType.F32, Device.CPU, 2, 3);
        Tensor tr = t.transpose(0, 1)) {
      assertEquals(0, in.remaining(), "the buffer was consumed");
      ByteBuffer out = ByteBuffer.allocate(4 + 6 * 4).order(ByteOrder.nativeOrder());
      out.putInt(99);
      tr.copyTo(out);
      assertEquals(out.capacity(), out.position());
      out.flip();
      assertEquals(99, out.getInt());
      float[] expected = {-1f, -0.25f, -0.75f, 0f, -0.5f, 0.25f};
      for (float e : expected) {
        assertEquals(e, out.getFloat());
      }
    }
  }

  /** Out of range, integer fills saturate as a cast from a float does; they used to wrap. */
  @Test
  void integerFillsSaturateToTheDtypesRange() {
    try (Tensor i8 = Tensors.full(allocator, DType.I8, Device.CPU, 1000, 3);
        Tensor i8low = Tensors.full(allocator, DType.I8, Device.CPU, -1000, 3);
        Tensor u8 = Tensors.full(allocator, DType.U8, Device.CPU, -5, 3);
        Tensor u8high = Tensors.full(allocator, DType.U8, Device.CPU, 300.7, 3);
        Tensor i32 = Tensors.full(allocator, DType.I32, Device.CPU, 1e20, 3);
        Tensor i32low = Tensors.full(allocator, DType.I32, Device.CPU, -1e20, 3);
        Tensor i64 = Tensors.full(allocator, DType.I64, Device.CPU, 1e20, 3);
        Tensor nan = Tensors.full(allocator, DType.I32, Device.CPU, Double.NaN, 3)) {
      assertArrayEquals(new byte[] {127, 127, 127}, i8.toByteArray());
      assertArrayEquals(new byte[] {-128, -128, -128}, i8low.toByteArray());
      assertArrayEquals(new byte[] {0, 0, 0}, u8.toByteArray());
      assertArrayEquals(new byte[] {-1, -1, -1}, u8high.toByteArray(), "255 as an unsigned byte");
      assertArrayEquals(new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE}, i32.toIntArray());
      assertArrayEquals(new int[] {Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE}, i32low.toIntArray());
      assertArrayEquals(new long[] {Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE}, i64.toLongArray());
      assertArrayEquals(new int[3], nan.toIntArray());
      i8.fill(1000L);
      assertArrayEquals(new byte[] {127, 127, 127}, i8.toByteArray());
      i32.fill(Long.MIN_VALUE);
      assertArrayEquals(new int[] {Integer.MIN_VALUE, Integer.MIN_VALUE, Integer.MIN_VALUE}, i32.toIntArray());
      u8.fill(256L);
      assertArrayEquals(new byte[] {-1, -1, -1}, u8.toByteArray());
      i64.fill(Long.MIN_VALUE);
      assertArrayEquals(new long[] {Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE}, i64.toLongArray());
    }
    java.util.SplittableRandom random = new java.util.SplittableRandom(17);
    for (int k = 0; k < 200; k++) {
      long v = random.nextLong(Integer.MIN_VALUE, Integer.MAX_VALUE + 1L);
      try (Tensor t = Tensors.empty(allocator, DType.I32, Device.CPU, 5).fill(v);
          Tensor b = Tensors.empty(allocator, DType.I8, Device.CPU, 2).fill(v)) {
        assertEquals((int) v, t.toIntArray()[4], "in range: exact");
        assertEquals((byte) Math.max(-128, Math.min(127, v)), b.toByteArray()[1]);
      }
    }
  }

  /** A buffer's byte order is honoured both ways: heap buffers are big-endian unless told otherwise. */
  @Test
  void buffersOfEitherByteOrder() {
    java.util.SplittableRandom random = new java.util.SplittableRandom(5);
    for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
      for (boolean direct : new boolean[] {false, true}) {
        int n = 13;
        for (DType dtype : DType.values()) {
          int size = dtype.byteSize();
          ByteBuffer in = (direct ? ByteBuffer.allocateDirect(n * size + 3) : ByteBuffer.allocate(n * size + 3))
              .order(order);
          in.put((byte) 7); // elements need not start at an aligned position
          long[] bits = new long[n];
          for (int k = 0; k < n; k++) {
            bits[k] = random.nextLong() & (size == 8 ? -1L : (1L << (8 * size)) - 1);
            switch (size) {
              case 1 -> in.put((byte) bits[k]);
              case 2 -> in.putShort((short) bits[k]);
              case 4 -> in.putInt((int) bits[k]);
              default -> in.putLong(bits[k]);
            }
          }
          in.flip().position(1);
          try (Tensor t = Tensors.fromBuffer(allocator, in, dtype, Device.CPU, n)) {
            assertEquals(1 + n * size, in.position(), "consumed");
            ByteBuffer nativeBytes = ByteBuffer.allocate(n * size).order(ByteOrder.nativeOrder());
            t.copyTo(nativeBytes);
            nativeBytes.flip();
            ByteBuffer out = ByteBuffer.allocate(n * size + 1).order(order);
            out.put((byte) 9);
            t.copyTo(out);
            out.flip().position(1);
            for (int k = 0; k < n; k++) {
              long expected = bits[k];
              String what = dtype + " " + order + (direct ? " direct" : " heap") + " element " + k;
              switch (size) {
                case 1 -> {
                  assertEquals((byte) expected, nativeBytes.get(), what);
                  assertEquals((byte) expected, out.get(), what);
                }
                case 2 -> {
                  assertEquals((short) expected, nativeBytes.getShort(), what);
                  assertEquals((short) expected, out.getShort(), what);
                }
                case 4 -> {
                  assertEquals((int) expected, nativeBytes.getInt(), what);
                  assertEquals((int) expected, out.getInt(), what);
                }
                default -> {
                  assertEquals(expected, nativeBytes.getLong(), what);
                  assertEquals(expected, out.getLong(), what);
                }
              }
            }
          }
        }
      }
    }
    ByteBuffer bigEndian = ByteBuffer.allocate(4).putFloat(1.5f).flip();
    try (Tensor t = Tensors.fromBuffer(allocator, bigEndian, DType.F32, Device.CPU, 1)) {
      assertEquals(1.5f, t.toFloatArray()[0], "read as 6.9e-41 before the order was honoured");
    }
  }
}
