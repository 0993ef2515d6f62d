package dev.shard4j.fuzz;

import dev.shard4j.kernels.PackKernel;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * PackKernel plans: sources packed back to back or at explicit offsets into a flat buffer, with
 * one defect now and then: a null list, offsets or source, a closed, strided or non-float tensor,
 * offsets out of range or overlapping, a source that is part of the buffer.
 */
final class PackOps {
  private static final DType[] PACK_SOURCES = {DType.F32, DType.BF16, DType.F16};

  private final ApiFuzzer f;
  private final Gen g;
  private final PlanOps plans;

  PackOps(ApiFuzzer f, PlanOps plans) {
    this.f = f;
    this.g = f.gen;
    this.plans = plans;
  }

  void pack() {
    int n = g.between(0, 4);
    List<ModelTensor> sources = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      sources.add(plans.operand(PACK_SOURCES, null, g.between(0, 2) == 0 ? 0 : 1));
    }
    boolean explicit = g.chance(50);
    long[] offsets = new long[n];
    long at = 0;
    for (int i = 0; i < n; i++) {
      at += explicit ? g.between(0, 2) : 0;
      offsets[i] = at;
      at += sources.get(i).numel();
    }
    int defect = g.chance(25) ? g.r.nextInt(12) : -1;
    boolean sourceView = defect == 10 && n > 0;
    DType[] flatTypes = sourceView ? PACK_SOURCES : new DType[] {DType.F32, DType.F64, DType.F16, DType.BF16};
    ModelTensor flat = plans.operand(flatTypes, null, Math.max(1, at + (explicit ? g.between(0, 3) : 0)));
    long base = explicit && flat.numel() > at ? g.between(0, (int) (flat.numel() - at)) : 0;
    for (int i = 0; i < n; i++) {
      offsets[i] += base;
    }
    List<Tensor> realSources = new ArrayList<>();
    for (ModelTensor s : sources) {
      realSources.add(s.real);
    }
    Tensor realFlat = flat.real;
    long[] realOffsets = offsets;
    Outcome expected = null;
    String defectName = null;
    int i = n == 0 ? -1 : g.r.nextInt(n);
    switch (n == 0 && defect >= 2 && defect != 6 && defect != 7 ? -1 : defect) {
      case 0 -> {
        realSources = null;
        expected = Outcome.fails(NullPointerException.class, "sources");
        defectName = "null sources";
      }
      case 1 -> {
        explicit = true;
        realOffsets = null;
        expected = Outcome.fails(NullPointerException.class, "offsets");
        defectName = "null offsets";
      }
      case 2 -> {
        explicit = true;
        realOffsets = Arrays.copyOf(offsets, n + 1);
        expected = Outcome.fails(IllegalArgumentException.class, "offsets");
        defectName = "one offset too many";
      }
      case 3 -> {
        ModelTensor c = f.pool.pickClosed();
        if (c != null) {
          realSources.set(i, c.real);
          sources.set(i, c);
          expected = Outcome.fails(IllegalStateException.class, "sources[" + i + "] is closed");
          defectName = "closed source";
        }
      }
      case 4 -> {
        ModelTensor s = plans.strided(g.of(PACK_SOURCES));
        expected = replaceSource(sources, realSources, i, s, "sources[" + i + "]");
        defectName = "strided source";
      }
      case 5 -> {
        ModelTensor s = plans.integer(new long[] {sources.get(i).numel()});
        if (g.chance(50)) {
          s = f.factories.fresh(DType.F64, new long[] {sources.get(i).numel()}, 8);
        }
        sources.set(i, s);
        realSources.set(i, s.real);
        expected = Outcome.fails(IllegalArgumentException.class, "sources[" + i + "] has dtype");
        defectName = "source dtype";
      }
      case 6 -> {
        flat = plans.integer(flat.shape);
        realFlat = flat.real;
        expected = n == 0 ? null : Outcome.fails(IllegalArgumentException.class, "destination has dtype");
        defectName = "integer flat";
      }
      case 7 -> {
        flat = plans.strided(flat.dtype());
        realFlat = flat.real;
        expected = Outcome.fails(IllegalArgumentException.class, "flat must be contiguous");
        defectName = "strided flat";
      }
      case 8 -> {
        explicit = true;
        offsets[i] = g.chance(50) ? -g.between(1, 3) : flat.numel() - sources.get(i).numel() + g.between(1, 3);
        defectName = "offset out of range"; // the range rule below gives the outcome
      }
      case 9 -> {
        if (n >= 2 && sources.get(i).numel() > 0) {
          int j = (i + 1) % n;
          if (sources.get(j).numel() > 0) {
            explicit = true;
            offsets[j] = offsets[i] + g.between(0, (int) sources.get(i).numel() - 1);
            if (offsets[j] + sources.get(j).numel() > flat.numel()) {
              offsets[j] = offsets[i];
            }
            defectName = "destinations overlap"; // the overlap rule below gives the outcome
          }
        }
      }
      case 10 -> {
        long len = sources.get(i).numel();
        if (len > 0 && flat.numel() >= len) {
          long begin = g.between(0, (int) (flat.numel() - len));
          ModelTensor whole = flat;
          Outcome.Result<Tensor> flatView = f.call("Tensor.view", "t" + flat.id + ".view(-1) for a source",
              Outcome.ok(), () -> whole.real.view(-1));
          ModelTensor line = f.pool.addView(flatView.value(), flat, new long[] {flat.numel()}, new long[] {1},
              flat.offset);
          Outcome.Result<Tensor> piece = f.call("Tensor.narrow", "t" + line.id + ".narrow(0, " + begin + ", " + len
              + ") for a source", Outcome.ok(), () -> line.real.narrow(0, begin, len));
          ModelTensor s = f.pool.addView(piece.value(), line, new long[] {len}, new long[] {1}, line.offset + begin);
          sources.set(i, s);
          realSources.set(i, s.real);
          defectName = "source inside flat"; // refused where it overlaps a destination
        }
      }
      case 11 -> {
        realSources.set(i, null);
        sources.set(i, null);
        expected = Outcome.fails(NullPointerException.class, "sources[" + i + "]");
        defectName = "null source";
      }
      default -> {
        // valid
      }
    }
    boolean threeArgs = explicit;
    List<PlanModel.Segment> segments = new ArrayList<>();
    if (expected == null) {
      for (int k = 0; k < n && expected == null; k++) {
        ModelTensor s = sources.get(k);
        if (offsets[k] < 0 || offsets[k] > flat.numel() - s.numel()) {
          expected = Outcome.fails(IllegalArgumentException.class, "sources[" + k + "] at offset " + offsets[k]);
        }
        segments.add(new PlanModel.Segment(s.storage, (int) s.offset, flat.storage, (int) (flat.offset + offsets[k]),
            (int) s.numel()));
      }
      if (expected == null) {
        expected = LayoutModel.overlapOutcome(segments);
      }
    }
    List<Tensor> rs = realSources;
    Tensor rf = realFlat;
    long[] ro = realOffsets;
    // The plan holds what its segments read and write: every source and the flat buffer, if any.
    List<ModelTensor> given = new ArrayList<>(sources);
    if (n > 0) {
      given.add(flat);
    }
    String what = "PackKernel.plan(" + PlanOps.names(sources) + ", t" + flat.id + (threeArgs ? ", " + Arrays.toString(ro) : "")
        + ") flat " + flat + (defectName == null ? "" : " [" + defectName + "]");
    plans.build("PackKernel.plan", what, expected, segments, given, () -> threeArgs ? PackKernel.plan(rs, rf, ro)
        : PackKernel.plan(rs, rf));
  }

  /** Puts a strided source in place i; the plan refuses it, whatever else it meets first names it too. */
  private static Outcome replaceSource(List<ModelTensor> sources, List<Tensor> real, int i, ModelTensor s,
      String name) {
    sources.set(i, s);
    real.set(i, s.real);
    return Outcome.fails(IllegalArgumentException.class, name);
  }
}
