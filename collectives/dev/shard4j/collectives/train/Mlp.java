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
 * loss. The matrix products run through {@link Gemm}; the elementwise steps (bias, relu, loss and
 * their gradients) run on host arrays, which keeps the demo small. Parameters are [W1, b1, W2, b2].
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
  List<Tensor> init(Allocator a, long seed) {
    return List.of(Tensors.normal(a, DType.F32, Device.CPU, seed, 0, 1 / Math.sqrt(in), hidden, in),
        Tensors.zeros(a, DType.F32, Device.CPU, hidden),
        Tensors.normal(a, DType.F32, Device.CPU, seed + 1, 0, 1 / Math.sqrt(hidden), out, hidden),
        Tensors.zeros(a, DType.F32, Device.CPU, out));
  }

  /** What the forward pass keeps for the backward pass. */
  private record Forward(Tensor x, Tensor h, float[] mask, float[] y) implements AutoCloseable {
    @Override
    public void close() {
      x.close();
      h.close();
    }
  }

  private Forward forward(Allocator a, List<Tensor> params, Tensor input) {
    int batch = (int) input.shape().dim(0);
    DType dtype = params.get(0).dtype();
    float[] b1 = params.get(1).toFloatArray();
    float[] b2 = params.get(3).toFloatArray();
    Tensor x = input.cast(dtype);
    float[] h;
    try (Tensor hPre = Tensors.empty(a, dtype, Device.CPU, batch, hidden)) {
      Gemm.matmul(x, params.get(0), hPre, false, true, 1, 0, null);
      h = hPre.toFloatArray();
    }
    float[] mask = new float[h.length];
    for (int i = 0; i < h.length; i++) {
      float v = h[i] + b1[i % hidden];
      mask[i] = v > 0 ? 1 : 0;
      h[i] = v > 0 ? v : 0;
    }
    Tensor hs = Tensors.fromArray(a, h, dtype, Device.CPU, batch, hidden);
    try (Tensor yPre = Tensors.empty(a, dtype, Device.CPU, batch, out)) {
      Gemm.matmul(hs, params.get(2), yPre, false, true, 1, 0, null);
      float[] y = yPre.toFloatArray();
      for (int i = 0; i < y.length; i++) {
        y[i] += b2[i % out];
      }
      return new Forward(x, hs, mask, y);
    }
  }

  /** The model's output for a batch. */
  float[] predict(Allocator a, List<Tensor> params, Tensor input) {
    try (Forward f = forward(a, params, input)) {
      return f.y();
    }
  }

  /** The loss of a batch, and the gradients of every parameter (in the parameters' dtype). */
  record Result(double loss, List<Tensor> grads) {}

  Result lossAndGradients(Allocator a, List<Tensor> params, Tensor input, float[] target) {
    int batch = (int) input.shape().dim(0);
    DType dtype = params.get(0).dtype();
    try (Forward f = forward(a, params, input)) {
      float[] y = f.y();
      double loss = 0;
      float[] dy = new float[y.length];
      float[] db2 = new float[out];
      for (int i = 0; i < y.length; i++) {
        float diff = y[i] - target[i];
        loss += (double) diff * diff;
        dy[i] = 2 * diff / y.length;
        db2[i % out] += dy[i];
      }
      try (Tensor dys = Tensors.fromArray(a, dy, dtype, Device.CPU, batch, out);
          Tensor dh = Tensors.empty(a, dtype, Device.CPU, batch, hidden)) {
        Tensor dW2 = Tensors.empty(a, dtype, Device.CPU, out, hidden);
        Gemm.matmul(dys, f.h(), dW2, true, false, 1, 0, null);
        Gemm.matmul(dys, params.get(2), dh, false, false, 1, 0, null);
        float[] dhv = dh.toFloatArray();
        float[] db1 = new float[hidden];
        for (int i = 0; i < dhv.length; i++) {
          dhv[i] *= f.mask()[i];
          db1[i % hidden] += dhv[i];
        }
        Tensor dW1 = Tensors.empty(a, dtype, Device.CPU, hidden, in);
        try (Tensor dhs = Tensors.fromArray(a, dhv, dtype, Device.CPU, batch, hidden)) {
          Gemm.matmul(dhs, f.x(), dW1, true, false, 1, 0, null);
        }
        return new Result(loss / y.length, List.of(dW1, Tensors.fromArray(a, db1, dtype, Device.CPU, hidden), dW2,
            Tensors.fromArray(a, db2, dtype, Device.CPU, out)));
      }
    }
  }
}
