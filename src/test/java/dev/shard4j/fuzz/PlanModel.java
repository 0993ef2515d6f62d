package dev.shard4j.fuzz;

import dev.shard4j.kernels.CopyPlan;
import java.util.ArrayList;
import java.util.List;

/**
 * The model of a copy plan: its segments over storage indices (a null source writes zeros) and
 * the storages it keeps alive until it is closed, one reference per distinct tensor it was given.
 */
final class PlanModel {
  /** count elements from src[srcAt] (or zeros) into dst[dstAt]. */
  record Segment(ModelStorage src, int srcAt, ModelStorage dst, int dstAt, int count) {}

  final int id;
  final CopyPlan real;
  final String description;
  final List<Segment> segments;
  final List<ModelStorage> held;
  boolean closed;

  PlanModel(int id, CopyPlan real, String description, List<Segment> segments, List<ModelStorage> held) {
    this.id = id;
    this.real = real;
    this.description = description;
    this.segments = segments;
    this.held = held;
  }

  /** Applies a run with the scale to the model. */
  void run(double scale) {
    for (Segment s : segments) {
      for (int j = 0; j < s.count; j++) {
        s.dst.raw[s.dstAt + j] = s.src == null ? 0
            : Arithmetic.scaledConvert(s.src.dtype, s.src.raw[s.srcAt + j], s.dst.dtype, scale);
      }
      if (s.src != null && s.src.tainted) {
        s.dst.tainted = true;
      }
    }
  }

  /** The fewest bytes a run moves: each source element read once, each destination element written once. */
  long bytesMoved() {
    long bytes = 0;
    for (Segment s : segments) {
      bytes += (long) s.count * s.dst.dtype.byteSize() + (s.src == null ? 0 : (long) s.count * s.src.dtype.byteSize());
    }
    return bytes;
  }

  List<ModelStorage> destinations() {
    List<ModelStorage> d = new ArrayList<>();
    for (Segment s : segments) {
      if (!d.contains(s.dst)) {
        d.add(s.dst);
      }
    }
    return d;
  }

  @Override
  public String toString() {
    return "p" + id + " " + description + (closed ? " (closed)" : "");
  }
}
