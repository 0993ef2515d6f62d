package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Shape;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import dev.shard4j.testing.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** Pack, unpack and chunk-cat against plain Java references on random layouts. */
class CopyKernelsTest {
  private static final double POISON = -1536.0; // exact in every float dtype
  private final Allocator allocator = Allocator.root("copy-kernels-test");
  private final List<Tensor> open = new ArrayList<>();

  @AfterEach
  void close() {
    open.forEach(Tensor::close);
    assertEquals(0, allocator.allocatedBytes(), "plans and tests close everything");
    allocator.close();
  }

  private Tensor tensor(double[] values, DType dtype, long... shape) {
    Tensor t = Tensors.fromArray(allocator, values, dtype, Device.CPU, shape);
    open.add(t);
    return t;
  }

  private Tensor poisoned(DType dtype, long... shape) {
    Tensor t = Tensors.full(allocator, dtype, Device.CPU, POISON, shape);
    open.add(t);
    return t;
  }

  private static DType packSource(Random r) {
    DType[] sources = {DType.F32, DType.BF16, DType.F16};
    return sources[r.nextInt(sources.length)];
  }

  @RepeatedTest(30)
  void packCopiesCastsAndScalesIntoTheFlatBuffer(RepetitionInfo info) {
    Random r = new Random(info.getCurrentRepetition());
    pack(r, 1 + r.nextInt(7), 0, 70_000);
  }

  /** Plans that write more than 8 MiB store with streaming stores, from unaligned sources too. */
  @RepeatedTest(4)
  void largePacksBypassTheCacheWithTheSameResults(RepetitionInfo info) {
    Random r = new Random(1000 + info.getCurrentRepetition());
    pack(r, 6 + r.nextInt(3), 700_000, 1_500_000);
  }

  private void pack(Random r, int n, int minSize, int maxSize) {
    DType flatType = Reference.floatType(r);
    double scale = r.nextBoolean() ? 1.0 : r.nextGaussian();
    List<Tensor> sources = new ArrayList<>();
    List<double[]> values = new ArrayList<>();
    long[] offsets = new long[n];
    long at = r.nextInt(5);
    for (int i = 0; i < n; i++) {
      DType type = packSource(r);
      // empty, tiny and multi-tile; or all large
      int size = minSize > 0 ? minSize + r.nextInt(maxSize - minSize) : r.nextInt(3) == 0 ? r.nextInt(3)
          : 1 + r.nextInt(maxSize);
      double[] v = Reference.values(r, type, size, 3);
      values.add(v);
      sources.add(tensor(v, type, size));
      offsets[i] = at;
      at += size + r.nextInt(3); // gaps stay poisoned
    }
    Tensor flat = poisoned(flatType, at + r.nextInt(4));
    double[] expected = new double[(int) flat.numel()];
    Arrays.fill(expected, POISON);
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < values.get(i).length; k++) {
        expected[(int) offsets[i] + k] = Reference.scaledConvert(values.get(i)[k], sources.get(i).dtype(), flatType, scale);
      }
    }
    try (CopyPlan plan = PackKernel.plan(sources, flat, offsets)) {
      plan.run(scale, null);
      assertArrayEquals(expected, flat.toDoubleArray());
      long minimal = 0;
      for (Tensor s : sources) {
        minimal += s.numel() * (s.dtype().byteSize() + flatType.byteSize());
      }
      assertEquals(minimal, plan.bytesMoved());
    }
  }

  /** Random parameter shapes, some with fewer rows than ranks, some scalars, some empty rows. */
  private static List<long[]> randomShapes(Random r, int count) {
    List<long[]> shapes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      switch (r.nextInt(5)) {
        case 0 -> shapes.add(new long[] {});
        case 1 -> shapes.add(new long[] {1 + r.nextInt(5)});
        case 2 -> shapes.add(new long[] {1 + r.nextInt(40), 1 + r.nextInt(33)});
        case 3 -> shapes.add(new long[] {r.nextInt(9), 1 + r.nextInt(4), 1 + r.nextInt(3)});
        default -> shapes.add(new long[] {1 + r.nextInt(300), 1 + r.nextInt(257)});
      }
    }
    return shapes;
  }

  private static ShardLayout layout(List<long[]> shapes, int world) {
    List<Shape> s = new ArrayList<>();
    shapes.forEach(d -> s.add(Shape.of(d)));
    return new ShardLayout(s, world);
  }

  @RepeatedTest(30)
  void unpackRebuildsEveryParameterFromTheGatheredRows(RepetitionInfo info) {
    Random r = new Random(1000 + info.getCurrentRepetition());
    int world = 1 + r.nextInt(8);
    List<long[]> shapes = randomShapes(r, 1 + r.nextInt(6));
    ShardLayout layout = layout(shapes, world);
    DType gatheredType = Reference.floatType(r);
    double[] gatheredValues = Reference.values(r, gatheredType, (int) (world * layout.shardNumel()), 2);
    Tensor gathered = tensor(gatheredValues, gatheredType, gatheredValues.length);
    List<Tensor> params = new ArrayList<>();
    for (long[] shape : shapes) {
      params.add(poisoned(Reference.floatType(r), shape));
    }
    try (CopyPlan plan = UnpackKernel.plan(gathered, world, params)) {
      plan.run();
    }
    for (int p = 0; p < shapes.size(); p++) {
      Tensor param = params.get(p);
      long rowNumel = layout.rowNumel(p);
      long c = layout.chunkRows(p);
      double[] expected = new double[(int) param.numel()];
      for (int e = 0; e < expected.length; e++) {
        long row = e / rowNumel;
        long col = e % rowNumel;
        long rank = row / c;
        long local = row % c;
        long src = rank * layout.shardNumel() + layout.shardOffset(p) + local * rowNumel + col;
        expected[e] = Reference.scaledConvert(gatheredValues[(int) src], gatheredType, param.dtype(), 1.0);
      }
      assertArrayEquals(expected, param.toDoubleArray(), "param " + p + " " + Arrays.toString(shapes.get(p)));
    }
  }

  @RepeatedTest(30)
  void chunkCatInterleavesChunksPadsWithZerosAndScales(RepetitionInfo info) {
    Random r = new Random(2000 + info.getCurrentRepetition());
    int world = 1 + r.nextInt(8);
    List<long[]> shapes = randomShapes(r, 1 + r.nextInt(6));
    ShardLayout layout = layout(shapes, world);
    DType outType = Reference.floatType(r);
    double scale = r.nextBoolean() ? 1.0 : 1.0 / (1 + r.nextInt(8));
    List<Tensor> grads = new ArrayList<>();
    List<double[]> values = new ArrayList<>();
    for (long[] shape : shapes) {
      DType type = Reference.floatType(r);
      double[] v = Reference.values(r, type, (int) Shape.of(shape).numel(), 1);
      values.add(v);
      grads.add(tensor(v, type, shape));
    }
    Tensor out = poisoned(outType, world * layout.shardNumel());
    try (CopyPlan plan = ChunkCatKernel.plan(grads, world, out)) {
      plan.run(scale, null);
    }
    double[] expected = new double[(int) out.numel()];
    for (int rank = 0; rank < world; rank++) {
      for (int p = 0; p < shapes.size(); p++) {
        long rowNumel = layout.rowNumel(p);
        for (long k = 0; k < layout.paddedChunkNumel(p); k++) {
          long row = rank * layout.chunkRows(p) + k / rowNumel;
          long source = row * rowNumel + k % rowNumel;
          long at = rank * layout.shardNumel() + layout.shardOffset(p) + k;
          expected[(int) at] = k < layout.rowsOnRank(p, rank) * rowNumel
              ? Reference.scaledConvert(values.get(p)[(int) source], grads.get(p).dtype(), outType, scale)
              : 0.0;
        }
      }
    }
    assertArrayEquals(expected, out.toDoubleArray());
  }

  /** Each rank packs its shards into its slice of the all-gather buffer; unpack gives the parameters back. */
  @Test
  void packThenUnpackIsTheIdentityForEveryWorldSize() {
    Random r = new Random(77);
    for (int world = 1; world <= 8; world++) {
      List<long[]> shapes = randomShapes(r, 5);
      ShardLayout layout = layout(shapes, world);
      List<Tensor> originals = new ArrayList<>();
      for (long[] shape : shapes) {
        originals.add(tensor(Reference.values(r, DType.F32, (int) Shape.of(shape).numel(), 1), DType.F32, shape));
      }
      Tensor gathered = poisoned(DType.BF16, world * layout.shardNumel());
      for (int rank = 0; rank < world; rank++) {
        // The rank's padded shards, as FSDP keeps them, chunk-catted from the full parameters.
        Tensor shards = poisoned(DType.F32, world * layout.shardNumel());
        try (CopyPlan chunk = ChunkCatKernel.plan(originals, world, shards)) {
          chunk.run();
        }
        try (Tensor mine = shards.narrow(0, rank * layout.shardNumel(), layout.shardNumel());
            Tensor slice = gathered.narrow(0, rank * layout.shardNumel(), layout.shardNumel());
            CopyPlan pack = PackKernel.plan(List.of(mine), slice)) {
          pack.run();
        }
      }
      List<Tensor> rebuilt = new ArrayList<>();
      for (long[] shape : shapes) {
        rebuilt.add(poisoned(DType.F32, shape));
      }
      try (CopyPlan unpack = UnpackKernel.plan(gathered, world, rebuilt)) {
        unpack.run();
      }
      for (int p = 0; p < shapes.size(); p++) {
        try (Tensor expected = originals.get(p).cast(DType.BF16)) {
          assertArrayEquals(expected.toDoubleArray(), rebuilt.get(p).toDoubleArray(), "world " + world);
        }
      }
    }
  }

  @Test
  void plansKeepTheirTensorsAlive() {
    Tensor src = Tensors.fromArray(allocator, new float[] {1, 2, 3}, DType.F32, Device.CPU, 3);
    Tensor flat = Tensors.zeros(allocator, DType.BF16, Device.CPU, 3);
    CopyPlan plan = PackKernel.plan(List.of(src), flat);
    src.close(); // the plan still holds the memory
    plan.run();
    assertArrayEquals(new float[] {1, 2, 3}, flat.toFloatArray());
    flat.close();
    long held = allocator.allocatedBytes();
    plan.close();
    plan.close();
    assertEquals(0, allocator.allocatedBytes());
    assertEquals(12 + 6, held);
  }
}
