package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;

/**
 * Softmax and cross-entropy fused over the vocabulary, as torch.nn.functional.cross_entropy on
 * logits [..., V] with class-index targets: loss[r] = logsumexp(logits[r]) - logits[r][target[r]],
 * and its gradient with respect to the logits, softmax - onehot, which may overwrite the logits so
 * that nothing larger than them is ever stored. Logits are contiguous F32 or BF16, the arithmetic
 * fp32; targets are I32 or I64 class indices, one per row.
 *
 * <p>Targets on the CPU are checked before any work: one outside [0, V) is an
 * IllegalArgumentException naming its position. Targets on a GPU cannot be read before the
 * kernel runs: such a row's loss (and the mean) is NaN, and so is its gradient. Thread-safe; work
 * is ordered on the given stream (null: the device's default stream).
 */
public final class CrossEntropy {
  private CrossEntropy() {}

  /**
   * losses[r] = the cross-entropy of row r; mean, when given, their mean (reduction="mean"),
   * summed in row order.
   *
   * @param logits contiguous F32 or BF16 tensor [..., V], V &gt; 0
   * @param targets contiguous I32 or I64, one per row of logits (logits.numel() / V), same device
   * @param losses F32, one per row, same device
   * @param mean null, or F32 with one element on the same device
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void forward(Tensor logits, Tensor targets, Tensor losses, Tensor mean, Stream stream) {
    long[] rc = check(logits, targets);
    fp32(losses, "losses", logits, rc[0]);
    KernelArgs.apart(losses, "losses", logits, "logits");
    KernelArgs.apart(losses, "losses", targets, "targets");
    if (mean != null) {
      fp32(mean, "mean", logits, 1);
      if (rc[0] == 0) {
        throw new IllegalArgumentException("mean of no rows: logits " + logits.shape());
      }
      KernelArgs.apart(mean, "mean", logits, "logits");
      KernelArgs.apart(mean, "mean", targets, "targets");
      KernelArgs.apart(mean, "mean", losses, "losses");
    }
    checkTargets(targets, rc[1]);
    long profiled = KernelProfile.start();
    NativeApi.crossEntropy(logits.device().nativeOrdinal(), Checks.stream(stream, logits.device()),
        logits.dtype().nativeCode(), rc[0], rc[1], logits.dataAddress(), targets.dataAddress(),
        targets.dtype().nativeCode(), losses.dataAddress(), mean == null ? 0 : mean.dataAddress());
    KernelProfile.stop("cross_entropy.forward", profiled);
  }

  /**
   * gradLogits[r][v] = (softmax(logits[r])[v] - (v == targets[r])) * scale * gradLosses[r]
   * (gradLosses null: scale alone; scale = 1 / rows is the gradient of the mean loss).
   *
   * @param logits contiguous F32 or BF16 tensor [..., V], the forward's logits
   * @param targets the forward's targets
   * @param gradLosses null, or F32 with one element per row: the gradients of the per-row losses
   * @param scale factor of every row's gradient, rounded to fp32
   * @param gradLogits logits' dtype, shape and device; may be logits itself
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void backward(Tensor logits, Tensor targets, Tensor gradLosses, double scale, Tensor gradLogits,
      Stream stream) {
    long[] rc = check(logits, targets);
    if (gradLosses != null) {
      fp32(gradLosses, "gradLosses", logits, rc[0]);
    }
    KernelArgs.like(gradLogits, "gradLogits", logits, "logits");
    KernelArgs.sameOrApart(gradLogits, "gradLogits", logits, "logits");
    KernelArgs.apart(gradLogits, "gradLogits", targets, "targets");
    if (gradLosses != null) {
      KernelArgs.apart(gradLogits, "gradLogits", gradLosses, "gradLosses");
    }
    checkTargets(targets, rc[1]);
    long profiled = KernelProfile.start();
    NativeApi.crossEntropyBackward(logits.device().nativeOrdinal(), Checks.stream(stream, logits.device()),
        logits.dtype().nativeCode(), rc[0], rc[1], logits.dataAddress(), targets.dataAddress(),
        targets.dtype().nativeCode(), gradLosses == null ? 0 : gradLosses.dataAddress(), scale,
        gradLogits.dataAddress());
    KernelProfile.stop("cross_entropy.backward", profiled);
  }

  private static long[] check(Tensor logits, Tensor targets) {
    KernelArgs.input(logits, "logits", KernelArgs.ACTIVATIONS);
    long[] rc = KernelArgs.rowsAndLast(logits, "logits");
    if (rc[1] == 0) {
      throw new IllegalArgumentException("logits has an empty vocabulary: " + logits.shape());
    }
    KernelArgs.input(targets, "targets", KernelArgs.INDICES);
    Checks.sameDevice(targets, logits.device(), "targets");
    Checks.numel(targets, rc[0], "targets");
    return rc;
  }

  private static void fp32(Tensor t, String name, Tensor like, long numel) {
    Checks.contiguous(t, name);
    if (t.dtype() != DType.F32) {
      throw new IllegalArgumentException(name + " has dtype " + t.dtype() + ", expected F32");
    }
    Checks.sameDevice(t, like.device(), name);
    Checks.numel(t, numel, name);
  }

  /** Host targets are read here, so that a bad one names its position before any work. */
  private static void checkTargets(Tensor targets, long vocab) {
    if (targets.device().isCuda()) {
      return;
    }
    long[] t = targets.toLongArray();
    for (int i = 0; i < t.length; i++) {
      if (t[i] < 0 || t[i] >= vocab) {
        throw new IllegalArgumentException("targets[" + i + "] = " + t[i] + " is not in [0, " + vocab + ")");
      }
    }
  }
}
