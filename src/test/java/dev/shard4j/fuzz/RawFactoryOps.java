package dev.shard4j.fuzz;

import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensors;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The factories of raw elements: Tensors.fromBits (F16, BF16), fromBytes (I8, U8) and
 * fromBuffer (any dtype, heap or direct buffers at any position), with the defects of
 * {@link FactoryOps} and their own: a dtype they do not take, a buffer of a ragged length.
 */
final class RawFactoryOps {
  private final ApiFuzzer f;
  private final Gen g;
  private final FactoryOps factories;

  RawFactoryOps(ApiFuzzer f, FactoryOps factories) {
    this.f = f;
    this.g = f.gen;
    this.factories = factories;
  }

  /** A raw factory given a dtype it does not take (checked before anything else). */
  private FactoryOps.Target wrongType(DType dtype, String name) {
    return new FactoryOps.Target(f.pool.pickAllocator(), dtype, Device.CPU, g.shape(),
        Outcome.fails(IllegalArgumentException.class, "not " + dtype), name);
  }

  /** fromBits: F16 or BF16; any other dtype is a defect. */
  void fromBits() {
    boolean wrongType = g.chance(8);
    DType dtype = wrongType ? g.of(new DType[] {DType.F32, DType.I8, DType.F64, DType.I64}) : g.of(new DType[] {
        DType.F16, DType.BF16});
    FactoryOps.Target t0 = wrongType ? wrongType(dtype, "not a 16-bit float") : factories.target(dtype, true);
    String[] ld = new String[1];
    int n = factories.length(t0, ld);
    boolean nul = t0.defect() == null && ld[0] == null && g.chance(3);
    FactoryOps.Target t = factories.arrayTarget(t0, n, ld, "bits", nul);
    short[] v = new short[n];
    for (int i = 0; i < n; i++) {
      v[i] = (short) g.r.nextInt();
    }
    short[] arg = nul ? null : v;
    FactoryOps.Target u = t;
    factories.make("Tensors.fromBits", factories.describe("fromBits(short[" + n + "])", u), u, u.dtype(), () -> {
      long[] raw = new long[n];
      for (int i = 0; i < n; i++) {
        raw[i] = v[i] & 0xFFFF;
      }
      return raw;
    }, () -> Tensors.fromBits(FactoryOps.real(u.allocator()), arg, u.dtype(), u.device(), u.shape()));
  }

  /** fromBytes: I8 or U8; any other dtype is a defect. */
  void fromBytes() {
    boolean wrongType = g.chance(8);
    DType dtype = wrongType ? g.of(new DType[] {DType.F32, DType.BF16, DType.I32}) : g.of(new DType[] {DType.I8,
        DType.U8});
    FactoryOps.Target t0 = wrongType ? wrongType(dtype, "not a byte dtype") : factories.target(dtype, true);
    String[] ld = new String[1];
    int n = factories.length(t0, ld);
    boolean nul = t0.defect() == null && ld[0] == null && g.chance(3);
    FactoryOps.Target t = factories.arrayTarget(t0, n, ld, "bytes", nul);
    byte[] v = new byte[n];
    g.r.nextBytes(v);
    byte[] arg = nul ? null : v;
    FactoryOps.Target u = t;
    factories.make("Tensors.fromBytes", factories.describe("fromBytes(byte[" + n + "])", u), u, u.dtype(), () -> {
      long[] raw = new long[n];
      for (int i = 0; i < n; i++) {
        raw[i] = u.dtype() == DType.U8 ? v[i] & 0xFF : v[i];
      }
      return raw;
    }, () -> Tensors.fromBytes(FactoryOps.real(u.allocator()), arg, u.dtype(), u.device(), u.shape()));
  }

  /**
   * fromBuffer from a heap or direct buffer whose remaining bytes (after a random position) hold
   * the elements; its position must end past them. In the native byte order unless
   * FROM_BUFFER_BYTE_ORDER is on.
   */
  void fromBuffer() {
    FactoryOps.Target t0 = factories.target(g.dtype(), true);
    DType dtype = t0.dtype() == null ? DType.F32 : t0.dtype();
    String[] ld = new String[1];
    int n = factories.length(t0, ld);
    boolean nul = t0.defect() == null && ld[0] == null && g.chance(3);
    FactoryOps.Target t = factories.arrayTarget(t0, n, ld, "buffer", nul);
    int size = dtype.byteSize();
    int extra = 0;
    if (t.defect() == null && size > 1 && g.chance(5)) {
      extra = g.between(1, size - 1);
      t = new FactoryOps.Target(t.allocator(), t.dtype(), t.device(), t.shape(),
          Outcome.fails(IllegalArgumentException.class, "not a multiple of"), "ragged buffer");
    }
    int start = g.between(0, 9);
    int bytes = start + n * size + extra;
    ByteBuffer buffer = g.chance(50) ? ByteBuffer.allocateDirect(bytes + 3) : ByteBuffer.allocate(bytes + 3);
    ByteOrder order = g.chance(50) ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    buffer.order(order);
    long[] raw = new long[n];
    buffer.position(start);
    for (int i = 0; i < n; i++) {
      raw[i] = g.rawElement(dtype);
      put(buffer, dtype, raw[i]);
    }
    for (int i = 0; i < extra; i++) {
      buffer.put((byte) 0x5A);
    }
    buffer.limit(buffer.position());
    buffer.position(start);
    ByteBuffer arg = nul ? null : buffer;
    FactoryOps.Target u = t;
    String what = factories.describe("fromBuffer(" + (buffer.isDirect() ? "direct" : "heap") + " " + order + " buffer of "
        + (bytes - start) + " bytes)", u);
    factories.make("Tensors.fromBuffer", what, u, u.dtype(), () -> {
      if (buffer.remaining() != 0) {
        f.check("fromBuffer left " + buffer.remaining() + " bytes of the buffer unread");
      }
      return raw;
    }, () -> Tensors.fromBuffer(FactoryOps.real(u.allocator()), arg, u.dtype(), u.device(), u.shape()));
  }

  private static void put(ByteBuffer b, DType t, long raw) {
    switch (t.byteSize()) {
      case 1 -> b.put((byte) raw);
      case 2 -> b.putShort((short) raw);
      case 4 -> b.putInt((int) raw);
      default -> b.putLong(raw);
    }
  }
}
