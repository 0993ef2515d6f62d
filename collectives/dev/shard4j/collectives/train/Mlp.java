package dev.shard4j.collectives.train;

import dev.shard4j.kernels.AccumulateKernel;
import dev.shard4j.kernels.Gemm;
import dev.shard4j.kernels.Relu;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.List;

/**
 * The demo model: a two-layer perceptron y = W2 relu(W1 x + b1) + b2 with a mean-squared-error
 * loss, layer by layer so that a trainer can shard each layer apart and overlap one layer's
 * communication with the other's compute. Everything runs on the tensors' device with the tensor
 * API: products, bias broadcasts (rank-one updates) and bias gradients (column sums) through
 * {@link Gemm}, the rectifier through {@link Relu}, the loss through {@link AccumulateKernel} and a
 * dot product; only the loss value comes back to Java. Parameters are [W1, b1, W2, b2]; the caller
 * owns every tensor a method returns.
 */
final class Mlp {
  private final int in;
  private final int hidden;
  private final int out;

  Mlp(int in, int hidden, int out) {
    this.in = in;
    this.hidden = hidden;
    this.out = out;
  }

  long[][] shapes() {
    return new long[][] {{hidden, in}, {hidden}, {out, hidden}, {out}};
  }

  /** Seeded initial values, scaled by 1/sqrt(fan-in); biases start at zero. */
  List<Tensor> init(Allocator a, Device device, long seed) {
    return List.of(Tensors.normal(a, DType.F32, device, seed, 0, 1 / Math.sqrt(in), hidden, in),
        Tensors.zeros(a, DType.F32, device, hidden),
        Tensors.normal(a, DType.F32, device, seed + 1, 0, 1 / Math.sqrt(hidden), out, hidden),
        Tensors.zeros(a, DType.F32, device, out));
  }

  /** What layer 1's forward pass keeps for the backward pass: its input and its output. */
  record Hidden(Tensor x, Tensor h) implements AutoCloseable {
    @Override
    public void close() {
      x.close();
      h.close();
    }
  }

  /** Layer 1 forward, h = relu(x W1^T + b1), with layer1 = [W1, b1], in their dtype. */
  Hidden layer1(Allocator a, List<Tensor> layer1, Tensor input) {
    Tensor x = input.cast(layer1.get(0).dtype());
    try {
      Tensor h = affine(a, x, layer1);
      try {
        Relu.forward(h, h, null);
        return new Hidden(x, h);
      } catch (RuntimeException e) {
        h.close();
        throw e;
      }
    } catch (RuntimeException e) {
      x.close();
      throw e;
    }
  }

  /** Layer 2 forward, y = h W2^T + b2, with layer2 = [W2, b2]. */
  Tensor layer2(Allocator a, List<Tensor> layer2, Hidden hidden1) {
    return affine(a, hidden1.h(), layer2);
  }

  /** The model's output for a batch, params = [W1, b1, W2, b2]. */
  Tensor predict(Allocator a, List<Tensor> params, Tensor input) {
    try (Hidden h = layer1(a, params.subList(0, 2), input)) {
      return layer2(a, params.subList(2, 4), h);
    }
  }

  /** x W^T + b for [W, b]: the product, then b added to every row as a rank-one update. */
  private static Tensor affine(Allocator a, Tensor x, List<Tensor> weightAndBias) {
    Tensor w = weightAndBias.get(0);
    Tensor b = weightAndBias.get(1);
    long rows = x.shape().dim(0);
    Tensor y = Tensors.empty(a, w.dtype(), x.device(), rows, w.shape().dim(0));
    try (Tensor ones = Tensors.full(a, w.dtype(), x.device(), 1.0, rows, 1); Tensor bRow = b.reshape(1, b.numel())) {
      Gemm.matmul(x, w, y, false, true, 1, 0, null);
      Gemm.matmul(ones, bRow, y, false, false, 1, 1, null);
      return y;
    } catch (RuntimeException e) {
      y.close();
      throw e;
    }
  }

  /** The sums of a matrix's columns, the gradient of a bias broadcast over its rows. */
  private static Tensor columnSums(Allocator a, Tensor m) {
    long rows = m.shape().dim(0);
    long cols = m.shape().dim(1);
    try (Tensor ones = Tensors.full(a, m.dtype(), m.device(), 1.0, 1, rows);
        Tensor sums = Tensors.empty(a, m.dtype(), m.device(), 1, cols)) {
      Gemm.matmul(ones, m, sums, false, false, 1, 0, null);
      return sums.reshape(cols);
    }
  }

  /**
   * The mean squared error of y against the target, added times weight to lossSum on the device
   * (a value read back on the host would make it wait for the device at every micro-batch), and
   * its gradient with respect to y.
   *
   * @return dL/dy, owned by the caller
   */
  static Tensor loss(Allocator a, Tensor y, Tensor target, Tensor lossSum, double weight) {
    long n = y.numel();
    try (Tensor diff = y.cast(DType.F32); Tensor row = diff.reshape(1, n); Tensor column = diff.reshape(n, 1)) {
      AccumulateKernel.accumulate(diff, target, -1.0, null);
      try (Tensor squares = Gemm.matmul(row, column)) {
        AccumulateKernel.accumulate(lossSum, squares, weight / n, null);
      }
      Tensor dy = Tensors.zeros(a, y.dtype(), y.device(), y.shape().toArray());
      AccumulateKernel.accumulate(dy, diff, 2.0 / n, null);
      return dy;
    }
  }

  /** Layer 2's gradients [dW2, db2] and the gradient dh of its input, owned by the caller. */
  record Layer2Grads(List<Tensor> grads, Tensor dh) implements AutoCloseable {
    @Override
    public void close() {
      grads.forEach(Tensor::close);
      dh.close();
    }
  }

  Layer2Grads layer2Backward(Allocator a, List<Tensor> layer2, Hidden hidden1, Tensor dy) {
    Tensor h = hidden1.h();
    Tensor dW2 = Tensors.empty(a, dy.dtype(), dy.device(), out, hidden);
    Tensor dh = Tensors.empty(a, dy.dtype(), dy.device(), h.shape().dim(0), hidden);
    try {
      Gemm.matmul(dy, h, dW2, true, false, 1, 0, null);
      Gemm.matmul(dy, layer2.get(0), dh, false, false, 1, 0, null);
      return new Layer2Grads(List.of(dW2, columnSums(a, dy)), dh);
    } catch (RuntimeException e) {
      dW2.close();
      dh.close();
      throw e;
    }
  }

  /**
   * Layer 1's gradients [dW1, db1] from the gradient of its output, which becomes the gradient of
   * its pre-activation in place: no parameter needed.
   */
  List<Tensor> layer1Backward(Allocator a, Hidden hidden1, Tensor dh) {
    Relu.backward(dh, hidden1.h(), dh, null);
    Tensor dW1 = Tensors.empty(a, dh.dtype(), dh.device(), hidden, in);
    try {
      Gemm.matmul(dh, hidden1.x(), dW1, true, false, 1, 0, null);
      return List.of(dW1, columnSums(a, dh));
    } catch (RuntimeException e) {
      dW1.close();
      throw e;
    }
  }
}
