package dev.shard4j.models.mlp;

import dev.shard4j.kernels.AccumulateKernel;
import dev.shard4j.kernels.Gemm;
import dev.shard4j.kernels.Relu;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo model: a perceptron of L affine layers, rectified between them, y = W_L relu(... relu(W_1
 * x + b_1) ...) + b_L, with a mean-squared-error loss, layer by layer so that a trainer can shard
 * each layer apart (an FSDP unit each) and overlap one layer's communication with another's
 * compute. Everything runs on the tensors' device with the tensor API: products, bias broadcasts
 * (rank-one updates) and bias gradients (column sums) through {@link Gemm}, the rectifier through
 * {@link Relu}, the loss through {@link AccumulateKernel} and a dot product. Parameters are [W_1,
 * b_1, ..., W_L, b_L]; the caller owns every tensor a method returns.
 */
final class Mlp {
  /** in, the hidden widths, out: layer l maps widths[l] features to widths[l + 1]. */
  private final int[] widths;

  /**
   * The model.
   *
   * @param in input features
   * @param hidden width of every hidden layer
   * @param out outputs
   * @param layers affine layers, 2 or more
   */
  Mlp(int in, int hidden, int out, int layers) {
    if (layers < 2) {
      throw new IllegalArgumentException("an MLP needs at least 2 layers, got " + layers);
    }
    widths = new int[layers + 1];
    java.util.Arrays.fill(widths, hidden);
    widths[0] = in;
    widths[layers] = out;
  }

  int layers() {
    return widths.length - 1;
  }

  /** The widths from input to output, for the log: 64-4096-4096-16. */
  String describe() {
    StringBuilder b = new StringBuilder();
    for (int w : widths) {
      b.append(b.length() == 0 ? "" : "-").append(w);
    }
    return b.toString();
  }

  /** The shapes of [W_1, b_1, ..., W_L, b_L]. */
  long[][] shapes() {
    long[][] shapes = new long[2 * layers()][];
    for (int l = 0; l < layers(); l++) {
      shapes[2 * l] = new long[] {widths[l + 1], widths[l]};
      shapes[2 * l + 1] = new long[] {widths[l + 1]};
    }
    return shapes;
  }

  /** Seeded initial values, scaled by 1/sqrt(fan-in); biases start at zero. */
  List<Tensor> init(Allocator a, Device device, long seed) {
    List<Tensor> params = new ArrayList<>();
    try {
      for (int l = 0; l < layers(); l++) {
        params.add(Tensors.normal(a, DType.F32, device, seed + l, 0, 1 / Math.sqrt(widths[l]), widths[l + 1],
            widths[l]));
        params.add(Tensors.zeros(a, DType.F32, device, widths[l + 1]));
      }
      return params;
    } catch (RuntimeException e) {
      params.forEach(Tensor::close);
      throw e;
    }
  }

  /** What a layer's forward pass keeps for its backward pass: its input and its output. */
  record Activation(Tensor x, Tensor y) implements AutoCloseable {
    @Override
    public void close() {
      x.close();
      y.close();
    }
  }

  /**
   * Layer l forward, y = x W^T + b (rectified unless l is the last layer), with [W, b] the layer's
   * parameters, in their dtype.
   *
   * @param input the batch (layer 0) or the previous layer's output; the activation keeps its own
   *     reference
   */
  Activation forward(Allocator a, int l, List<Tensor> layer, Tensor input) {
    Tensor x = l == 0 ? input.cast(layer.get(0).dtype()) : input.contiguous();
    try {
      Tensor y = affine(a, x, layer);
      try {
        if (l < layers() - 1) {
          Relu.forward(y, y, null);
        }
        return new Activation(x, y);
      } catch (RuntimeException e) {
        y.close();
        throw e;
      }
    } catch (RuntimeException e) {
      x.close();
      throw e;
    }
  }

  /** The model's output for a batch, params = [W_1, b_1, ..., W_L, b_L]. */
  Tensor predict(Allocator a, List<Tensor> params, Tensor input) {
    Activation act = forward(a, 0, params.subList(0, 2), input);
    for (int l = 1; l < layers(); l++) {
      try (Activation previous = act) {
        act = forward(a, l, params.subList(2 * l, 2 * l + 2), previous.y());
      }
    }
    try (Activation last = act) {
      return last.y().contiguous();
    }
  }

  /** A layer's gradients [dW, db], and the gradient of its input (null for the first layer). */
  record LayerGrads(List<Tensor> grads, Tensor dInput) {}

  /**
   * Layer l backward from the gradient of its output, which becomes the gradient of its
   * pre-activation in place.
   *
   * @param layer the layer's [W, b]; only needed for the gradient of the input (l > 0)
   */
  LayerGrads backward(Allocator a, int l, List<Tensor> layer, Activation act, Tensor dOut) {
    if (l < layers() - 1) {
      Relu.backward(dOut, act.y(), dOut, null);
    }
    List<Tensor> made = new ArrayList<>();
    try {
      Tensor dW = Tensors.empty(a, dOut.dtype(), dOut.device(), widths[l + 1], widths[l]);
      made.add(dW);
      Gemm.matmul(dOut, act.x(), dW, true, false, 1, 0, null);
      made.add(columnSums(a, dOut));
      Tensor dInput = null;
      if (l > 0) {
        dInput = Tensors.empty(a, dOut.dtype(), dOut.device(), dOut.shape().dim(0), widths[l]);
        made.add(dInput);
        Gemm.matmul(dOut, layer.get(0), dInput, false, false, 1, 0, null);
      }
      return new LayerGrads(List.of(made.get(0), made.get(1)), dInput);
    } catch (RuntimeException e) {
      made.forEach(Tensor::close);
      throw e;
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
}
