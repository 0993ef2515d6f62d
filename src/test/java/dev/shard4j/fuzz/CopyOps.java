package dev.shard4j.fuzz;

import dev.shard4j.bindings.CudaUnavailableException;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * copyFrom (with and without a stream), cast, to, copy, fill, the reads back to Java (to*Array,
 * copyTo) and close; with defects: null, closed or mismatched tensors, overlapping views, a
 * stream of another device or a closed one, the wrong dtype for raw reads, a short buffer.
 */
final class CopyOps {
  private final ApiFuzzer f;
  private final Gen g;
  private final Stream created = Stream.create(Device.CPU);
  private final Stream closedStream = Stream.create(Device.CPU);

  CopyOps(ApiFuzzer f) {
    this.f = f;
    this.g = f.gen;
    closedStream.close();
  }

  void step() {
    ModelTensor t = f.pool.pick();
    if (t == null || g.chance(3)) {
      t = f.pool.pickClosed();
      if (t == null) {
        return;
      }
    }
    switch (g.r.nextInt(12)) {
      case 0, 1 -> copyFrom(t);
      case 2 -> cast(t);
      case 3 -> fill(t);
      case 4, 5 -> read(t);
      case 6 -> copyTo(t);
      case 7 -> queries(t);
      default -> closeOne();
    }
  }

  private static Outcome closedOr(ModelTensor t, Outcome otherwise) {
    return t.closed ? Outcome.fails(IllegalStateException.class, "is closed") : otherwise;
  }

  /** Closes a random live tensor. */
  void closeOne() {
    ModelTensor t = f.pool.pick();
    if (t != null) {
      close(t);
    }
  }

  /** Closes a tensor, now and then twice (close is idempotent). */
  void close(ModelTensor t) {
    boolean twice = g.chance(10);
    f.call("Tensor.close", "t" + t.id + ".close()" + (twice ? " twice" : "") + " of " + t, Outcome.ok(), () -> {
      t.real.close();
      if (twice) {
        t.real.close();
      }
      return null;
    });
    f.pool.close(t);
    if (!t.real.isClosed()) {
      f.check("t" + t.id + ".isClosed() is false after close");
    }
    f.check(f.pool.verify());
  }

  /** dst.copyFrom(src): a tensor of the same shape where there is one, now and then a defect. */
  private void copyFrom(ModelTensor dst) {
    ModelTensor src = f.pool.pick(t -> Arrays.equals(t.shape, dst.shape) && t != dst);
    if (src == null || g.chance(5)) {
      src = g.chance(50) ? dst : f.pool.pick();
    }
    boolean nullSrc = g.chance(3);
    Stream stream = null;
    String streamName = "";
    int k = g.r.nextInt(10);
    if (k < 3) {
      stream = k == 0 ? created : Stream.defaultStream(Device.CPU);
      streamName = ", cpu stream";
    } else if (k == 3 && g.chance(30)) {
      stream = g.chance(50) ? closedStream : Stream.defaultStream(Device.cuda(0));
      streamName = stream == closedStream ? ", closed stream" : ", cuda:0 stream";
    }
    ModelTensor s = src;
    Outcome expected;
    boolean noWork = s != null && (dst.numel() == 0 || dst.sameLayout(s));
    if (nullSrc || s == null) {
      expected = Outcome.fails(NullPointerException.class, "src");
    } else if (dst.closed || s.closed) {
      expected = Outcome.fails(IllegalStateException.class, "is closed");
    } else if (!Arrays.equals(s.shape, dst.shape)) {
      expected = Outcome.fails(IllegalArgumentException.class, "differ in shape");
    } else if (streamName.equals(", cuda:0 stream")) {
      expected = Outcome.fails(IllegalArgumentException.class, "is not the device");
    } else if (noWork) {
      expected = Outcome.ok();
    } else if (s.storage == dst.storage) {
      // Refused when the views share an element; where they are disjoint the check may still be
      // conservative (it compares spans), so either outcome is right.
      Outcome overlap = Outcome.fails(IllegalArgumentException.class, "overlap");
      expected = dst.sharesElementsWith(s) ? overlap : overlap.orOk();
    } else {
      expected = Outcome.ok();
    }
    if (stream == closedStream && !noWork && expected.successAllowed()) {
      // The stream is used last, once there is work to do.
      Outcome closedStreamFails = Outcome.fails(IllegalStateException.class, "is closed");
      expected = expected.failureExpected() ? closedStreamFails.orFails(IllegalArgumentException.class, "overlap")
          : closedStreamFails;
    }
    Stream st = stream;
    String what = "t" + dst.id + ".copyFrom(" + (nullSrc || s == null ? "null" : "t" + s.id) + streamName + ") of "
        + dst + (s == null ? "" : " from " + s);
    Tensor realSrc = nullSrc || s == null ? null : s.real;
    Outcome.Result<Object> result = f.call(st == null ? "Tensor.copyFrom" : "Tensor.copyFrom(stream)", what,
        expected, () -> {
          if (st == null) {
            dst.real.copyFrom(realSrc);
          } else {
            dst.real.copyFrom(realSrc, st);
          }
          return null;
        });
    if (result.ok() && !noWork) {
      long[] v = s.values();
      for (int i = 0; i < v.length; i++) {
        v[i] = Elements.convert(s.dtype(), v[i], dst.dtype());
      }
      boolean covers = dst.coversStorage();
      dst.assign(v);
      dst.storage.tainted = covers ? s.storage.tainted : dst.storage.tainted || s.storage.tainted;
    }
    f.check(f.pool.verify(dst.storage));
  }

  /** cast, copy or to: a new contiguous tensor from the same allocator. */
  private void cast(ModelTensor t) {
    int kind = g.r.nextInt(4);
    DType target = kind == 0 || kind == 2 ? t.dtype() : g.dtype();
    boolean toCuda = kind == 3 && !f.cuda && g.chance(30);
    boolean nullArg = (kind == 1 || kind == 2) && g.chance(3);
    Outcome expected;
    Pool.Allocations allocs = null;
    if (t.closed) {
      expected = Outcome.fails(IllegalStateException.class, "is closed");
    } else if (nullArg) {
      expected = Outcome.fails(NullPointerException.class, "target");
    } else if (toCuda) {
      expected = Outcome.fails(CudaUnavailableException.class, "cuda:0");
    } else {
      allocs = f.pool.allocations().take(t.storage.allocator, target, t.numel());
      expected = allocs.failure == null ? Outcome.ok() : allocs.failure;
    }
    String what = switch (kind) {
      case 0 -> "t" + t.id + ".copy()";
      case 1 -> "t" + t.id + ".cast(" + (nullArg ? "null" : target) + ")";
      case 2 -> "t" + t.id + (nullArg ? ".to(null)" : ".to(cpu)");
      default -> "t" + t.id + (toCuda ? ".to(cuda:0)" : ".cast(" + target + ")");
    } + " of " + t;
    DType dt = target;
    Outcome.Result<Tensor> result = f.call(kind == 0 ? "Tensor.copy" : kind == 2 ? "Tensor.to" : "Tensor.cast", what,
        expected, () -> switch (kind) {
          case 0 -> t.real.copy();
          case 2 -> t.real.to(nullArg ? null : Device.CPU);
          default -> nullArg ? t.real.cast(null) : toCuda ? t.real.to(Device.cuda(0)) : t.real.cast(dt);
        });
    if (!result.ok()) {
      f.check(f.pool.verify());
      return;
    }
    long[] v = t.values();
    for (int i = 0; i < v.length; i++) {
      v[i] = Elements.convert(t.dtype(), v[i], target);
    }
    ModelTensor m = f.pool.addContiguous(t.storage.allocator, result.value(), t.shape.clone(), v);
    m.storage.tainted = t.storage.tainted;
    f.check(m.compareLayout());
    f.check(f.pool.verify(m.storage));
  }

  /** fill(double) or fill(long); it returns the tensor itself. */
  private void fill(ModelTensor t) {
    boolean asLong = g.chance(40);
    long lv = asLong ? g.longValue() : 0; // in an integer dtype's range or not: fills saturate
    double dv = asLong ? 0 : g.value();
    long element = asLong ? fillLongElement(t.dtype(), lv) : FactoryOps.fillElement(t.dtype(), dv);
    String what = "t" + t.id + ".fill(" + (asLong ? lv + "L" : Double.toString(dv)) + ") of " + t;
    Outcome.Result<Tensor> result = f.call(asLong ? "Tensor.fill(long)" : "Tensor.fill(double)", what,
        closedOr(t, Outcome.ok()), () -> asLong ? t.real.fill(lv) : t.real.fill(dv));
    if (result.ok()) {
      if (result.value() != t.real) {
        f.check("fill did not return the tensor itself");
      }
      long[] v = new long[(int) t.numel()];
      Arrays.fill(v, element);
      boolean covers = t.coversStorage();
      t.assign(v);
      if (covers) {
        t.storage.tainted = false;
      }
    }
    f.check(f.pool.verify(t.storage));
  }

  /** What fill(long) stores: exact (saturated) for integers, converted through a double for floats. */
  private static long fillLongElement(DType t, long v) {
    if (t.isFloatingPoint()) {
      return Elements.fromDouble(t, (double) v);
    }
    return Math.max(Elements.min(t), Math.min(Elements.max(t), v));
  }

  /** to{Float,Double,Int,Long,Short,Byte}Array: the elements converted (raw for short and byte). */
  private void read(ModelTensor t) {
    int kind = g.r.nextInt(6);
    DType as = switch (kind) {
      case 0 -> DType.F32;
      case 1 -> DType.F64;
      case 2 -> DType.I32;
      case 3 -> DType.I64;
      default -> t.dtype();
    };
    String[] names = {"toFloatArray", "toDoubleArray", "toIntArray", "toLongArray", "toShortArray", "toByteArray"};
    boolean raw = kind >= 4;
    boolean wrongRaw = (kind == 4 && t.dtype() != DType.F16 && t.dtype() != DType.BF16)
        || (kind == 5 && t.dtype() != DType.I8 && t.dtype() != DType.U8);
    Outcome expected;
    Pool.Allocations allocs = null;
    if (wrongRaw) {
      expected = Outcome.fails(IllegalArgumentException.class, "not " + t.dtype());
      if (t.closed) {
        expected = expected.orFails(IllegalStateException.class, "is closed");
      }
    } else if (t.closed) {
      expected = Outcome.fails(IllegalStateException.class, "is closed");
    } else if (t.contiguous() && as == t.dtype()) {
      expected = Outcome.ok();
    } else {
      allocs = f.pool.allocations().take(t.storage.allocator, as, t.numel());
      expected = allocs.failure == null ? Outcome.ok() : allocs.failure;
    }
    Outcome.Result<Object> result = f.call("Tensor." + names[kind], "t" + t.id + "." + names[kind] + "() of " + t,
        expected, () -> switch (kind) {
          case 0 -> t.real.toFloatArray();
          case 1 -> t.real.toDoubleArray();
          case 2 -> t.real.toIntArray();
          case 3 -> t.real.toLongArray();
          case 4 -> t.real.toShortArray();
          default -> t.real.toByteArray();
        });
    if (allocs != null) {
      allocs.freeAll();
    }
    if (result.ok()) {
      long[] expect = t.values();
      long[] got = asRaw(result.value(), as);
      for (int i = 0; i < expect.length; i++) {
        long e = raw ? expect[i] : Elements.convert(t.dtype(), expect[i], as);
        if (i >= got.length || !Elements.same(as, e, got[i])) {
          f.check(names[kind] + " of t" + t.id + " element " + i + " is "
              + (i >= got.length ? "missing" : Elements.show(as, got[i])) + ", expected " + Elements.show(as, e));
        }
      }
      if (got.length != expect.length) {
        f.check(names[kind] + " of t" + t.id + " has " + got.length + " elements, expected " + expect.length);
      }
    }
    f.check(f.pool.verify(t.storage));
  }

  private static long[] asRaw(Object array, DType as) {
    if (array instanceof float[] a) {
      long[] r = new long[a.length];
      for (int i = 0; i < a.length; i++) {
        r[i] = Elements.floatBits(a[i]);
      }
      return r;
    }
    if (array instanceof double[] a) {
      return Arrays.stream(a).mapToLong(Double::doubleToRawLongBits).toArray();
    }
    if (array instanceof int[] a) {
      return Arrays.stream(a).mapToLong(x -> x).toArray();
    }
    if (array instanceof short[] a) {
      long[] r = new long[a.length];
      for (int i = 0; i < a.length; i++) {
        r[i] = a[i] & 0xFFFF;
      }
      return r;
    }
    if (array instanceof byte[] a) {
      long[] r = new long[a.length];
      for (int i = 0; i < a.length; i++) {
        r[i] = as == DType.U8 ? a[i] & 0xFF : a[i];
      }
      return r;
    }
    return (long[]) array;
  }

  /** copyTo a heap or direct buffer at a random position; bytes outside its span stay as they were. */
  private void copyTo(ModelTensor t) {
    long bytes = t.numel() * t.dtype().byteSize();
    int start = g.between(0, 7);
    boolean shortBuffer = bytes > 0 && g.chance(8);
    boolean nullBuffer = !shortBuffer && g.chance(3);
    int capacity = (int) (start + bytes + (shortBuffer ? -g.between(1, (int) Math.min(bytes, 4)) : g.between(0, 5)));
    ByteBuffer b = g.chance(50) ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity);
    b.order(ByteOrder.nativeOrder());
    for (int i = 0; i < capacity; i++) {
      b.put(i, (byte) 0xA5);
    }
    b.position(start);
    Outcome expected;
    Pool.Allocations allocs = null;
    if (nullBuffer) {
      expected = Outcome.fails(NullPointerException.class, "buffer");
    } else if (t.closed) {
      expected = Outcome.fails(IllegalStateException.class, "is closed");
    } else if (shortBuffer) {
      expected = Outcome.fails(IllegalArgumentException.class, "bytes remaining");
    } else if (t.contiguous()) {
      expected = Outcome.ok();
    } else {
      allocs = f.pool.allocations().take(t.storage.allocator, t.dtype(), t.numel());
      expected = allocs.failure == null ? Outcome.ok() : allocs.failure;
    }
    ByteBuffer arg = nullBuffer ? null : b;
    Outcome.Result<Object> result = f.call("Tensor.copyTo", "t" + t.id + ".copyTo(" + (nullBuffer ? "null" : (b.isDirect()
        ? "direct" : "heap") + " buffer of " + capacity + " at " + start) + ") of " + t, expected, () -> {
          t.real.copyTo(arg);
          return null;
        });
    if (allocs != null) {
      allocs.freeAll();
    }
    if (result.ok()) {
      if (b.position() != start + bytes) {
        f.check("copyTo left the position at " + b.position() + ", expected " + (start + bytes));
      }
      byte[] all = new byte[capacity];
      b.get(0, all);
      long[] v = t.values();
      byte[] expect = new byte[capacity];
      Arrays.fill(expect, (byte) 0xA5);
      for (int i = 0; i < v.length; i++) {
        Elements.write(t.dtype(), v[i], expect, start + i * t.dtype().byteSize());
      }
      for (int i = 0; i < capacity; i++) {
        if (all[i] != expect[i] && !nanByte(t, v, i - start)) {
          f.check("copyTo of t" + t.id + " wrote byte " + all[i] + " at " + i + ", expected " + expect[i]);
        }
      }
    }
    f.check(f.pool.verify(t.storage));
  }

  /** Whether byte offset k of the copied span belongs to a NaN (whose bits are not compared). */
  private static boolean nanByte(ModelTensor t, long[] v, int k) {
    int size = t.dtype().byteSize();
    return k >= 0 && k / size < v.length && Elements.isNaN(t.dtype(), v[k / size]);
  }

  /** The cheap queries: sharesStorageWith, dataAddress of a closed tensor, isClosed. */
  private void queries(ModelTensor t) {
    ModelTensor other = f.pool.pick();
    if (other != null && !t.closed) {
      Outcome.Result<Boolean> shares = f.call("Tensor.sharesStorageWith", "t" + t.id + ".sharesStorageWith(t"
          + other.id + ")", Outcome.ok(), () -> t.real.sharesStorageWith(other.real));
      if (shares.value() != (t.storage == other.storage)) {
        f.check("t" + t.id + ".sharesStorageWith(t" + other.id + ") is " + shares.value());
      }
    }
    Outcome.Result<Long> address = f.call("Tensor.dataAddress", "t" + t.id + ".dataAddress() of " + t,
        closedOr(t, Outcome.ok()), () -> t.real.dataAddress());
    if (address.ok() && t.numel() > 0 && address.value() != t.storage.base + t.offset * t.dtype().byteSize()) {
      f.check("t" + t.id + ".dataAddress() is off");
    }
    if (t.real.isClosed() != t.closed) {
      f.check("t" + t.id + ".isClosed() is " + t.real.isClosed());
    }
  }

  void closeStreams() {
    created.close();
    closedStream.close();
  }
}
