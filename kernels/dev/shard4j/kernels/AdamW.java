package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;
import java.util.EnumSet;

/**
 * The fused, sharded AdamW step of torch.optim.AdamW (amsgrad and maximize off): one pass over an
 * fp32 master shard, its fp32 moments and its gradient (F32 or BF16), with decoupled weight decay,
 * bias correction and an optional gradient scale (a clipping factor), writing in the same pass the
 * low-precision copy of the updated shard that the next all-gather sends. Immutable hyperparameters;
 * thread-safe.
 *
 * @param lr learning rate, 0 or more
 * @param beta1 first-moment decay in [0, 1)
 * @param beta2 second-moment decay in [0, 1)
 * @param eps term added to the denominator, more than 0
 * @param weightDecay decoupled weight decay, 0 or more
 */
public record AdamW(double lr, double beta1, double beta2, double eps, double weightDecay) {
  /**
   * Checks the hyperparameters.
   *
   * @param lr learning rate, 0 or more
   * @param beta1 first-moment decay in [0, 1)
   * @param beta2 second-moment decay in [0, 1)
   * @param eps term added to the denominator, more than 0
   * @param weightDecay decoupled weight decay, 0 or more
   */
  public AdamW {
    if (!(lr >= 0) || !(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(eps > 0)
        || !(weightDecay >= 0) || !Double.isFinite(lr) || !Double.isFinite(eps) || !Double.isFinite(weightDecay)) {
      throw new IllegalArgumentException("AdamW needs lr >= 0, betas in [0, 1), eps > 0, weight decay >= 0; got lr="
          + lr + " betas=(" + beta1 + ", " + beta2 + ") eps=" + eps + " weightDecay=" + weightDecay);
    }
  }

  /**
   * PyTorch's defaults (lr 1e-3, betas 0.9 and 0.999, eps 1e-8, weight decay 1e-2).
   *
   * @return the optimizer
   */
  public static AdamW defaults() {
    return new AdamW(1e-3, 0.9, 0.999, 1e-8, 1e-2);
  }

  /**
   * One step over a shard, updating param, expAvg and expAvgSq in place.
   *
   * @param param the fp32 master shard
   * @param grad its gradient, F32 or BF16, as many elements
   * @param expAvg fp32 first moments
   * @param expAvgSq fp32 second moments
   * @param paramCopy receives the updated shard as BF16, F16 or F32, or null
   * @param step the step number, from 1
   * @param gradScale factor applied to the gradient first (1 for none)
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public void step(Tensor param, Tensor grad, Tensor expAvg, Tensor expAvgSq, Tensor paramCopy, long step,
      double gradScale, Stream stream) {
    Checks.contiguous(param, "param");
    Checks.dtype(param, "param", EnumSet.of(DType.F32));
    check(grad, "grad", EnumSet.of(DType.F32, DType.BF16), param);
    check(expAvg, "expAvg", EnumSet.of(DType.F32), param);
    check(expAvgSq, "expAvgSq", EnumSet.of(DType.F32), param);
    if (paramCopy != null) {
      check(paramCopy, "paramCopy", EnumSet.of(DType.BF16, DType.F16, DType.F32), param);
    }
    if (step < 1) {
      throw new IllegalArgumentException("step counts from 1, got " + step);
    }
    if (!Double.isFinite(gradScale)) {
      throw new IllegalArgumentException("gradScale must be finite, got " + gradScale);
    }
    Tensor[] all = paramCopy == null ? new Tensor[] {param, grad, expAvg, expAvgSq}
        : new Tensor[] {param, grad, expAvg, expAvgSq, paramCopy};
    for (int i = 0; i < all.length; i++) {
      for (int j = i + 1; j < all.length; j++) {
        if (Checks.overlap(Checks.span(all[i]), Checks.span(all[j]))) {
          throw new IllegalArgumentException("the tensors of an AdamW step must not overlap (arguments "
              + i + " and " + j + ")");
        }
      }
    }
    long profiled = KernelProfile.start();
    NativeApi.adamw(param.device().nativeOrdinal(), Checks.stream(stream, param.device()), param.dataAddress(),
        grad.dataAddress(), grad.dtype().nativeCode(), expAvg.dataAddress(), expAvgSq.dataAddress(),
        paramCopy == null ? 0 : paramCopy.dataAddress(),
        paramCopy == null ? DType.BF16.nativeCode() : paramCopy.dtype().nativeCode(), param.numel(), lr, beta1,
        beta2, eps, weightDecay, step, gradScale);
    KernelProfile.stop("adamw", profiled);
  }

  private static void check(Tensor t, String name, EnumSet<DType> dtypes, Tensor param) {
    Checks.contiguous(t, name);
    Checks.dtype(t, name, dtypes);
    Checks.sameDevice(t, param.device(), name);
    Checks.numel(t, param.numel(), name);
  }
}
