package dev.shard4j.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Compares two tensors' raw element bytes, reporting the first differing element. */
final class ByteEquality {
  private ByteEquality() {}

  static void assertSameBytes(Tensor expected, Tensor actual, String what) {
    assertEquals(expected.dtype(), actual.dtype(), what);
    assertEquals(expected.shape(), actual.shape(), what);
    int size = expected.dtype().byteSize();
    int bytes = (int) (expected.numel() * size);
    ByteBuffer e = ByteBuffer.allocate(bytes).order(ByteOrder.nativeOrder());
    ByteBuffer a = ByteBuffer.allocate(bytes).order(ByteOrder.nativeOrder());
    expected.copyTo(e);
    actual.copyTo(a);
    int mismatch = e.flip().mismatch(a.flip());
    if (mismatch >= 0) {
      fail(what + ": element " + mismatch / size + " differs (" + expected.dtype() + ")");
    }
  }
}
