package dev.shard4j.collectives.train;

import dev.shard4j.kernels.Gemm;
import dev.shard4j.tensor.Allocator;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Device;
import dev.shard4j.tensor.Tensor;
import dev.shard4j.tensor.Tensors;
import java.util.List;

/**
 * The demo model: a two-layer perceptron y = W2 relu(W1 x + b1) + b2 with a mean-squared-error
 * loss, layer by layer so that a trainer can shard each layer apart and overlap one layer's
 * communication with the other's compute. The matrix products run through {@link Gemm}; the
 * elementwise steps (bias, relu, loss and their gradients) run on host arrays, which keeps the
 * demo small (on a GPU they cost a copy each way per layer). Tensors live on the input's device.
 * Parameters are [W1, b1, W2, b2].
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

  /** What layer 1's forward pass keeps for the backward pass: its input, output and relu mask. */
  record Hidden(Tensor x, Tensor h, float[] mask) implements AutoCloseable {
    @Override
    public void close() {
      x.close();
      h.close();
    }
  }

  /** Layer 1 forward, h = relu(x W1^T + b1), with layer1 = [W1, b1]. */
  Hidden layer1(Allocator a, List<Tensor> layer1, Tensor input) {
    int batch = (int) input.shape().dim(0);
    DType dtype = layer1.get(0).dtype();
    float[] b1 = layer1.get(1).toFloatArray();
    Device device = input.device();
    Tensor x = input.cast(dtype);
    float[] h;
    try (Tensor hPre = Tensors.empty(a, dtype, device, batch, hidden)) {
      Gemm.matmul(x, layer1.get(0), hPre, false, true, 1, 0, null);
      h = hPre.toFloatArray();
    }
    float[] mask = new float[h.length];
    for (int i = 0; i < h.length; i++) {
      float v = h[i] + b1[i % hidden];
      mask[i] = v > 0 ? 1 : 0;
      h[i] = v > 0 ? v : 0;
    }
    return new Hidden(x, Tensors.fromArray(a, h, dtype, device, batch, hidden), mask);
  }

  /** Layer 2 forward, y = h W2^T + b2, with layer2 = [W2, b2]. */
  float[] layer2(Allocator a, List<Tensor> layer2, Hidden hidden1) {
    int batch = (int) hidden1.h().shape().dim(0);
    float[] b2 = layer2.get(1).toFloatArray();
    try (Tensor yPre = Tensors.empty(a, layer2.get(0).dtype(), hidden1.h().device(), batch, out)) {
      Gemm.matmul(hidden1.h(), layer2.get(0), yPre, false, true, 1, 0, null);
      float[] y = yPre.toFloatArray();
      for (int i = 0; i < y.length; i++) {
        y[i] += b2[i % out];
      }
      return y;
    }
  }

  /** The model's output for a batch, params = [W1, b1, W2, b2]. */
  float[] predict(Allocator a, List<Tensor> params, Tensor input) {
    try (Hidden h = layer1(a, params.subList(0, 2), input)) {
      return layer2(a, params.subList(2, 4), h);
    }
  }

  /** The mean-squared-error loss of outputs against targets, and its gradient dy. */
  record Loss(double value, float[] dy) {}

  static Loss loss(float[] y, float[] target) {
    double loss = 0;
    float[] dy = new float[y.length];
    for (int i = 0; i < y.length; i++) {
      float diff = y[i] - target[i];
      loss += (double) diff * diff;
      dy[i] = 2 * diff / y.length;
    }
    return new Loss(loss / y.length, dy);
  }

  /** Layer 2's gradients [dW2, db2] and the gradient dh of its input, owned by the caller. */
  record Layer2Grads(List<Tensor> grads, Tensor dh) implements AutoCloseable {
    @Override
    public void close() {
      grads.forEach(Tensor::close);
      dh.close();
    }
  }

  Layer2Grads layer2Backward(Allocator a, List<Tensor> layer2, Hidden hidden1, float[] dy) {
    int batch = (int) hidden1.h().shape().dim(0);
    DType dtype = layer2.get(0).dtype();
    Device device = hidden1.h().device();
    float[] db2 = new float[out];
    for (int i = 0; i < dy.length; i++) {
      db2[i % out] += dy[i];
    }
    try (Tensor dys = Tensors.fromArray(a, dy, dtype, device, batch, out)) {
      Tensor dW2 = Tensors.empty(a, dtype, device, out, hidden);
      Tensor dh = Tensors.empty(a, dtype, device, batch, hidden);
      Gemm.matmul(dys, hidden1.h(), dW2, true, false, 1, 0, null);
      Gemm.matmul(dys, layer2.get(0), dh, false, false, 1, 0, null);
      return new Layer2Grads(List.of(dW2, Tensors.fromArray(a, db2, dtype, device, out)), dh);
    }
  }

  /** Layer 1's gradients [dW1, db1] from the gradient of its output: no parameter needed. */
  List<Tensor> layer1Backward(Allocator a, Hidden hidden1, Tensor dh) {
    DType dtype = dh.dtype();
    Device device = dh.device();
    float[] dhv = dh.toFloatArray();
    float[] db1 = new float[hidden];
    for (int i = 0; i < dhv.length; i++) {
      dhv[i] *= hidden1.mask()[i];
      db1[i % hidden] += dhv[i];
    }
    Tensor dW1 = Tensors.empty(a, dtype, device, hidden, in);
    try (Tensor dhs = Tensors.fromArray(a, dhv, dtype, device, dh.shape().dim(0), hidden)) {
      Gemm.matmul(dhs, hidden1.x(), dW1, true, false, 1, 0, null);
    }
    return List.of(dW1, Tensors.fromArray(a, db1, dtype, device, hidden));
  }
}
