package dev.shard4j.fuzz;

import dev.shard4j.kernels.AdamW;
import dev.shard4j.kernels.Gemm;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * AdamW steps and GEMM, whose float arithmetic (a sqrt and a division, BLAS's summation order) the
 * model follows within a stated tolerance rather than bit for bit; after a passing check the model
 * takes the values computed, so that later exact checks go on from them. Defects: bad
 * hyperparameters, step numbers and scales, wrong dtypes, sizes and ranks, strided, closed or
 * overlapping tensors, a stream of another device.
 */
final class DenseOps {
  /** Operands' magnitude bound: products and sums of them stay far from any dtype's overflow. */
  private static final double BOUND = 16;

  private final ApiFuzzer f;
  private final Gen g;

  DenseOps(ApiFuzzer f) {
    this.f = f;
    this.g = f.gen;
  }

  void step() {
    if (g.chance(45)) {
      adamw();
    } else {
      gemm();
    }
  }

  /** A tame operand of the shape and dtype: from the pool when one fits, else fresh. */
  private ModelTensor operand(DType dtype, long[] shape, boolean nonNegative) {
    ModelTensor t = f.pool.pick(x -> x.dtype() == dtype && java.util.Arrays.equals(x.shape, shape) && x.contiguous()
        && x.tame(BOUND) && (!nonNegative || allNonNegative(x)));
    if (t != null && g.chance(50)) {
      return t;
    }
    return f.factories.fresh(dtype, shape, nonNegative ? -BOUND : BOUND);
  }

  private static boolean allNonNegative(ModelTensor t) {
    for (long v : t.values()) {
      if (!(Elements.toDouble(t.dtype(), v) >= 0)) {
        return false;
      }
    }
    return true;
  }

  // ---- AdamW -----------------------------------------------------------------------------------------

  private void adamw() {
    double lr = g.of(new Double[] {1e-3, 1e-2, 0.1, 0.0, 3e-4});
    double beta1 = g.of(new Double[] {0.9, 0.0, 0.5, 0.99});
    double beta2 = g.of(new Double[] {0.999, 0.95, 0.0, 0.5});
    double eps = g.of(new Double[] {1e-8, 1e-6, 1e-3});
    double wd = g.of(new Double[] {0.0, 1e-2, 0.1});
    if (g.chance(6)) {
      switch (g.r.nextInt(5)) {
        case 0 -> lr = g.of(new Double[] {-1e-3, Double.NaN, Double.POSITIVE_INFINITY});
        case 1 -> beta1 = g.of(new Double[] {1.0, -0.1, Double.NaN});
        case 2 -> beta2 = g.of(new Double[] {1.0, 1.5, Double.NaN});
        case 3 -> eps = g.of(new Double[] {0.0, -1e-8, Double.NaN});
        default -> wd = g.of(new Double[] {-0.1, Double.NaN, Double.POSITIVE_INFINITY});
      }
      double[] h = {lr, beta1, beta2, eps, wd};
      f.call("AdamW", "new AdamW" + java.util.Arrays.toString(h), Outcome.fails(IllegalArgumentException.class,
          "AdamW needs"), () -> new AdamW(h[0], h[1], h[2], h[3], h[4]));
      return;
    }
    AdamW opt = new AdamW(lr, beta1, beta2, eps, wd);
    long[] shape = {g.between(0, 40)};
    ModelTensor param = operand(DType.F32, shape, false);
    DType gradType = g.chance(50) ? DType.F32 : DType.BF16;
    ModelTensor grad = operand(gradType, shape, false);
    ModelTensor m = operand(DType.F32, shape, false);
    ModelTensor v = operand(DType.F32, shape, true);
    // The same tensor twice is refused (below); mostly, give each argument a tensor of its own.
    if (g.chance(80)) {
      m = m == param ? f.factories.fresh(DType.F32, shape, BOUND) : m;
      grad = grad == param || grad == m ? f.factories.fresh(gradType, shape, BOUND) : grad;
      v = v == param || v == m ? f.factories.fresh(DType.F32, shape, -BOUND) : v;
    }
    DType copyType = g.of(new DType[] {DType.BF16, DType.F16, DType.F32, null});
    ModelTensor copy = copyType == null ? null : f.factories.fresh(copyType, shape, 1);
    long step = g.between(1, 100);
    double gradScale = g.chance(60) ? 1.0 : g.of(new Double[] {0.5, 0.25, 2.0, 0.0});
    List<ModelTensor> all = new ArrayList<>(List.of(param, grad, m, v));
    if (copy != null) {
      all.add(copy);
    }
    Outcome expected = distinct(all);
    Tensor[] real = {param.real, grad.real, m.real, v.real, copy == null ? null : copy.real};
    String defect = null;
    if (expected.successAllowed() && g.chance(20)) {
      switch (g.r.nextInt(7)) {
        case 0 -> {
          step = -g.between(0, 3);
          expected = Outcome.fails(IllegalArgumentException.class, "step counts from 1");
        }
        case 1 -> {
          gradScale = Double.NaN;
          expected = Outcome.fails(IllegalArgumentException.class, "gradScale must be finite");
        }
        case 2 -> {
          real[0] = f.factories.fresh(DType.BF16, shape, 1).real;
          expected = Outcome.fails(IllegalArgumentException.class, "param has dtype");
        }
        case 3 -> {
          real[1] = f.factories.fresh(DType.F16, shape, 1).real;
          expected = Outcome.fails(IllegalArgumentException.class, "grad has dtype");
        }
        case 4 -> {
          real[2] = f.factories.fresh(DType.F32, new long[] {shape[0] + 1}, 1).real;
          expected = Outcome.fails(IllegalArgumentException.class, "expAvg has");
        }
        case 5 -> {
          real[3] = null;
          expected = Outcome.fails(NullPointerException.class, "expAvgSq");
        }
        default -> {
          ModelTensor c = f.pool.pickClosed();
          if (c != null) {
            real[1] = c.real;
            expected = Outcome.fails(IllegalStateException.class, "grad is closed");
          }
        }
      }
      defect = expected.successAllowed() ? null : expected.toString();
    }
    boolean foreign = expected.successAllowed() && g.chance(5);
    if (foreign) {
      expected = Outcome.fails(IllegalArgumentException.class, "stream is on");
    }
    Stream stream = foreign ? Stream.defaultStream(Device.cuda(0)) : g.chance(30) ? Stream.defaultStream(Device.CPU)
        : null;
    long[] p0 = param.values();
    long[] g0 = grad.values();
    long[] m0 = m.values();
    long[] v0 = v.values();
    long st = step;
    double gs = gradScale;
    String what = "AdamW(" + lr + ", " + beta1 + ", " + beta2 + ", " + eps + ", " + wd + ").step(t" + param.id + ", t"
        + grad.id + " " + gradType + ", t" + m.id + ", t" + v.id + ", " + (copy == null ? "null" : "t" + copy.id + " "
        + copyType) + ", step " + step + ", scale " + gradScale + ") x" + shape[0] + (defect == null ? ""
        : " [" + defect + "]");
    Outcome.Result<Object> result = f.call("AdamW.step", what, expected, () -> {
      opt.step(real[0], real[1], real[2], real[3], real[4], st, gs, stream);
      return null;
    });
    if (result.ok()) {
      checkAdamW(opt, step, gradScale, gradType, p0, g0, m0, v0, param, m, v, copy);
    }
    f.check(f.pool.verify(param.storage, m.storage, v.storage, copy == null ? null : copy.storage));
  }

  /** Refused when any two of the tensors share an element (the same tensor twice included). */
  private static Outcome distinct(List<ModelTensor> ts) {
    for (int i = 0; i < ts.size(); i++) {
      for (int j = i + 1; j < ts.size(); j++) {
        if (ts.get(i).sharesElementsWith(ts.get(j))) {
          return Outcome.fails(IllegalArgumentException.class, "must not overlap");
        }
      }
    }
    return Outcome.ok();
  }

  /**
   * torch.optim.AdamW in double precision (shared/REFERENCE.md). The kernel works in fp32: each
   * result may differ by 1e-5 of the magnitudes it combines (the parameter before and after, and
   * the step size times the update's ratio), the moments by 1e-6 of theirs. The bf16/fp16/fp32 copy
   * must be the updated fp32 parameter converted, bit for bit.
   */
  private void checkAdamW(AdamW opt, long step, double gradScale, DType gradType, long[] p0, long[] g0, long[] m0,
      long[] v0, ModelTensor param, ModelTensor m, ModelTensor v, ModelTensor copy) {
    double bc1 = 1 - Math.pow(opt.beta1(), step);
    double bc2 = 1 - Math.pow(opt.beta2(), step);
    float[] p = toFloats(param);
    float[] mm = toFloats(m);
    float[] vv = toFloats(v);
    for (int k = 0; k < p0.length; k++) {
      double gk = Elements.toDouble(gradType, g0[k]) * gradScale;
      double pk = Elements.toDouble(DType.F32, p0[k]);
      double mk = opt.beta1() * Elements.toDouble(DType.F32, m0[k]) + (1 - opt.beta1()) * gk;
      double vk = opt.beta2() * Elements.toDouble(DType.F32, v0[k]) + (1 - opt.beta2()) * gk * gk;
      double ratio = mk / (Math.sqrt(vk) / Math.sqrt(bc2) + opt.eps());
      double stepSize = opt.lr() / bc1;
      double pr = pk * (1 - opt.lr() * opt.weightDecay()) - stepSize * ratio;
      double tp = 1e-5 * (Math.abs(pr) + Math.abs(pk) + stepSize * (1 + Math.abs(ratio))) + 1e-30;
      double tm = 1e-6 * (Math.abs(Elements.toDouble(DType.F32, m0[k])) + Math.abs(gk)) + 1e-30;
      double tv = 1e-6 * (Math.abs(Elements.toDouble(DType.F32, v0[k])) + gk * gk) + 1e-30;
      if (!(Math.abs(p[k] - pr) <= tp) || !(Math.abs(mm[k] - mk) <= tm) || !(Math.abs(vv[k] - vk) <= tv)) {
        f.check("AdamW element " + k + ": param " + p[k] + " vs " + pr + ", expAvg " + mm[k] + " vs " + mk
            + ", expAvgSq " + vv[k] + " vs " + vk);
      }
    }
    param.storage.adoptMemory();
    m.storage.adoptMemory();
    v.storage.adoptMemory();
    if (copy != null) {
      long[] updated = param.values();
      for (int k = 0; k < updated.length; k++) {
        updated[k] = Elements.convert(DType.F32, updated[k], copy.dtype());
      }
      copy.assign(updated);
    }
  }

  private static float[] toFloats(ModelTensor t) {
    long[] now = new long[(int) t.numel()];
    long[] memory = t.storage.readMemory();
    int[] at = t.indices();
    float[] out = new float[now.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = Elements.toFloat(DType.F32, memory[at[i]]);
    }
    return out;
  }

  // ---- GEMM ------------------------------------------------------------------------------------------

  private void gemm() {
    DType dtype = g.floatType();
    boolean batched = g.chance(30);
    int batch = batched ? g.between(0, 3) : 1;
    int m = g.chance(5) ? 0 : g.between(1, 12);
    int n = g.chance(5) ? 0 : g.between(1, 12);
    int k = g.chance(5) ? 0 : g.between(1, 32);
    boolean ta = g.chance(40);
    boolean tb = g.chance(40);
    boolean allocating = g.chance(25);
    if (allocating) {
      ta = false;
      tb = false;
    }
    long[] aShape = batched ? new long[] {batch, ta ? k : m, ta ? m : k} : new long[] {ta ? k : m, ta ? m : k};
    long[] bShape = batched ? new long[] {batch, tb ? n : k, tb ? k : n} : new long[] {tb ? n : k, tb ? k : n};
    long[] cShape = batched ? new long[] {batch, m, n} : new long[] {m, n};
    ModelTensor a = operand(dtype, aShape, false);
    ModelTensor b = g.chance(5) && java.util.Arrays.equals(aShape, bShape) ? a : operand(dtype, bShape, false);
    double alpha = allocating ? 1.0 : g.of(new Double[] {1.0, 0.5, -1.0, 2.0, 0.0});
    double beta = allocating ? 0.0 : g.of(new Double[] {0.0, 1.0, 0.5, -2.0});
    ModelTensor c = allocating ? null : beta == 0 ? f.pool.pick(x -> x.dtype() == dtype
        && java.util.Arrays.equals(x.shape, cShape) && x.contiguous()) : null;
    if (!allocating && c == null) {
      c = operand(dtype, cShape, false);
    }
    Outcome expected = Outcome.ok();
    Tensor[] real = {a.real, b.real, c == null ? null : c.real};
    String defect = null;
    if (g.chance(20)) {
      switch (g.r.nextInt(7)) {
        case 0 -> {
          real[1] = f.factories.fresh(dtype == DType.F32 ? DType.F64 : DType.F32, bShape, 1).real;
          expected = Outcome.fails(IllegalArgumentException.class, "dtypes differ");
        }
        case 1 -> {
          real[0] = f.factories.fresh(DType.I32, aShape, 1).real;
          expected = Outcome.fails(IllegalArgumentException.class, "a has dtype");
        }
        case 2 -> {
          long[] wrong = bShape.clone();
          wrong[wrong.length - 2] += 1;
          real[1] = f.factories.fresh(dtype, wrong, 1).real;
          expected = Outcome.fails(IllegalArgumentException.class, "multiply");
        }
        case 3 -> {
          real[0] = f.factories.fresh(dtype, new long[] {Math.max(1, m * k)}, 1).real;
          expected = Outcome.fails(IllegalArgumentException.class, "2-D or 3-D");
        }
        case 4 -> {
          ModelTensor cl = f.pool.pickClosed();
          if (cl != null) {
            real[1] = cl.real;
            expected = Outcome.fails(IllegalStateException.class, "b is closed");
          }
        }
        case 5 -> {
          if (!allocating) {
            real[2] = null;
            expected = Outcome.fails(NullPointerException.class, "out");
          }
        }
        default -> {
          ModelTensor s = new PlanOps(f).strided(dtype);
          real[0] = s.real;
          expected = Outcome.fails(IllegalArgumentException.class, "a must be contiguous");
        }
      }
      defect = expected.successAllowed() ? null : expected.toString();
      if (allocating && defect != null && !defect.contains("closed")) {
        // matmul(a, b) allocates its result before the checks that refuse the call.
        expected = expected.orFails(dev.shard4j.bindings.OutOfMemoryException.class, null);
        f.pool.unsure(a.storage.allocator);
        f.pool.unsure(f.pool.main);
      }
    }
    if (expected.successAllowed() && c != null && (c.sharesElementsWith(a) || c.sharesElementsWith(b))) {
      expected = Outcome.fails(IllegalArgumentException.class, "must not overlap");
    }
    boolean foreign = !allocating && expected.successAllowed() && g.chance(5);
    if (foreign) {
      expected = Outcome.fails(IllegalArgumentException.class, "stream is on");
    }
    Stream stream = foreign ? Stream.defaultStream(Device.cuda(0)) : null;
    Pool.Allocations allocs = null;
    if (expected.successAllowed()) {
      allocs = f.pool.allocations();
      if (allocating) {
        allocs.take(a.storage.allocator, dtype, (long) batch * m * n);
      }
      boolean half = dtype == DType.F16 || dtype == DType.BF16;
      if (half && (long) m * n > 0) {
        allocs.take(a.storage.allocator, DType.F32, a.numel()).take(b.storage.allocator, DType.F32, b.numel())
            .take(allocating ? a.storage.allocator : c.storage.allocator, DType.F32, (long) batch * m * n);
      }
      if (allocs.failure != null) {
        expected = allocs.failure;
        allocs.freeAll();
      }
    }
    boolean transA = ta;
    boolean transB = tb;
    String what = (allocating ? "Gemm.matmul(t" + a.id + ", t" + b.id + ")" : "Gemm.matmul(t" + a.id + (ta ? "^T" : "")
        + ", t" + b.id + (tb ? "^T" : "") + ", t" + c.id + ", " + alpha + ", " + beta + (stream == null ? "" : ", "
        + stream) + ")") + " " + dtype + " a"
        + java.util.Arrays.toString(aShape) + " b" + java.util.Arrays.toString(bShape)
        + (defect == null ? "" : " [" + defect + "]");
    Outcome.Result<Tensor> result = f.call(allocating ? "Gemm.matmul(a, b)" : "Gemm.matmul", what, expected, () -> {
      if (allocating) {
        return Gemm.matmul(real[0], real[1]);
      }
      Gemm.matmul(real[0], real[1], real[2], transA, transB, alpha, beta, stream);
      return null;
    });
    if (!result.ok()) {
      f.check(f.pool.verify());
      return;
    }
    ModelTensor out = c;
    long[] before = c == null ? null : c.values();
    if (allocating) {
      int last = allocs.count() - 1;
      for (int i = 1; i <= last; i++) {
        allocs.free(i);
      }
      long[] raw = new long[batch * m * n];
      out = f.pool.addContiguous(a.storage.allocator, result.value(), cShape, raw);
      f.check(out.compareLayout());
    } else {
      allocs.freeAll();
    }
    checkGemm(dtype, a, b, out, before, ta, tb, batch, m, n, k, alpha, beta);
    f.check(f.pool.verify(out.storage));
  }

  /**
   * The naive product in double. Each element may differ by 4 roundings of the output dtype of
   * its magnitude plus k fp32 (fp64 for F64) roundings of the sum of the magnitudes of its terms:
   * BLAS sums in its own order, and F16/BF16 go through fp32 copies.
   */
  private void checkGemm(DType dtype, ModelTensor a, ModelTensor b, ModelTensor out, long[] before, boolean ta,
      boolean tb, int batch, int m, int n, int k, double alpha, double beta) {
    long[] av = a.values();
    long[] bv = b.values();
    long[] got = out.storage.readMemory();
    int[] at = out.indices();
    double acc = dtype == DType.F64 ? 0x1p-52 : 0x1p-23;
    for (int q = 0; q < batch; q++) {
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double sum = 0;
          double magnitude = 0;
          for (int t = 0; t < k; t++) {
            double x = Elements.toDouble(dtype, av[q * m * k + (ta ? t * m + i : i * k + t)]);
            double y = Elements.toDouble(dtype, bv[q * k * n + (tb ? j * k + t : t * n + j)]);
            sum += x * y;
            magnitude += Math.abs(x * y);
          }
          int e = q * m * n + i * n + j;
          double c0 = beta == 0 ? 0 : beta * Elements.toDouble(dtype, before[e]);
          double expected = alpha * sum + c0;
          double actual = Elements.toDouble(dtype, got[at[e]]);
          double tolerance = 4 * (Arithmetic.roundoff(dtype) * Math.abs(expected)
              + (k + 2) * acc * (Math.abs(alpha) * magnitude + Math.abs(c0))) + 1e-300;
          if (!(Math.abs(actual - expected) <= tolerance)) {
            f.check("matmul element [" + q + ", " + i + ", " + j + "] is " + actual + ", expected " + expected
                + " (k = " + k + ")");
          }
        }
      }
    }
    out.storage.adoptMemory();
    out.storage.tainted |= a.storage.tainted || b.storage.tainted;
  }
}
