package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Relu and its gradient on random bit patterns of every float dtype (NaNs, infinities, zeros of
 * both signs and subnormals among them) against a reference on the bits.
 */
class ReluTest {
  private static final DType[] FLOATS = {DType.F32, DType.F64, DType.F16, DType.BF16};
  private final Allocator allocator = Allocator.root("relu-test");

  @AfterEach
  void close() {
    allocator.close();
  }

  /** Random elements as raw little-endian bits, one in eight a special value. */
  private static long[] randomBits(Random r, DType dtype, int n) {
    int width = dtype.byteSize() * 8;
    long mask = width == 64 ? -1L : (1L << width) - 1;
    long sign = 1L << (width - 1);
    long exponentAllOnes = switch (dtype) {
      case F64 -> 0x7FF0000000000000L;
      case F32 -> 0x7F800000L;
      case F16 -> 0x7C00L;
      default -> 0x7F80L;
    };
    // +0, -0, +inf, -inf, a NaN of each sign, the smallest subnormal of each sign
    long[] specials = {0, sign, exponentAllOnes, sign | exponentAllOnes, exponentAllOnes | 1,
        sign | exponentAllOnes | 1, 1, sign | 1};
    long[] bits = new long[n];
    for (int i = 0; i < n; i++) {
      bits[i] = r.nextInt(8) == 0 ? specials[r.nextInt(specials.length)] : r.nextLong() & mask;
    }
    return bits;
  }

  private static boolean isNaN(DType dtype, long bits) {
    long exponent = exponentMask(dtype);
    long magnitude = bits & (signBit(dtype) - 1);
    return (magnitude & exponent) == exponent && (magnitude & ~exponent) != 0;
  }

  /** Neither NaN nor <= 0: what relu keeps. */
  private static boolean keptByRelu(DType dtype, long bits) {
    long magnitude = bits & (signBit(dtype) - 1);
    return isNaN(dtype, bits) || ((bits & signBit(dtype)) == 0 && magnitude != 0);
  }

  private static long signBit(DType dtype) {
    return 1L << (dtype.byteSize() * 8 - 1);
  }

  private static long exponentMask(DType dtype) {
    return switch (dtype) {
      case F64 -> 0x7FF0000000000000L;
      case F32 -> 0x7F800000L;
      case F16 -> 0x7C00L;
      default -> 0x7F80L;
    };
  }

  private Tensor tensor(DType dtype, long[] bits) {
    ByteBuffer b = ByteBuffer.allocate(bits.length * dtype.byteSize()).order(ByteOrder.nativeOrder());
    for (long v : bits) {
      switch (dtype.byteSize()) {
        case 8 -> b.putLong(v);
        case 4 -> b.putInt((int) v);
        default -> b.putShort((short) v);
      }
    }
    b.flip();
    return Tensors.fromBuffer(allocator, b, dtype, Device.CPU, bits.length);
  }

  private static long[] bits(Tensor t) {
    ByteBuffer b = ByteBuffer.allocate((int) t.numel() * t.dtype().byteSize()).order(ByteOrder.nativeOrder());
    t.copyTo(b);
    b.flip();
    long[] out = new long[(int) t.numel()];
    long mask = t.dtype().byteSize() == 8 ? -1L : (1L << (t.dtype().byteSize() * 8)) - 1;
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (t.dtype().byteSize()) {
        case 8 -> b.getLong();
        case 4 -> b.getInt() & mask;
        default -> b.getShort() & mask;
      };
    }
    return out;
  }

  @RepeatedTest(6)
  void matchesTheReferenceOnEveryBitPattern(RepetitionInfo info) {
    Random r = new Random(info.getCurrentRepetition());
    for (DType dtype : FLOATS) {
      int n = 1 + r.nextInt(5000);
      long[] in = randomBits(r, dtype, n);
      long[] grad = randomBits(r, dtype, n);
      long[] expectedOut = new long[n];
      long[] expectedGrad = new long[n];
      for (int i = 0; i < n; i++) {
        expectedOut[i] = keptByRelu(dtype, in[i]) ? in[i] : 0;
        // the gradient is taken from relu's output: kept where that output is not <= 0
        expectedGrad[i] = keptByRelu(dtype, expectedOut[i]) ? grad[i] : 0;
      }
      try (Tensor x = tensor(dtype, in); Tensor y = tensor(dtype, randomBits(r, dtype, n));
          Tensor g = tensor(dtype, grad); Tensor dx = tensor(dtype, randomBits(r, dtype, n))) {
        Relu.forward(x, y, null);
        assertArrayEquals(expectedOut, bits(y), "relu " + dtype);
        Relu.backward(g, y, dx, null);
        assertArrayEquals(expectedGrad, bits(dx), "relu backward " + dtype);
        Relu.forward(x, x, null); // in place
        assertArrayEquals(expectedOut, bits(x), "relu in place " + dtype);
        Relu.backward(g, y, g, null); // in place on the gradient
        assertArrayEquals(expectedGrad, bits(g), "relu backward in place " + dtype);
      }
    }
  }
}
