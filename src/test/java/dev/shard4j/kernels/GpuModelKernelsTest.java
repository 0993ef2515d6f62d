package dev.shard4j.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.shard4j.bindings.Cuda;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import dev.shard4j.testing.KernelFixture;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The CUDA model kernels (elementwise, GELU, bias, LayerNorm, ...) against their CPU kernels, which
 * the other tests check against plain Java references: bit for bit where both sides run the same
 * element math, within a tolerance where the order of a reduction or a libm function differs.
 */
@Tag("gpu")
class GpuModelKernelsTest {
  private static final Device GPU = Device.cuda(0);
  private KernelFixture f;

  @BeforeEach
  void requireGpu() {
    assumeTrue(Cuda.available(), "no CUDA device: " + Cuda.probe().reason());
    f = new KernelFixture("gpu-model-kernels-test");
  }

  @AfterEach
  void close() {
    if (f != null) {
      f.close();
    }
  }

  private Tensor random(Random r, DType dtype, long... shape) {
    return f.keep(Tensors.normal(f.allocator(), dtype, Device.CPU, r.nextLong(), 0, 2, shape));
  }

  private Tensor gpu(Tensor host) {
    return f.keep(host.to(GPU));
  }

  private Tensor poisonedGpu(DType dtype, long... shape) {
    return f.keep(Tensors.full(f.allocator(), dtype, GPU, Double.NaN, shape));
  }

  private static byte[] bytes(Tensor t) {
    ByteBuffer b = ByteBuffer.allocate((int) (t.numel() * t.dtype().byteSize()));
    t.copyTo(b);
    return b.array();
  }

  private static void sameBits(Tensor host, Tensor gpu, String what) {
    assertArrayEquals(bytes(host), bytes(gpu), what);
  }

  private static void near(Tensor host, Tensor gpu, double tolerance, String what) {
    KernelFixture.close(host.toDoubleArray(), gpu.toDoubleArray(), tolerance, tolerance, what);
  }

  @Test
  void elementwiseMatchesTheHostBitForBit() {
    Random r = new Random(21);
    for (DType dtype : new DType[] {DType.F32, DType.BF16, DType.F16, DType.F64}) {
      long n = 100_003;
      Tensor a = random(r, dtype, n);
      Tensor b = random(r, dtype, n);
      Tensor ad = gpu(a);
      Tensor bd = gpu(b);
      Tensor out = f.poisoned(dtype, n);
      Tensor outd = poisonedGpu(dtype, n);
      Elementwise.add(a, b, 0.37, out, null);
      Elementwise.add(ad, bd, 0.37, outd, null);
      sameBits(out, outd, "add " + dtype);
      Elementwise.mul(a, b, out, null);
      Elementwise.mul(ad, bd, outd, null);
      sameBits(out, outd, "mul " + dtype);
      Elementwise.affine(a, -1.3, 0.25, out, null);
      Elementwise.affine(ad, -1.3, 0.25, outd, null);
      sameBits(out, outd, "affine " + dtype);
      Elementwise.axpy(0.5, a, b, null);
      Elementwise.axpy(0.5, ad, bd, null);
      sameBits(b, bd, "axpy " + dtype);
    }
  }

  @Test
  void geluAndBiasMatchTheHost() {
    Random r = new Random(22);
    for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
      long rows = 1031;
      long cols = 771;
      Tensor x = random(r, dtype, rows, cols);
      Tensor g = random(r, dtype, rows, cols);
      Tensor b = random(r, dtype, cols);
      Tensor xd = gpu(x);
      Tensor gd = gpu(g);
      Tensor bd = gpu(b);
      Tensor y = f.poisoned(dtype, rows, cols);
      Tensor yd = poisonedGpu(dtype, rows, cols);
      double tol = dtype == DType.BF16 ? 8e-3 : 1e-6;
      Gelu.forward(x, y, null);
      Gelu.forward(xd, yd, null);
      near(y, yd, tol, "gelu " + dtype); // tanhf of the host and the device may differ in the last bit
      Gelu.backward(g, x, y, null);
      Gelu.backward(gd, xd, yd, null);
      near(y, yd, tol, "gelu backward " + dtype);
      Bias.add(x, b, y, null);
      Bias.add(xd, bd, yd, null);
      sameBits(y, yd, "bias add " + dtype);
      for (DType gradType : new DType[] {DType.F32, dtype}) {
        Tensor db = f.poisoned(gradType, cols);
        Tensor dbd = poisonedGpu(gradType, cols);
        Bias.backward(g, db, false, null);
        Bias.backward(gd, dbd, false, null);
        Bias.backward(g, db, true, null);
        Bias.backward(gd, dbd, true, null);
        sameBits(db, dbd, "bias grad " + dtype + " into " + gradType);
      }
    }
  }

  @Test
  void layerNormMatchesTheHost() {
    Random r = new Random(23);
    for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
      long rows = 517;
      long cols = 771;
      Tensor x = random(r, dtype, rows, cols);
      Tensor g = random(r, dtype, rows, cols);
      Tensor w = random(r, dtype, cols);
      Tensor b = random(r, dtype, cols);
      Tensor y = f.poisoned(dtype, rows, cols);
      Tensor mean = f.poisoned(DType.F32, rows);
      Tensor rstd = f.poisoned(DType.F32, rows);
      Tensor yd = poisonedGpu(dtype, rows, cols);
      Tensor meand = poisonedGpu(DType.F32, rows);
      Tensor rstdd = poisonedGpu(DType.F32, rows);
      LayerNorm.forward(x, w, b, 1e-5, y, mean, rstd, null);
      LayerNorm.forward(gpu(x), gpu(w), gpu(b), 1e-5, yd, meand, rstdd, null);
      double tol = dtype == DType.BF16 ? 1e-2 : 1e-5; // the row sums run in another order
      near(y, yd, tol, "layer norm " + dtype);
      near(mean, meand, 1e-5, "mean " + dtype);
      near(rstd, rstdd, 1e-5, "rstd " + dtype);
      Tensor dx = f.poisoned(dtype, rows, cols);
      Tensor dw = f.poisoned(DType.F32, cols);
      Tensor db = f.poisoned(DType.F32, cols);
      Tensor dxd = poisonedGpu(dtype, rows, cols);
      Tensor dwd = poisonedGpu(DType.F32, cols);
      Tensor dbd = poisonedGpu(DType.F32, cols);
      // the same statistics on both sides, so that the parameter gradients agree bit for bit
      LayerNorm.backward(g, x, w, mean, rstd, dx, dw, db, false, null);
      LayerNorm.backward(gpu(g), gpu(x), gpu(w), gpu(mean), gpu(rstd), dxd, dwd, dbd, false, null);
      near(dx, dxd, tol * 10, "layer norm dx " + dtype);
      sameBits(dw, dwd, "layer norm dweight " + dtype);
      sameBits(db, dbd, "layer norm dbias " + dtype);
    }
  }

  @Test
  void crossEntropyMatchesTheHost() {
    Random r = new Random(24);
    for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
      int rows = 67;
      int vocab = 50257;
      Tensor logits = random(r, dtype, rows, vocab);
      int[] t = new int[rows];
      for (int i = 0; i < rows; i++) {
        t[i] = r.nextInt(vocab);
      }
      Tensor targets = f.ints(t, DType.I32, rows);
      Tensor losses = f.poisoned(DType.F32, rows);
      Tensor mean = f.poisoned(DType.F32, 1);
      Tensor lossesd = poisonedGpu(DType.F32, rows);
      Tensor meand = poisonedGpu(DType.F32, 1);
      Tensor logitsd = gpu(logits);
      Tensor targetsd = gpu(targets);
      CrossEntropy.forward(logits, targets, losses, mean, null);
      CrossEntropy.forward(logitsd, targetsd, lossesd, meand, null);
      near(losses, lossesd, 1e-5, "losses " + dtype); // expf and the order of the sums differ
      near(mean, meand, 1e-5, "mean loss " + dtype);
      Tensor grad = f.poisoned(dtype, rows, vocab);
      CrossEntropy.backward(logits, targets, null, 1.0 / rows, grad, null);
      CrossEntropy.backward(logitsd, targetsd, null, 1.0 / rows, logitsd, null); // in place on the GPU
      near(grad, logitsd, dtype == DType.BF16 ? 1e-2 : 1e-5, "gradient " + dtype);
      // a target outside the vocabulary cannot be checked on the GPU: its row's loss is NaN
      t[3] = vocab;
      Tensor bad = gpu(f.ints(t, DType.I64, rows));
      CrossEntropy.forward(gpu(logits), bad, lossesd, null, null);
      double[] l = lossesd.toDoubleArray();
      assertTrue(Double.isNaN(l[3]) && !Double.isNaN(l[2]), "row 3 NaN, row 2 not");
    }
  }

  @Test
  void embeddingMatchesTheHostBitForBit() {
    Random r = new Random(25);
    for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
      int b = 3;
      int t = 129;
      int v = 50257;
      int c = 77;
      int[] ids = new int[b * t];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = r.nextInt(40); // many repeats
      }
      Tensor tokens = f.ints(ids, DType.I32, b, t);
      Tensor wte = random(r, dtype, v, c);
      Tensor wpe = random(r, dtype, t + 3, c);
      Tensor g = random(r, dtype, b, t, c);
      Tensor y = f.poisoned(dtype, b, t, c);
      Tensor yd = poisonedGpu(dtype, b, t, c);
      Embedding.forward(tokens, wte, wpe, y, null);
      Embedding.forward(gpu(tokens), gpu(wte), gpu(wpe), yd, null);
      sameBits(y, yd, "embedding " + dtype);
      Tensor dwte = f.poisoned(DType.F32, v, c);
      Tensor dwpe = f.poisoned(DType.F32, t + 3, c);
      Tensor dwted = poisonedGpu(DType.F32, v, c);
      Tensor dwped = poisonedGpu(DType.F32, t + 3, c);
      Tensor tokensd = gpu(tokens);
      Tensor gd = gpu(g);
      for (boolean accumulate : new boolean[] {false, true}) {
        Embedding.backward(tokens, g, dwte, dwpe, accumulate, null);
        Embedding.backward(tokensd, gd, dwted, dwped, accumulate, null);
        sameBits(dwte, dwted, "dwte " + dtype + (accumulate ? " accumulated" : ""));
        sameBits(dwpe, dwped, "dwpe " + dtype + (accumulate ? " accumulated" : ""));
      }
    }
  }

  @Test
  void causalSoftmaxAndAttentionMatchTheHost() {
    Random r = new Random(26);
    for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
      int n = 12;
      int t = 129;
      int hs = 64;
      double tol = dtype == DType.BF16 ? 2e-2 : 1e-5; // row sums in another order, cuBLAS against OpenBLAS
      Tensor scores = random(r, dtype, n, t, t);
      Tensor g = random(r, dtype, n, t, t);
      Tensor p = f.poisoned(dtype, n, t, t);
      Tensor pd = poisonedGpu(dtype, n, t, t);
      CausalSoftmax.forward(scores, 0.125, p, null);
      CausalSoftmax.forward(gpu(scores), 0.125, pd, null);
      near(p, pd, tol, "causal softmax " + dtype);
      Tensor ds = f.poisoned(dtype, n, t, t);
      Tensor dsd = poisonedGpu(dtype, n, t, t);
      CausalSoftmax.backward(p, g, 0.125, ds, null);
      CausalSoftmax.backward(gpu(p), gpu(g), 0.125, dsd, null);
      near(ds, dsd, tol, "causal softmax backward " + dtype);
      Tensor q = random(r, dtype, n, t, hs);
      Tensor k = random(r, dtype, n, t, hs);
      Tensor v = random(r, dtype, n, t, hs);
      Tensor out = f.poisoned(dtype, n, t, hs);
      Tensor outd = poisonedGpu(dtype, n, t, hs);
      Tensor probsd = poisonedGpu(dtype, n, t, t);
      CausalSelfAttention.forward(q, k, v, p, out, null);
      CausalSelfAttention.forward(gpu(q), gpu(k), gpu(v), probsd, outd, null);
      near(out, outd, tol * 10, "attention " + dtype);
    }
  }
}
