package dev.shard4j.kernels;

import dev.shard4j.bindings.NativeApi;
import dev.shard4j.tensor.DType;
import dev.shard4j.tensor.Stream;
import dev.shard4j.tensor.Tensor;

/**
 * GPT-2's input embedding: out[b, t, :] = wte[tokens[b, t], :] + wpe[t, :], and the gradients of
 * both tables. Embeddings and the output are contiguous F32 or BF16 (one dtype), the arithmetic
 * fp32; tokens are I32 or I64 ids [B, T]; the gradients are F32.
 *
 * <p>The backward adds the gradients of a token that occurs several times in position order:
 * deterministic, and the same bits on the CPU and the GPU. Tokens on the CPU are checked before
 * any work: one outside [0, V) is an IllegalArgumentException naming its position. Tokens on a
 * GPU cannot be read first: such a position's output row is NaN and its gradient is dropped.
 * Thread-safe; work is ordered on the given stream (null: the device's default stream).
 */
public final class Embedding {
  private Embedding() {}

  /**
   * out[b, t] = wte[tokens[b, t]] + wpe[t].
   *
   * @param tokens contiguous I32 or I64 [B, T]
   * @param wte contiguous F32 or BF16 [V, C], on tokens' device
   * @param wpe [P, C] with P &gt;= T, wte's dtype and device
   * @param out [B, T, C], wte's dtype and device; must not overlap the others
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void forward(Tensor tokens, Tensor wte, Tensor wpe, Tensor out, Stream stream) {
    long[] btvc = check(tokens, wte, wpe, "wte", "wpe", false);
    KernelArgs.shaped(out, "out", wte.dtype(), wte, btvc[0], btvc[1], btvc[3]);
    KernelArgs.apart(out, "out", tokens, "tokens");
    KernelArgs.apart(out, "out", wte, "wte");
    KernelArgs.apart(out, "out", wpe, "wpe");
    checkTokens(tokens, btvc[2]);
    long profiled = KernelProfile.start();
    NativeApi.embedding(wte.device().nativeOrdinal(), Checks.stream(stream, wte.device()), wte.dtype().nativeCode(),
        btvc[0], btvc[1], btvc[3], btvc[2], wpe.shape().dim(0), tokens.dataAddress(), tokens.dtype().nativeCode(),
        wte.dataAddress(), wpe.dataAddress(), out.dataAddress());
    KernelProfile.stop("embedding.forward", profiled);
  }

  /**
   * gradWte[v] = sum of gradOut[b, t] over the positions holding token v, gradWpe[t] = sum over b
   * of gradOut[b, t]: overwritten (rows that get nothing become 0) or added to when accumulating.
   *
   * @param tokens the forward's tokens [B, T]
   * @param gradOut contiguous F32 or BF16 [B, T, C], on tokens' device
   * @param gradWte F32 [V, C]
   * @param gradWpe F32 [P, C] with P &gt;= T; must not overlap gradWte
   * @param accumulate add to the gradients instead of overwriting them
   * @param stream a stream of the tensors' device, or null for its default stream
   */
  public static void backward(Tensor tokens, Tensor gradOut, Tensor gradWte, Tensor gradWpe, boolean accumulate,
      Stream stream) {
    long[] btvc = check(tokens, gradWte, gradWpe, "gradWte", "gradWpe", true);
    KernelArgs.input(gradOut, "gradOut", KernelArgs.ACTIVATIONS);
    KernelArgs.shaped(gradOut, "gradOut", gradOut.dtype(), gradWte, btvc[0], btvc[1], btvc[3]);
    Tensor[] written = {gradWte, gradWpe};
    String[] names = {"gradWte", "gradWpe"};
    for (int i = 0; i < 2; i++) {
      KernelArgs.apart(written[i], names[i], tokens, "tokens");
      KernelArgs.apart(written[i], names[i], gradOut, "gradOut");
    }
    KernelArgs.apart(gradWpe, "gradWpe", gradWte, "gradWte");
    checkTokens(tokens, btvc[2]);
    long profiled = KernelProfile.start();
    NativeApi.embeddingBackward(gradWte.device().nativeOrdinal(), Checks.stream(stream, gradWte.device()),
        gradOut.dtype().nativeCode(), btvc[0], btvc[1], btvc[3], btvc[2], gradWpe.shape().dim(0),
        tokens.dataAddress(), tokens.dtype().nativeCode(), gradOut.dataAddress(), gradWte.dataAddress(),
        gradWpe.dataAddress(), accumulate);
    KernelProfile.stop("embedding.backward", profiled);
  }

  /** {B, T, V, C}, after checking tokens and the two tables (F32 when they are gradients). */
  private static long[] check(Tensor tokens, Tensor wte, Tensor wpe, String wteName, String wpeName,
      boolean gradients) {
    KernelArgs.input(tokens, "tokens", KernelArgs.INDICES);
    if (tokens.rank() != 2) {
      throw new IllegalArgumentException("tokens must be [B, T], got " + tokens.shape());
    }
    Checks.contiguous(wte, wteName);
    if (gradients && wte.dtype() != DType.F32) {
      throw new IllegalArgumentException(wteName + " has dtype " + wte.dtype() + ", expected F32");
    }
    Checks.dtype(wte, wteName, KernelArgs.ACTIVATIONS);
    Checks.sameDevice(wte, tokens.device(), wteName);
    if (wte.rank() != 2 || wte.shape().dim(0) == 0) {
      throw new IllegalArgumentException(wteName + " must be [V, C] with V > 0, got " + wte.shape());
    }
    long b = tokens.shape().dim(0);
    long t = tokens.shape().dim(1);
    long c = wte.shape().dim(1);
    Checks.contiguous(wpe, wpeName);
    if (wpe.rank() != 2 || wpe.shape().dim(1) != c || wpe.shape().dim(0) < t) {
      throw new IllegalArgumentException(wpeName + " must be [P, " + c + "] with P >= " + t + ", got " + wpe.shape());
    }
    KernelArgs.sameDtype(wpe, wpeName, wte, wteName);
    Checks.sameDevice(wpe, tokens.device(), wpeName);
    return new long[] {b, t, wte.shape().dim(0), c};
  }

  /** Host tokens are read here, so that a bad one names its position before any work. */
  private static void checkTokens(Tensor tokens, long vocab) {
    if (tokens.device().isCuda()) {
      return;
    }
    long[] ids = tokens.toLongArray();
    long seq = tokens.shape().dim(1);
    for (int i = 0; i < ids.length; i++) {
      if (ids[i] < 0 || ids[i] >= vocab) {
        throw new IllegalArgumentException("tokens[" + i / seq + ", " + i % seq + "] = " + ids[i] + " is not in [0, "
            + vocab + ")");
      }
    }
  }
}
