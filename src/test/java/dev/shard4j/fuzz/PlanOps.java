package dev.shard4j.fuzz;

import dev.shard4j.kernels.ChunkCatKernel;
import dev.shard4j.kernels.CopyPlan;
import dev.shard4j.kernels.UnpackKernel;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Copy plans: {@link PackOps}, UnpackKernel and ChunkCatKernel plans built over pool tensors or fresh
 * ones, run (scaled, on streams) and closed; each checked against segments that the fuzzer
 * derives from shared/REFERENCE.md's sharding layout ({@link LayoutModel}). Defects: null, closed,
 * strided or non-float tensors, bad offsets and world sizes, wrong buffer sizes, overlaps.
 */
final class PlanOps {
  private static final int MAX_PLANS = 4;

  private final ApiFuzzer f;
  private final Gen g;
  private final PackOps packs;
  private int nextPlan;

  PlanOps(ApiFuzzer f) {
    this.f = f;
    this.g = f.gen;
    this.packs = new PackOps(f, this);
  }

  void step() {
    int k = g.r.nextInt(10);
    if (k < 3 && !f.pool.plans.isEmpty()) {
      run(f.pool.plans.get(g.r.nextInt(f.pool.plans.size())));
    } else if (k < 4 && !f.pool.plans.isEmpty()) {
      close(f.pool.plans.get(g.r.nextInt(f.pool.plans.size())));
    } else if (k < 6) {
      packs.pack();
    } else if (k < 8) {
      shards(g.chance(50));
    } else {
      new LayoutModel.Check(f).run();
    }
  }

  /** A contiguous open tensor of one of the dtypes with at most max elements: from the pool or fresh. */
  ModelTensor operand(DType[] dtypes, long[] shape, long minNumel) {
    ModelTensor t = f.pool.pick(x -> x.contiguous() && Arrays.asList(dtypes).contains(x.dtype())
        && (shape == null ? x.numel() >= minNumel && x.numel() <= Gen.SMALL_NUMEL : Arrays.equals(x.shape, shape)));
    if (t != null && g.chance(60)) {
      return t;
    }
    long[] s = shape != null ? shape : new long[] {minNumel + g.between(0, 4)};
    return f.factories.fresh(g.of(dtypes), s, 8);
  }

  /** A strided view of a fresh tensor of the dtype (transposed), for the not-contiguous defect. */
  ModelTensor strided(DType dtype) {
    ModelTensor base = f.factories.fresh(dtype, new long[] {2, g.between(2, 4)}, 8);
    Outcome.Result<Tensor> view = f.call("Tensor.transpose", "t" + base.id + ".transpose(0, 1) for an operand",
        Outcome.ok(), () -> base.real.transpose(0, 1));
    return f.pool.addView(view.value(), base, new long[] {base.shape[1], 2}, new long[] {1, base.shape[1]}, 0);
  }

  /** A non-float contiguous tensor. */
  ModelTensor integer(long[] shape) {
    return f.factories.fresh(g.of(new DType[] {DType.I32, DType.I8, DType.I64}), shape, 8);
  }

  static String names(List<ModelTensor> ts) {
    StringBuilder s = new StringBuilder("[");
    for (ModelTensor t : ts) {
      s.append(s.length() > 1 ? ", " : "").append(t == null ? "null" : "t" + t.id + " " + t.dtype() + "x" + t.numel());
    }
    return s.append("]").toString();
  }

  /**
   * Builds a plan, and on success registers its model: the segments, and a reference to the
   * storage of every distinct tensor it was given.
   */
  void build(String op, String what, Outcome expected, List<PlanModel.Segment> segments,
      List<ModelTensor> given, java.util.concurrent.Callable<CopyPlan> body) {
    Outcome.Result<CopyPlan> result = f.call(op, what, expected, body);
    if (!result.ok()) {
      f.check(f.pool.verify());
      return;
    }
    Map<ModelTensor, Boolean> distinct = new IdentityHashMap<>();
    List<ModelStorage> held = new ArrayList<>();
    for (ModelTensor t : given) {
      if (t != null && distinct.put(t, true) == null) {
        t.storage.references++;
        held.add(t.storage);
      }
    }
    PlanModel p = new PlanModel(nextPlan++, result.value(), what, segments, held);
    if (p.real.bytesMoved() != p.bytesMoved() || !p.real.device().equals(Device.CPU)) {
      f.check("plan " + p + " reports " + p.real.bytesMoved() + " bytes moved, expected " + p.bytesMoved());
    }
    f.pool.plans.add(p);
    if (g.chance(70)) {
      run(p);
    }
    while (f.pool.plans.size() > MAX_PLANS) {
      close(f.pool.plans.get(0));
    }
  }

  // ---- unpack and chunk-cat ---------------------------------------------------------------------

  /** UnpackKernel (gathered into params) or ChunkCatKernel (grads into out), over a random layout. */
  private void shards(boolean unpack) {
    int world = g.between(1, 5);
    int n = g.between(0, 3);
    List<ModelTensor> params = new ArrayList<>();
    for (int p = 0; p < n; p++) {
      long[] shape = g.chance(15) ? new long[0] : new long[] {g.between(0, 9), g.between(1, 3)};
      if (shape.length == 2 && g.chance(30)) {
        shape = new long[] {shape[0]};
      }
      params.add(operand(new DType[] {DType.F32, DType.F64, DType.F16, DType.BF16}, shape, 0));
    }
    LayoutModel layout = new LayoutModel(shapes(params), world);
    long flatNumel = world * layout.shardNumel;
    ModelTensor flat = operand(new DType[] {DType.F32, DType.F64, DType.F16, DType.BF16}, new long[] {flatNumel}, 0);
    String flatName = unpack ? "gathered" : "out";
    String listName = unpack ? "params" : "grads";
    int defect = g.chance(25) ? g.r.nextInt(7) : -1;
    int worldArg = world;
    Outcome expected = null;
    List<Tensor> realList = new ArrayList<>();
    for (ModelTensor t : params) {
      realList.add(t.real);
    }
    Tensor realFlat = flat.real;
    int p = n == 0 ? -1 : g.r.nextInt(n);
    switch (p < 0 && defect >= 3 ? -1 : defect) {
      case 0 -> {
        worldArg = -g.between(0, 2);
        expected = Outcome.fails(IllegalArgumentException.class, "worldSize");
      }
      case 1 -> {
        flat = f.factories.fresh(flat.dtype(), new long[] {flatNumel + g.between(1, 3)}, 8);
        realFlat = flat.real;
        expected = Outcome.fails(IllegalArgumentException.class, flatName + " has");
      }
      case 2 -> {
        realList = null;
        expected = Outcome.fails(NullPointerException.class, listName);
      }
      case 3 -> {
        ModelTensor c = f.pool.pickClosed();
        if (c != null) {
          params.set(p, c);
          realList.set(p, c.real);
          layout = new LayoutModel(shapes(params), world);
          flat = operand(new DType[] {DType.F32, DType.F64}, new long[] {world * layout.shardNumel}, 0);
          realFlat = flat.real;
          expected = Outcome.fails(IllegalStateException.class, listName + "[" + p + "] is closed");
        }
      }
      case 4 -> {
        ModelTensor s = strided(DType.F32);
        params.set(p, s);
        realList.set(p, s.real);
        layout = new LayoutModel(shapes(params), world);
        flat = operand(new DType[] {DType.F32, DType.BF16}, new long[] {world * layout.shardNumel}, 0);
        realFlat = flat.real;
        expected = Outcome.fails(IllegalArgumentException.class, listName + "[" + p + "]");
      }
      case 5 -> {
        ModelTensor s = integer(params.get(p).shape);
        params.set(p, s);
        realList.set(p, s.real);
        expected = layout.rows(p) * layout.rowNumel(p) == 0 ? null
            : Outcome.fails(IllegalArgumentException.class, listName + "[" + p + "]");
      }
      case 6 -> {
        flat = strided(DType.F32);
        realFlat = flat.real;
        expected = Outcome.fails(IllegalArgumentException.class, flatName + " must be contiguous");
      }
      default -> {
        // valid
      }
    }
    if (expected != null && defect == 1 && flatNumel + 1 > Integer.MAX_VALUE) {
      expected = null;
    }
    List<PlanModel.Segment> segments = expected == null ? (unpack ? layout.unpackSegments(flat, params)
        : layout.chunkCatSegments(params, flat)) : List.of();
    if (expected == null) {
      expected = LayoutModel.overlapOutcome(segments);
    }
    List<Tensor> rl = realList;
    Tensor rf = realFlat;
    int w = worldArg;
    // The plan holds what its segments read and write: the parameters that have rows, and the
    // flat buffer when there is any segment.
    List<ModelTensor> given = new ArrayList<>();
    for (int q = 0; q < params.size(); q++) {
      if (layout.rows(q) * layout.rowNumel(q) > 0) {
        given.add(params.get(q));
      }
    }
    if (!segments.isEmpty()) {
      given.add(flat);
    }
    String what = (unpack ? "UnpackKernel.plan(t" + flat.id + ", " + w + ", " + names(params) + ")"
        : "ChunkCatKernel.plan(" + names(params) + ", " + w + ", t" + flat.id + ")") + " flat " + flat
        + (defect >= 0 ? " [defect " + defect + "]" : "");
    build(unpack ? "UnpackKernel.plan" : "ChunkCatKernel.plan", what, expected, segments, given,
        () -> unpack ? UnpackKernel.plan(rf, w, rl) : ChunkCatKernel.plan(rl, w, rf));
  }

  private static List<long[]> shapes(List<ModelTensor> ts) {
    List<long[]> s = new ArrayList<>();
    for (ModelTensor t : ts) {
      s.add(t.shape);
    }
    return s;
  }

  // ---- running and closing --------------------------------------------------------------------------

  /** run(scale, stream) or run(); a closed plan, a non-finite scale or a bad stream are refused. */
  private void run(PlanModel p) {
    boolean plain = g.chance(30);
    double scale = plain ? 1.0 : g.scale();
    Stream stream = null;
    Outcome expected = p.closed ? Outcome.fails(IllegalStateException.class, "copy plan is closed") : Outcome.ok();
    if (!plain && !p.closed && g.chance(8)) {
      if (g.chance(50)) {
        scale = g.of(new Double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY});
        expected = Outcome.fails(IllegalArgumentException.class, "scale must be finite");
      } else {
        stream = Stream.defaultStream(Device.cuda(0));
        expected = Outcome.fails(IllegalArgumentException.class, "stream is on cuda:0");
      }
    } else if (!plain && g.chance(30)) {
      stream = Stream.defaultStream(Device.CPU);
    }
    double s = scale;
    Stream st = stream;
    Outcome.Result<Object> result = f.call(plain ? "CopyPlan.run()" : "CopyPlan.run(scale, stream)",
        p + ".run(" + (plain ? "" : scale + ", " + (st == null ? "null" : st.toString())) + ")", expected, () -> {
          if (plain) {
            p.real.run();
          } else {
            p.real.run(s, st);
          }
          return null;
        });
    if (result.ok()) {
      p.run(scale);
    }
    f.check(f.pool.verify(p.destinations().toArray(new ModelStorage[0])));
  }

  /** Closes a plan (now and then twice); it drops its references to the tensors' storages. */
  void close(PlanModel p) {
    boolean twice = g.chance(20);
    f.call("CopyPlan.close", p + ".close()" + (twice ? " twice" : ""), Outcome.ok(), () -> {
      p.real.close();
      if (twice) {
        p.real.close();
      }
      return null;
    });
    if (!p.closed) {
      p.closed = true;
      for (ModelStorage s : p.held) {
        f.pool.release(s);
      }
    }
    f.pool.plans.remove(p);
    f.check(f.pool.verify());
  }

  void closeAll() {
    for (PlanModel p : new ArrayList<>(f.pool.plans)) {
      close(p);
    }
  }
}
