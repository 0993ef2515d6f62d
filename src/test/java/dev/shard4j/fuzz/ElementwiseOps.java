package dev.shard4j.fuzz;

import dev.shard4j.kernels.AccumulateKernel;
import dev.shard4j.kernels.ReduceKernel;
import dev.shard4j.kernels.ReduceOp;
import dev.shard4j.kernels.Relu;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * ReduceKernel, AccumulateKernel and Relu over pool tensors (in place where the API allows it)
 * or fresh ones, exact against {@link Arithmetic}; defects: null, closed, strided, mismatched or
 * partly overlapping tensors, empty lists, non-finite factors, integer factors, a stream of
 * another device.
 */
final class ElementwiseOps {
  private static final DType[] FLOATS = {DType.F32, DType.F64, DType.F16, DType.BF16};

  private final ApiFuzzer f;
  private final Gen g;

  ElementwiseOps(ApiFuzzer f) {
    this.f = f;
    this.g = f.gen;
  }

  void step() {
    switch (g.r.nextInt(5)) {
      case 0, 1 -> reduce();
      case 2 -> accumulate();
      default -> relu();
    }
  }

  /** A contiguous open tensor of the dtype and element count: a pool tensor now and then, else fresh. */
  private ModelTensor like(DType dtype, long numel) {
    ModelTensor t = f.pool.pick(x -> x.contiguous() && x.dtype() == dtype && x.numel() == numel);
    return t != null && g.chance(50) ? t : f.factories.fresh(dtype, new long[] {numel}, 64);
  }

  /** A contiguous open tensor from the pool, or a fresh one. */
  private ModelTensor any(DType[] dtypes) {
    ModelTensor t = f.pool.pick(x -> x.contiguous() && Arrays.asList(dtypes).contains(x.dtype())
        && x.numel() <= Gen.SMALL_NUMEL);
    return t != null && g.chance(70) ? t : f.factories.fresh(g.of(dtypes), g.shape(), 64);
  }

  /** A stream argument: null, the CPU's, or (a defect, when allowed) one of another device. */
  private Stream stream(boolean[] foreign) {
    int k = g.r.nextInt(10);
    if (k == 0) {
      foreign[0] = true;
      return Stream.defaultStream(Device.cuda(0));
    }
    return k < 4 ? Stream.defaultStream(Device.CPU) : null;
  }

  /** Whether two views of one storage share an element without being the same elements. */
  private static boolean partial(ModelTensor a, ModelTensor b) {
    return a.storage == b.storage && a.offset != b.offset && a.sharesElementsWith(b);
  }

  // ---- reduce ------------------------------------------------------------------------------------

  private void reduce() {
    ModelTensor first = any(DType.values());
    DType in = first.dtype();
    long numel = first.numel();
    int n = g.between(1, 5);
    List<ModelTensor> inputs = new ArrayList<>();
    inputs.add(first);
    for (int i = 1; i < n; i++) {
      inputs.add(g.chance(15) ? inputs.get(g.r.nextInt(i)) : like(in, numel));
    }
    DType outType = g.chance(60) ? in : g.dtype();
    int m = g.chance(70) ? 1 : g.between(2, 3);
    List<ModelTensor> outs = new ArrayList<>();
    for (int j = 0; j < m; j++) {
      if (outType == in && g.chance(25)) {
        ModelTensor alias = inputs.get(g.r.nextInt(n));
        outs.add(outs.contains(alias) ? like(outType, numel) : alias);
      } else {
        outs.add(like(outType, numel));
      }
    }
    ReduceOp op = g.of(ReduceOp.values());
    boolean floats = in.isFloatingPoint();
    double premul = floats && g.chance(40) ? g.scale() : 1.0;
    double postmul = floats && g.chance(40) ? g.scale() : 1.0;
    boolean[] foreign = new boolean[1];
    Stream stream = stream(foreign);
    Outcome expected = null;
    List<Tensor> realIn = reals(inputs);
    List<Tensor> realOut = reals(outs);
    ReduceOp realOp = op;
    String defect = null;
    Outcome base = overlapRules(inputs, outs);
    if (base.successAllowed() && g.chance(20)) {
      int i = g.r.nextInt(n);
      int j = g.r.nextInt(m);
      switch (g.r.nextInt(10)) {
        case 0 -> {
          realIn = null;
          expected = Outcome.fails(NullPointerException.class, "inputs");
        }
        case 1 -> {
          realIn = List.of();
          expected = Outcome.fails(IllegalArgumentException.class, "inputs is empty");
        }
        case 2 -> {
          realOp = null;
          expected = Outcome.fails(NullPointerException.class, "op");
        }
        case 3 -> {
          if (floats) {
            premul = g.of(new Double[] {Double.NaN, Double.POSITIVE_INFINITY});
            expected = Outcome.fails(IllegalArgumentException.class, "must be finite");
          } else {
            premul = g.chance(50) ? 0.5 : 1.0;
            postmul = premul == 1.0 ? 1.0 / g.between(2, 4) : postmul;
            expected = Outcome.fails(IllegalArgumentException.class, "integer inputs");
          }
        }
        case 4 -> {
          ModelTensor c = f.pool.pickClosed();
          if (c != null) {
            realIn.set(i, c.real);
            expected = Outcome.fails(IllegalStateException.class, "inputs[" + i + "] is closed");
          }
        }
        case 5 -> {
          if (n > 1) {
            ModelTensor other = like(in == DType.F32 ? DType.I32 : DType.F32, numel);
            realIn.set(Math.max(1, i), other.real); // inputs[0]'s dtype is the one the others must have
            expected = Outcome.fails(IllegalArgumentException.class, "has dtype");
          }
        }
        case 6 -> {
          ModelTensor other = f.factories.fresh(in, new long[] {numel + 1}, 8);
          realIn.set(i, other.real);
          expected = Outcome.fails(IllegalArgumentException.class, "elements, expected " + numel);
        }
        case 7 -> {
          ModelTensor other = f.factories.fresh(outType == DType.F64 ? DType.F32 : DType.F64, new long[] {numel}, 8);
          if (m > 1) {
            realOut.set(j, other.real);
            expected = Outcome.fails(IllegalArgumentException.class, "has dtype");
          }
        }
        case 8 -> {
          ModelTensor s = new PlanOps(f).strided(outType.isFloatingPoint() ? outType : DType.F32);
          if (s.numel() == numel && s.dtype() == outType) {
            realOut.set(j, s.real);
            expected = Outcome.fails(IllegalArgumentException.class, "must be contiguous");
          }
        }
        default -> {
          realOut = new ArrayList<>();
          expected = Outcome.fails(IllegalArgumentException.class, "outs is empty");
        }
      }
      defect = expected == null ? null : expected.toString();
    }
    if (expected == null) {
      expected = lastChecks(base, foreign[0]);
    }
    List<Tensor> ri = realIn;
    List<Tensor> ro = realOut;
    ReduceOp rop = realOp;
    double pre = premul;
    double post = postmul;
    boolean single = ro != null && ro.size() == 1 && g.chance(50);
    boolean sum = single && rop == ReduceOp.SUM && pre == 1 && post == 1 && stream == null && g.chance(50);
    String what = (sum ? "ReduceKernel.sum(" : "ReduceKernel.reduce(") + names(inputs) + " -> " + names(outs) + ", "
        + op + ", " + pre + ", " + post + (stream == null ? "" : ", " + stream) + ")" + (defect == null ? ""
        : " [defect: " + defect + "]");
    Outcome.Result<Object> result = f.call(sum ? "ReduceKernel.sum" : "ReduceKernel.reduce", what, expected, () -> {
      if (sum) {
        ReduceKernel.sum(ri, ro.get(0));
      } else if (single) {
        ReduceKernel.reduce(ri, ro.get(0), rop, pre, post, stream);
      } else {
        ReduceKernel.reduce(ri, ro, rop, pre, post, stream);
      }
      return null;
    });
    if (result.ok()) {
      long[][] values = new long[n][];
      boolean tainted = false;
      for (int i = 0; i < n; i++) {
        values[i] = inputs.get(i).values();
        tainted |= inputs.get(i).storage.tainted;
      }
      long[] out = new long[(int) numel];
      long[] column = new long[n];
      for (int k = 0; k < numel; k++) {
        for (int i = 0; i < n; i++) {
          column[i] = values[i][k];
        }
        out[k] = Arithmetic.reduce(in, column, outType, op, pre, post);
      }
      for (ModelTensor o : outs) {
        o.assign(out);
        o.storage.tainted |= tainted;
      }
    }
    List<ModelStorage> touched = new ArrayList<>();
    outs.forEach(o -> touched.add(o.storage));
    f.check(f.pool.verify(touched.toArray(new ModelStorage[0])));
  }

  /** The overlap rules' outcome, else the stream's (checked last). */
  private static Outcome lastChecks(Outcome overlap, boolean foreignStream) {
    if (overlap.failureExpected() || !foreignStream) {
      return overlap;
    }
    return Outcome.fails(IllegalArgumentException.class, "stream is on");
  }

  /** Outputs must not overlap one another; an input may be an output exactly, never partly. */
  private static Outcome overlapRules(List<ModelTensor> inputs, List<ModelTensor> outs) {
    for (int j = 0; j < outs.size(); j++) {
      for (int q = 0; q < j; q++) {
        if (outs.get(q).sharesElementsWith(outs.get(j))) {
          return Outcome.fails(IllegalArgumentException.class, "overlap");
        }
      }
    }
    for (ModelTensor in : inputs) {
      for (ModelTensor out : outs) {
        if (partial(in, out)) {
          return Outcome.fails(IllegalArgumentException.class, "partially overlaps");
        }
      }
    }
    return Outcome.ok();
  }

  private static List<Tensor> reals(List<ModelTensor> ts) {
    List<Tensor> r = new ArrayList<>();
    ts.forEach(t -> r.add(t.real));
    return r;
  }

  static String names(List<ModelTensor> ts) {
    StringBuilder s = new StringBuilder("[");
    for (ModelTensor t : ts) {
      s.append(s.length() > 1 ? ", " : "").append("t").append(t.id).append(' ').append(t.dtype()).append('x')
          .append(t.numel());
    }
    return s.append("]").toString();
  }

  // ---- accumulate ----------------------------------------------------------------------------------

  private void accumulate() {
    ModelTensor dst = any(FLOATS);
    ModelTensor src = g.chance(15) ? dst : like(g.of(FLOATS), dst.numel());
    double scale = g.scale();
    boolean[] foreign = new boolean[1];
    Stream stream = stream(foreign);
    Outcome expected = null;
    Tensor realDst = dst.real;
    Tensor realSrc = src.real;
    if (g.chance(20)) {
      switch (g.r.nextInt(6)) {
        case 0 -> {
          realSrc = null;
          expected = Outcome.fails(NullPointerException.class, "src");
        }
        case 1 -> {
          ModelTensor c = f.pool.pickClosed();
          if (c != null) {
            realDst = c.real;
            expected = Outcome.fails(IllegalStateException.class, "dst is closed");
          }
        }
        case 2 -> {
          realSrc = new PlanOps(f).strided(DType.F32).real;
          expected = Outcome.fails(IllegalArgumentException.class, "src must be contiguous");
        }
        case 3 -> {
          realDst = f.factories.fresh(DType.I32, dst.shape, 8).real;
          expected = Outcome.fails(IllegalArgumentException.class, "dst has dtype");
        }
        case 4 -> {
          realSrc = f.factories.fresh(DType.F32, new long[] {dst.numel() + 1}, 8).real;
          expected = Outcome.fails(IllegalArgumentException.class, "src has");
        }
        default -> {
          scale = g.of(new Double[] {Double.NaN, Double.NEGATIVE_INFINITY});
          expected = Outcome.fails(IllegalArgumentException.class, "scale must be finite");
        }
      }
    }
    if (expected == null) {
      expected = lastChecks(partial(dst, src) ? Outcome.fails(IllegalArgumentException.class, "partially overlaps")
          : Outcome.ok(), foreign[0]);
    }
    Tensor d = realDst;
    Tensor s = realSrc;
    double sc = scale;
    Outcome.Result<Object> result = f.call("AccumulateKernel.accumulate", "AccumulateKernel.accumulate(t" + dst.id
        + " " + dst + ", t" + src.id + " " + src + ", " + scale + (stream == null ? "" : ", " + stream) + ")", expected,
        () -> {
          AccumulateKernel.accumulate(d, s, sc, stream);
          return null;
        });
    if (result.ok()) {
      long[] a = dst.values();
      long[] b = src.values();
      for (int k = 0; k < a.length; k++) {
        a[k] = Arithmetic.accumulate(dst.dtype(), a[k], src.dtype(), b[k], scale);
      }
      dst.assign(a);
      dst.storage.tainted |= src.storage.tainted;
    }
    f.check(f.pool.verify(dst.storage));
  }

  // ---- relu ----------------------------------------------------------------------------------------

  private void relu() {
    boolean backward = g.chance(40);
    ModelTensor a = any(FLOATS);
    ModelTensor b = g.chance(20) ? a : like(a.dtype(), a.numel());
    ModelTensor c = backward ? (g.chance(20) ? a : like(a.dtype(), a.numel())) : null;
    if (!Arrays.equals(b.shape, a.shape) || (c != null && !Arrays.equals(c.shape, a.shape))) {
      b = Arrays.equals(b.shape, a.shape) ? b : f.factories.fresh(a.dtype(), a.shape, 8);
      c = c == null || Arrays.equals(c.shape, a.shape) ? c : f.factories.fresh(a.dtype(), a.shape, 8);
    }
    boolean[] foreign = new boolean[1];
    Stream stream = stream(foreign);
    Outcome expected = null;
    Tensor ra = a.real;
    Tensor rb = b.real;
    if (g.chance(20)) {
      switch (g.r.nextInt(4)) {
        case 0 -> {
          rb = null;
          expected = Outcome.fails(NullPointerException.class, "out");
        }
        case 1 -> {
          ra = f.factories.fresh(DType.I32, a.shape, 8).real;
          expected = Outcome.fails(IllegalArgumentException.class, (backward ? "gradOut" : "in") + " has dtype");
        }
        case 2 -> {
          rb = f.factories.fresh(a.dtype() == DType.F32 ? DType.F64 : DType.F32, a.shape, 8).real;
          expected = Outcome.fails(IllegalArgumentException.class, "out is");
        }
        default -> {
          rb = f.factories.fresh(a.dtype(), new long[] {a.numel() + 1}, 8).real;
          expected = Outcome.fails(IllegalArgumentException.class, "out has shape");
        }
      }
    }
    ModelTensor in = a;
    ModelTensor out = b;
    ModelTensor gradIn = c;
    if (expected == null) {
      if (partial(a, b) || (backward && partial(a, c))) {
        expected = Outcome.fails(IllegalArgumentException.class, "partially overlaps");
      } else if (backward && b.sharesElementsWith(c)) {
        expected = Outcome.fails(IllegalArgumentException.class, "gradIn overlaps out");
      } else {
        expected = lastChecks(Outcome.ok(), foreign[0]);
      }
    }
    Tensor x = ra;
    Tensor y = rb;
    String what = backward ? "Relu.backward(gradOut t" + a.id + " " + a + ", out t" + b.id + " " + b + ", gradIn t"
        + c.id + " " + c + ")" : "Relu.forward(t" + a.id + " " + a + ", t" + b.id + " " + b + ")";
    Outcome.Result<Object> result = f.call(backward ? "Relu.backward" : "Relu.forward", what, expected, () -> {
      if (backward) {
        Relu.backward(x, y, gradIn.real, stream);
      } else {
        Relu.forward(x, y, stream);
      }
      return null;
    });
    if (result.ok()) {
      long[] va = in.values();
      long[] vb = out.values();
      long[] r = new long[va.length];
      for (int k = 0; k < r.length; k++) {
        r[k] = backward ? Arithmetic.reluGrad(in.dtype(), va[k], vb[k]) : Arithmetic.relu(in.dtype(), va[k]);
      }
      ModelTensor target = backward ? gradIn : out;
      target.assign(r);
      target.storage.tainted |= in.storage.tainted || (backward && out.storage.tainted);
    }
    f.check(f.pool.verify(backward ? c.storage : b.storage));
  }
}
