package dev.shard4j.fuzz;

import dev.shard4j.bindings.CudaUnavailableException;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.Arrays;

/**
 * Tensors.empty, zeros, full, arange, uniform, normal, fromArray (float, double, int, long),
 * fromBits, fromBytes and fromBuffer, valid or with one defect: a null argument, a bad shape, a
 * closed or exhausted allocator, a device that is not here, values that do not fit the shape.
 */
final class FactoryOps {
  /** What a factory call is given, before the call itself: shared by all factories. */
  record Target(ModelAllocator allocator, DType dtype, Device device, long[] shape, Outcome defect,
      String defectName) {}

  private final ApiFuzzer f;
  private final Gen g;
  private final RawFactoryOps raw;

  FactoryOps(ApiFuzzer f) {
    this.f = f;
    this.g = f.gen;
    this.raw = new RawFactoryOps(f, this);
  }

  void step() {
    switch (g.r.nextInt(12)) {
      case 0 -> empty();
      case 1 -> zerosOrFull();
      case 2 -> arange();
      case 3 -> random();
      case 4, 5 -> fromDoubles();
      case 6 -> fromFloats();
      case 7 -> fromInts();
      case 8 -> fromLongs();
      case 9 -> raw.fromBits();
      case 10 -> raw.fromBytes();
      default -> raw.fromBuffer();
    }
  }

  /**
   * The allocator, dtype, device and shape of a factory call, with at most one defect among them.
   * A defect in the shape replaces it (the values of fromArray are then made for a valid one).
   */
  Target target(DType dtype, boolean shapeDefects) {
    ModelAllocator a = f.pool.pickAllocator();
    long[] shape = g.shape();
    if (!g.chance(25)) {
      return new Target(a, dtype, Device.CPU, shape, null, null);
    }
    switch (g.r.nextInt(shapeDefects ? 9 : 5)) {
      case 0:
        return new Target(null, dtype, Device.CPU, shape, Outcome.fails(NullPointerException.class, "allocator"),
            "null allocator");
      case 1:
        return new Target(a, null, Device.CPU, shape, Outcome.fails(NullPointerException.class, "dtype"), "null dtype");
      case 2:
        return new Target(a, dtype, null, shape, Outcome.fails(NullPointerException.class, "device"), "null device");
      case 3:
        if (!f.cuda) {
          return new Target(a, dtype, Device.cuda(g.between(0, 3)), shape,
              Outcome.fails(CudaUnavailableException.class, "cuda:"), "no CUDA device");
        }
        return new Target(a, dtype, Device.CPU, shape, null, null);
      case 4: {
        ModelAllocator closed = null;
        for (ModelAllocator x : f.pool.allocators) {
          if (x.closed && g.chance(50)) {
            closed = x;
          }
        }
        if (closed == null) {
          return new Target(a, dtype, Device.CPU, shape, null, null);
        }
        return new Target(closed, dtype, Device.CPU, shape,
            Outcome.fails(IllegalStateException.class, "'" + closed.name + "' is closed"), "closed allocator");
      }
      case 5: {
        long[] s = Arrays.copyOf(shape, Math.max(1, shape.length));
        int d = g.r.nextInt(s.length);
        s[d] = -g.between(1, 5);
        return new Target(a, dtype, Device.CPU, s, Outcome.fails(IllegalArgumentException.class,
            "dimension " + d + " is negative"), "negative dimension");
      }
      case 6: {
        long[] s = new long[g.between(9, 12)];
        Arrays.fill(s, 1);
        return new Target(a, dtype, Device.CPU, s, Outcome.fails(IllegalArgumentException.class, "at most 8"),
            "too many dimensions");
      }
      case 7:
        return new Target(a, dtype, Device.CPU, new long[] {1L << 40, 1L << 30, g.between(1, 9)},
            Outcome.fails(IllegalArgumentException.class, "more than 2^63 elements"), "element count overflows");
      default:
        return overLimit(dtype);
    }
  }

  /** A limited allocator and a shape larger than what is left of its limit. */
  private Target overLimit(DType dtype) {
    ModelAllocator limited = null;
    for (ModelAllocator x : f.pool.allocators) {
      if (x.usable() && x.limit < (1 << 20) && g.chance(60)) {
        limited = x;
      }
    }
    if (limited == null) {
      return new Target(f.pool.main, dtype, Device.CPU, g.shape(), null, null);
    }
    long room = Math.max(0, limited.limit - limited.current) / dtype.byteSize();
    long[] shape = {room + g.between(1, 64)};
    // The allocation simulation finds the refusal (and which allocator of the tree refuses).
    return new Target(limited, dtype, Device.CPU, shape, null, "over the limit");
  }

  static Allocator real(ModelAllocator a) {
    return a == null ? null : a.real;
  }

  String describe(String call, Target t) {
    return call + "(" + (t.allocator == null ? "null" : t.allocator.name) + ", " + t.dtype + ", " + t.device + ", "
        + Arrays.toString(t.shape) + ")" + (t.defectName == null ? "" : " [" + t.defectName + "]");
  }

  /**
   * Runs a factory: the defect's outcome, else what the allocations it makes allow (staging in
   * stageType first when that is not the dtype, then the tensor), and on success registers the
   * tensor with its model values (null: adopt what memory holds, as after empty).
   */
  void make(String op, String what, Target t, DType stageType, java.util.function.Supplier<long[]> model,
      java.util.concurrent.Callable<Tensor> body) {
    Outcome expected = t.defect;
    Pool.Allocations allocs = null;
    if (expected == null) {
      allocs = f.pool.allocations();
      long n = ModelTensor.numel(t.shape);
      if (stageType != null) {
        allocs.take(t.allocator, stageType, n);
        if (stageType != t.dtype) {
          allocs.take(t.allocator, t.dtype, n);
        }
      } else {
        allocs.take(t.allocator, t.dtype, n);
      }
      expected = allocs.failure == null ? Outcome.ok() : allocs.failure;
      if (allocs.failure != null) {
        allocs.freeAll();
      }
    } else if (t.defectName.equals("no CUDA device") && stageType != null) {
      // Staged on the host first, then refused when the copy meets the device.
      Pool.Allocations staging = f.pool.allocations().take(t.allocator, stageType, ModelTensor.numel(t.shape));
      if (staging.failure != null) {
        expected = staging.failure;
      }
      staging.freeAll();
    }
    Outcome.Result<Tensor> result = f.call(op, what, expected, body);
    if (!result.ok()) {
      f.check(f.pool.verify());
      return;
    }
    if (allocs.count() == 2) {
      allocs.free(0); // the staging copy
    }
    Tensor real = result.value();
    long[] raw = model == null ? new long[(int) ModelTensor.numel(t.shape)] : model.get();
    ModelTensor m = f.pool.addContiguous(t.allocator, real, t.shape.clone(), raw);
    f.check(m.compareLayout());
    if (model == null) {
      m.storage.adoptMemory();
      m.storage.tainted = true;
    }
    f.check(f.pool.verify(m.storage));
  }

  private void empty() {
    Target t = target(g.dtype(), true);
    if (t.defect == null && g.chance(3)) {
      t = new Target(t.allocator, DType.F64, Device.CPU, new long[] {1L << 31, 1L << 31},
          Outcome.fails(IllegalArgumentException.class, "more than 2^63 bytes"), "byte count overflows");
    }
    Target u = t;
    make("Tensors.empty", describe("empty", t), t, null, null,
        () -> Tensors.empty(real(u.allocator), u.dtype, u.device, u.shape));
  }

  private void zerosOrFull() {
    Target t = target(g.dtype(), true);
    boolean zeros = g.chance(30);
    double value = zeros ? 0.0 : g.value(); // integer fills saturate
    String what = zeros ? describe("zeros", t) : describe("full", t).replace(")", ", " + value + ")");
    make(zeros ? "Tensors.zeros" : "Tensors.full", what, t, null, () -> filled(t, value),
        () -> zeros ? Tensors.zeros(real(t.allocator), t.dtype, t.device, t.shape)
            : Tensors.full(real(t.allocator), t.dtype, t.device, value, t.shape));
  }


  /** What fill(value) stores: floats converted; integers truncated toward zero and saturated. */
  static long fillElement(DType dtype, double value) {
    return dtype.isFloatingPoint() ? Elements.fromDouble(dtype, value) : Elements.saturate(dtype, value);
  }

  private static long[] filled(Target t, double value) {
    long[] raw = new long[(int) ModelTensor.numel(t.shape)];
    Arrays.fill(raw, fillElement(t.dtype, value));
    return raw;
  }

  private void arange() {
    Target t = target(g.dtype(), false);
    long n = g.chance(2) ? g.between(300, 3000) : g.between(0, 40);
    Outcome defect = t.defect;
    String defectName = t.defectName;
    if (defect == null && g.chance(8)) {
      n = g.chance(50) ? -g.between(1, 10) : (1L << 31) + g.between(0, 5);
      defect = Outcome.fails(IllegalArgumentException.class, "arange: n must be in");
      defectName = "bad n";
    }
    Target u = new Target(t.allocator, t.dtype, t.device, new long[] {n}, defect, defectName);
    long count = n;
    make("Tensors.arange", describe("arange", u).replace("[" + n + "]", "n=" + n), u, DType.I64, () -> {
      long[] raw = new long[(int) count];
      for (int i = 0; i < raw.length; i++) {
        raw[i] = Elements.fromLong(u.dtype, i);
      }
      return raw;
    }, () -> Tensors.arange(real(u.allocator), u.dtype, u.device, count));
  }

  /**
   * uniform or normal. The generator is not documented, only that the values depend on the seed
   * alone: the model is the same factory's F64 tensor (made on an allocator of its own), checked to
   * lie in range, converted to the dtype.
   */
  private void random() {
    Target t = target(g.dtype(), true);
    boolean uniform = g.chance(50);
    long seed = g.r.nextLong();
    double a = g.between(-8, 8);
    double b = uniform ? a + g.between(1, 8) / 2.0 : g.between(0, 4) / 2.0;
    Outcome defect = t.defect;
    String defectName = t.defectName;
    if (defect == null && g.chance(8)) {
      if (uniform) {
        b = g.of(new Double[] {a, a - 1, Double.NaN, Double.POSITIVE_INFINITY});
        defect = Outcome.fails(IllegalArgumentException.class, "uniform: need finite low < high");
      } else {
        b = g.of(new Double[] {-1.0, Double.NaN, Double.POSITIVE_INFINITY});
        defect = Outcome.fails(IllegalArgumentException.class, "normal: need finite mean and std >= 0");
      }
      defectName = "bad range";
    }
    Target u = new Target(t.allocator, t.dtype, t.device, t.shape, defect, defectName);
    double lo = a;
    double hi = b;
    String what = describe(uniform ? "uniform" : "normal", u).replace(")", ", seed=" + seed + ", " + a + ", " + b + ")");
    make(uniform ? "Tensors.uniform" : "Tensors.normal", what, u, DType.F64,
        () -> randomModel(uniform, seed, lo, hi, u), () -> uniform
            ? Tensors.uniform(real(u.allocator), u.dtype, u.device, seed, lo, hi, u.shape)
            : Tensors.normal(real(u.allocator), u.dtype, u.device, seed, lo, hi, u.shape));
  }

  private long[] randomModel(boolean uniform, long seed, double a, double b, Target t) {
    double[] values;
    try (Allocator oracle = Allocator.root("fuzz-oracle");
        Tensor d = uniform ? Tensors.uniform(oracle, DType.F64, Device.CPU, seed, a, b, t.shape)
            : Tensors.normal(oracle, DType.F64, Device.CPU, seed, a, b, t.shape)) {
      values = d.toDoubleArray();
    }
    long[] raw = new long[values.length];
    for (int i = 0; i < raw.length; i++) {
      double v = values[i];
      if (uniform ? !(v >= a && v < b) : !Double.isFinite(v)) {
        f.check("uniform/normal(seed " + seed + ", " + a + ", " + b + ") element " + i + " is " + v);
      }
      raw[i] = Elements.fromDouble(t.dtype, v);
    }
    return raw;
  }

  /** A values length that fits the shape, or (one defect in eight) one that does not. */
  int length(Target t, String[] defectName) {
    long n = ModelTensor.numel(t.shape);
    if (t.defect != null) {
      return n < 0 || n > 1 << 20 ? 0 : (int) n;
    }
    if (g.chance(12)) {
      defectName[0] = "values do not fit the shape";
      return (int) Math.max(0, n + (g.chance(50) || n == 0 ? g.between(1, 3) : -g.between(1, (int) Math.min(n, 3))));
    }
    return n > Integer.MAX_VALUE - 8 ? 0 : (int) n;
  }

  /** The defect of an array factory: its own, a length that does not fit, or a null array. */
  Target arrayTarget(Target t, int length, String[] lengthDefect, String name, boolean nullArray) {
    if (nullArray) {
      return new Target(t.allocator, t.dtype, t.device, t.shape, Outcome.fails(NullPointerException.class, name),
          "null " + name);
    }
    if (lengthDefect[0] != null) {
      return new Target(t.allocator, t.dtype, t.device, t.shape,
          Outcome.fails(IllegalArgumentException.class, "values, got " + length), lengthDefect[0]);
    }
    return t;
  }

  private void fromDoubles() {
    Target t0 = target(g.dtype(), true);
    String[] ld = new String[1];
    int n = length(t0, ld);
    boolean nul = t0.defect == null && ld[0] == null && g.chance(3);
    Target t = arrayTarget(t0, n, ld, "values", nul);
    double[] v = new double[n];
    for (int i = 0; i < n; i++) {
      v[i] = g.value();
    }
    double[] arg = nul ? null : v;
    make("Tensors.fromArray(double[])", describe("fromArray(double[" + n + "])", t), t, DType.F64, () -> {
      long[] raw = new long[n];
      for (int i = 0; i < n; i++) {
        raw[i] = Elements.fromDouble(t.dtype, v[i]);
      }
      return raw;
    }, () -> Tensors.fromArray(real(t.allocator), arg, t.dtype, t.device, t.shape));
  }

  private void fromFloats() {
    Target t0 = target(g.dtype(), true);
    String[] ld = new String[1];
    int n = length(t0, ld);
    boolean nul = t0.defect == null && ld[0] == null && g.chance(3);
    Target t = arrayTarget(t0, n, ld, "values", nul);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = g.chance(10) ? Float.intBitsToFloat(g.r.nextInt()) : (float) g.value();
    }
    float[] arg = nul ? null : v;
    make("Tensors.fromArray(float[])", describe("fromArray(float[" + n + "])", t), t, DType.F32, () -> {
      long[] raw = new long[n];
      for (int i = 0; i < n; i++) {
        raw[i] = Elements.convert(DType.F32, Elements.floatBits(v[i]), t.dtype);
      }
      return raw;
    }, () -> Tensors.fromArray(real(t.allocator), arg, t.dtype, t.device, t.shape));
  }

  private void fromInts() {
    Target t0 = target(g.dtype(), true);
    String[] ld = new String[1];
    int n = length(t0, ld);
    boolean nul = t0.defect == null && ld[0] == null && g.chance(3);
    Target t = arrayTarget(t0, n, ld, "values", nul);
    int[] v = new int[n];
    for (int i = 0; i < n; i++) {
      v[i] = (int) g.longValue();
    }
    int[] arg = nul ? null : v;
    make("Tensors.fromArray(int[])", describe("fromArray(int[" + n + "])", t), t, DType.I32, () -> {
      long[] raw = new long[n];
      for (int i = 0; i < n; i++) {
        raw[i] = Elements.convert(DType.I32, v[i], t.dtype);
      }
      return raw;
    }, () -> Tensors.fromArray(real(t.allocator), arg, t.dtype, t.device, t.shape));
  }

  private void fromLongs() {
    Target t0 = target(g.dtype(), true);
    String[] ld = new String[1];
    int n = length(t0, ld);
    boolean nul = t0.defect == null && ld[0] == null && g.chance(3);
    Target t = arrayTarget(t0, n, ld, "values", nul);
    long[] v = new long[n];
    for (int i = 0; i < n; i++) {
      v[i] = g.longValue();
    }
    long[] arg = nul ? null : v;
    make("Tensors.fromArray(long[])", describe("fromArray(long[" + n + "])", t), t, DType.I64, () -> {
      long[] raw = new long[n];
      for (int i = 0; i < n; i++) {
        raw[i] = Elements.fromLong(t.dtype, v[i]);
      }
      return raw;
    }, () -> Tensors.fromArray(real(t.allocator), arg, t.dtype, t.device, t.shape));
  }

  /**
   * A new tensor of the main allocator holding small values that every dtype keeps exactly, for
   * ops that need operands of a given shape (counted as the fromArray call it is); a negative
   * bound asks for values of magnitude at most -bound that are not negative.
   */
  ModelTensor fresh(DType dtype, long[] shape, double bound) {
    double[] v = new double[(int) ModelTensor.numel(shape)];
    long[] raw = new long[v.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = bound < 0 ? Math.abs(g.tameValue(-bound)) : g.tameValue(bound);
      raw[i] = Elements.fromDouble(dtype, v[i]);
    }
    f.pool.main.reserve((long) v.length * DType.F64.byteSize());
    if (dtype != DType.F64) {
      f.pool.main.reserve((long) v.length * dtype.byteSize());
      f.pool.main.release((long) v.length * DType.F64.byteSize());
    }
    Outcome.Result<Tensor> result = f.call("Tensors.fromArray(double[])", "fromArray(double[" + v.length + "], "
        + dtype + ", " + Arrays.toString(shape) + ") for an operand", Outcome.ok(),
        () -> Tensors.fromArray(f.pool.main.real, v, dtype, Device.CPU, shape));
    ModelTensor m = f.pool.addContiguous(f.pool.main, result.value(), shape.clone(), raw);
    f.check(m.compareLayout());
    f.pool.scratch.add(m);
    return m;
  }
}
