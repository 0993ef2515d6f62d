package dev.shard4j.bindings;

import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Platform;

/**
 * The raw JavaCPP binding of {@code native/include/shard4j.h}, one method per C function.
 *
 * <p>Nothing here checks arguments or turns statuses into exceptions, and nothing loads the
 * library: use {@link NativeApi}, which does all three. Addresses are passed as {@code long}.
 * Every method may be called from any thread; stream arguments follow the CUDA rules.
 */
@Platform(include = "shard4j.h", link = "shard4j")
public final class Shard4jNative {
  private Shard4jNative() {}

  /** Status of a successful call. */
  public static final int S4J_OK = 0;
  /** A bad argument reached native code. */
  public static final int S4J_ERR_INVALID_ARGUMENT = 1;
  /** Host or device memory is exhausted. */
  public static final int S4J_ERR_OUT_OF_MEMORY = 2;
  /** A CUDA runtime call failed. */
  public static final int S4J_ERR_CUDA = 3;
  /** CUDA is not built in, or no usable driver or device exists. */
  public static final int S4J_ERR_NO_CUDA = 4;
  /** A query found work still pending (not a failure). */
  public static final int S4J_NOT_READY = 5;
  /** An internal failure of the library. */
  public static final int S4J_ERR_INTERNAL = 6;
  /** The ABI this binding was written for; the library's must match. */
  public static final int S4J_ABI_VERSION = 4;
  /** The device number that stands for host memory. */
  public static final int S4J_HOST = -1;

  /**
   * The message of the last failure on the calling thread.
   *
   * @return the message, "" if none
   */
  public static native @Cast("const char*") String s4j_last_error();

  /**
   * Library version, compiler and CUDA targets.
   *
   * @return the description
   */
  public static native @Cast("const char*") String s4j_build_info();

  /**
   * The ABI version of the loaded library; a call that does nothing else.
   *
   * @return S4J_ABI_VERSION as the library was built
   */
  public static native int s4j_abi_version();

  /**
   * Instruction-set extensions of this CPU, space separated.
   *
   * @return the features
   */
  public static native @Cast("const char*") String s4j_cpu_features();

  /**
   * Number of CUDA devices.
   *
   * @param count receives the count in element 0
   * @return status
   */
  public static native int s4j_cuda_device_count(int[] count);

  /**
   * CUDA driver and runtime versions.
   *
   * @param driver receives the driver version (0 when none)
   * @param runtime receives the runtime version
   * @return status
   */
  public static native int s4j_cuda_versions(int[] driver, int[] runtime);

  /**
   * Properties of one CUDA device.
   *
   * @param device CUDA ordinal
   * @param name receives the NUL-terminated name
   * @param nameCapacity bytes available in name
   * @param totalMemory receives the memory size in bytes
   * @param major receives the compute capability major
   * @param minor receives the compute capability minor
   * @param multiprocessors receives the SM count
   * @return status
   */
  public static native int s4j_cuda_device_properties(int device, @Cast("char*") byte[] name,
      int nameCapacity, @Cast("int64_t*") long[] totalMemory, int[] major, int[] minor,
      int[] multiprocessors);

  /**
   * Aligned host memory.
   *
   * @param bytes size
   * @param alignment power of two
   * @param out receives the address
   * @return status
   */
  public static native int s4j_host_alloc(@Cast("size_t") long bytes, @Cast("size_t") long alignment,
      @Cast("void**") long[] out);

  /**
   * Frees host memory.
   *
   * @param address from s4j_host_alloc
   * @return status
   */
  public static native int s4j_host_free(@Cast("void*") long address);

  /**
   * Stream-ordered device memory.
   *
   * @param device CUDA ordinal
   * @param bytes size
   * @param stream stream handle (0: default stream)
   * @param out receives the address
   * @return status
   */
  public static native int s4j_device_alloc(int device, @Cast("size_t") long bytes,
      @Cast("s4j_stream_t") long stream, @Cast("void**") long[] out);

  /**
   * Stream-ordered free of device memory.
   *
   * @param device CUDA ordinal
   * @param address from s4j_device_alloc
   * @param stream stream handle
   * @return status
   */
  public static native int s4j_device_free(int device, @Cast("void*") long address,
      @Cast("s4j_stream_t") long stream);

  /**
   * Waits for the device, then returns its pool's idle memory to the driver.
   *
   * @param device CUDA ordinal
   * @return status
   */
  public static native int s4j_device_empty_cache(int device);

  /**
   * Copies bytes between host and devices.
   *
   * @param dst destination address
   * @param dstDevice destination device or S4J_HOST
   * @param src source address
   * @param srcDevice source device or S4J_HOST
   * @param bytes size
   * @param stream stream handle
   * @return status
   */
  public static native int s4j_memcpy(@Cast("void*") long dst, int dstDevice,
      @Cast("const void*") long src, int srcDevice, @Cast("size_t") long bytes,
      @Cast("s4j_stream_t") long stream);

  /**
   * Creates a stream.
   *
   * @param device device or S4J_HOST
   * @param out receives the handle
   * @return status
   */
  public static native int s4j_stream_create(int device, @Cast("s4j_stream_t*") long[] out);

  /**
   * Destroys a stream.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @return status
   */
  public static native int s4j_stream_destroy(int device, @Cast("s4j_stream_t") long stream);

  /**
   * Whether a stream's work is done.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @return S4J_OK, S4J_NOT_READY or a failure
   */
  public static native int s4j_stream_query(int device, @Cast("s4j_stream_t") long stream);

  /**
   * Makes a stream wait for an event.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param event handle
   * @return status
   */
  public static native int s4j_stream_wait_event(int device, @Cast("s4j_stream_t") long stream,
      @Cast("s4j_event_t") long event);

  /**
   * Creates an event.
   *
   * @param device device or S4J_HOST
   * @param enableTiming nonzero to allow elapsed-time queries
   * @param out receives the handle
   * @return status
   */
  public static native int s4j_event_create(int device, int enableTiming,
      @Cast("s4j_event_t*") long[] out);

  /**
   * Destroys an event.
   *
   * @param device device or S4J_HOST
   * @param event handle
   * @return status
   */
  public static native int s4j_event_destroy(int device, @Cast("s4j_event_t") long event);

  /**
   * Records an event on a stream.
   *
   * @param device device or S4J_HOST
   * @param event handle
   * @param stream handle
   * @return status
   */
  public static native int s4j_event_record(int device, @Cast("s4j_event_t") long event,
      @Cast("s4j_stream_t") long stream);

  /**
   * Whether the work before an event's record is done.
   *
   * @param device device or S4J_HOST
   * @param event handle
   * @return S4J_OK, S4J_NOT_READY or a failure
   */
  public static native int s4j_event_query(int device, @Cast("s4j_event_t") long event);

  /**
   * Milliseconds between two recorded timing events.
   *
   * @param device device or S4J_HOST
   * @param start handle
   * @param end handle
   * @param ms receives the time
   * @return status
   */
  public static native int s4j_event_elapsed_ms(int device, @Cast("s4j_event_t") long start,
      @Cast("s4j_event_t") long end, float[] ms);

  /**
   * Strided copy with dtype conversion.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param ndim number of dimensions
   * @param sizes dimension sizes
   * @param dst destination address of element 0
   * @param dstDtype destination dtype code
   * @param dstStrides destination element strides
   * @param src source address of element 0
   * @param srcDtype source dtype code
   * @param srcStrides source element strides
   * @return status
   */
  public static native int s4j_copy_strided(int device, @Cast("s4j_stream_t") long stream, int ndim,
      @Cast("const int64_t*") long[] sizes, @Cast("void*") long dst, int dstDtype,
      @Cast("const int64_t*") long[] dstStrides, @Cast("const void*") long src, int srcDtype,
      @Cast("const int64_t*") long[] srcStrides);

  /**
   * Strided fill.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param ndim number of dimensions
   * @param sizes dimension sizes
   * @param dst address of element 0
   * @param dtype dtype code
   * @param strides element strides
   * @param floatValue value for float dtypes
   * @param intValue value for integer dtypes
   * @return status
   */
  public static native int s4j_fill(int device, @Cast("s4j_stream_t") long stream, int ndim,
      @Cast("const int64_t*") long[] sizes, @Cast("void*") long dst, int dtype,
      @Cast("const int64_t*") long[] strides, double floatValue, @Cast("int64_t") long intValue);

  /**
   * out = relu(in) over contiguous elements; in place allowed.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype float dtype code
   * @param n elements
   * @param in address of the input
   * @param out address of the output
   * @return status
   */
  public static native int s4j_relu(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long n, @Cast("const void*") long in, @Cast("void*") long out);

  /**
   * gradIn = gradOut where out &gt; 0, else 0.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype float dtype code
   * @param n elements
   * @param gradOut address of the gradient of relu's output
   * @param out address of relu's output
   * @param gradIn address of the gradient of relu's input (may be gradOut)
   * @return status
   */
  public static native int s4j_relu_backward(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long n, @Cast("const void*") long gradOut, @Cast("const void*") long out,
      @Cast("void*") long gradIn);

  /** s4j_elementwise op: out = a + alpha * b. */
  public static final int S4J_EW_ADD = 0;
  /** s4j_elementwise op: out = a * b. */
  public static final int S4J_EW_MUL = 1;
  /** s4j_elementwise op: out = alpha * a + beta (b unused). */
  public static final int S4J_EW_AFFINE = 2;

  /**
   * out = op(a, b) over contiguous elements of one float dtype, in fp32 (fp64 for F64).
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param op S4J_EW_ADD, S4J_EW_MUL or S4J_EW_AFFINE
   * @param dtype float dtype code
   * @param n elements
   * @param a address of the first input
   * @param b address of the second input (0 for the affine op)
   * @param out address of the output (may be a or b)
   * @param alpha factor of the op
   * @param beta addend of the affine op
   * @return status
   */
  public static native int s4j_elementwise(int device, @Cast("s4j_stream_t") long stream, int op, int dtype,
      @Cast("int64_t") long n, @Cast("const void*") long a, @Cast("const void*") long b, @Cast("void*") long out,
      double alpha, double beta);

  /**
   * out = gelu(in), GPT-2's tanh approximation, over contiguous F32 or BF16 elements.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code
   * @param n elements
   * @param in address of the input
   * @param out address of the output (may be in)
   * @return status
   */
  public static native int s4j_gelu(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long n, @Cast("const void*") long in, @Cast("void*") long out);

  /**
   * gradIn = gradOut * gelu'(in).
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code
   * @param n elements
   * @param gradOut address of the gradient of gelu's output
   * @param in address of gelu's input
   * @param gradIn address of the gradient of gelu's input (may be gradOut or in)
   * @return status
   */
  public static native int s4j_gelu_backward(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long n, @Cast("const void*") long gradOut, @Cast("const void*") long in,
      @Cast("void*") long gradIn);

  /**
   * out[r][c] = in[r][c] + bias[c].
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code
   * @param rows rows
   * @param cols columns, the length of bias
   * @param in address of the input
   * @param bias address of the bias
   * @param out address of the output (may be in)
   * @return status
   */
  public static native int s4j_bias_add(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long rows, @Cast("int64_t") long cols, @Cast("const void*") long in,
      @Cast("const void*") long bias, @Cast("void*") long out);

  /**
   * gradBias[c] = (accumulate ? gradBias[c] : 0) + sum over rows of gradOut[r][c], in fp32 in row order.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code of gradOut
   * @param rows rows
   * @param cols columns
   * @param gradOut address of the output gradient
   * @param gradBias address of the bias gradient
   * @param gradBiasDtype F32 or dtype
   * @param accumulate nonzero to add to gradBias
   * @return status
   */
  public static native int s4j_bias_grad(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long rows, @Cast("int64_t") long cols, @Cast("const void*") long gradOut,
      @Cast("void*") long gradBias, int gradBiasDtype, int accumulate);

  /**
   * LayerNorm over the last dimension of a row-major [rows, cols] matrix.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code
   * @param rows rows
   * @param cols columns (&gt; 0)
   * @param in address of the input
   * @param weight address of the [cols] weight
   * @param bias address of the [cols] bias
   * @param eps added to the variance
   * @param out address of the output (may be in)
   * @param mean address of the [rows] fp32 means (0: not saved)
   * @param rstd address of the [rows] fp32 reciprocal standard deviations (0: not saved)
   * @return status
   */
  public static native int s4j_layernorm(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long rows, @Cast("int64_t") long cols, @Cast("const void*") long in,
      @Cast("const void*") long weight, @Cast("const void*") long bias, double eps, @Cast("void*") long out,
      @Cast("float*") long mean, @Cast("float*") long rstd);

  /**
   * The gradients of LayerNorm.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code
   * @param rows rows
   * @param cols columns (&gt; 0)
   * @param gradOut address of the output gradient
   * @param in address of the forward's input
   * @param weight address of the weight
   * @param mean address of the saved means
   * @param rstd address of the saved reciprocal standard deviations
   * @param gradIn address of the input gradient (may be gradOut)
   * @param gradWeight address of the weight gradient
   * @param gradBias address of the bias gradient
   * @param paramGradDtype F32 or dtype
   * @param accumulate nonzero to add to the parameter gradients
   * @return status
   */
  public static native int s4j_layernorm_backward(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long rows, @Cast("int64_t") long cols, @Cast("const void*") long gradOut,
      @Cast("const void*") long in, @Cast("const void*") long weight, @Cast("const float*") long mean,
      @Cast("const float*") long rstd, @Cast("void*") long gradIn, @Cast("void*") long gradWeight,
      @Cast("void*") long gradBias, int paramGradDtype, int accumulate);

  /**
   * Per-row softmax cross-entropy losses over a vocabulary, and optionally their mean.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code of the logits
   * @param rows rows
   * @param vocab columns (&gt; 0)
   * @param logits address of the [rows, vocab] logits
   * @param targets address of the [rows] targets
   * @param targetDtype I32 or I64 code
   * @param losses address of the [rows] fp32 losses
   * @param mean address of the fp32 mean loss (0: not computed)
   * @return status
   */
  public static native int s4j_cross_entropy(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long rows, @Cast("int64_t") long vocab, @Cast("const void*") long logits,
      @Cast("const void*") long targets, int targetDtype, @Cast("float*") long losses, @Cast("float*") long mean);

  /**
   * The gradient of the cross-entropy losses with respect to the logits.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code of the logits
   * @param rows rows
   * @param vocab columns (&gt; 0)
   * @param logits address of the logits
   * @param targets address of the targets
   * @param targetDtype I32 or I64 code
   * @param gradLosses address of the [rows] fp32 loss gradients (0: all one)
   * @param scale factor of every row's gradient
   * @param gradLogits address of the logits' gradient (may be logits)
   * @return status
   */
  public static native int s4j_cross_entropy_backward(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long rows, @Cast("int64_t") long vocab, @Cast("const void*") long logits,
      @Cast("const void*") long targets, int targetDtype, @Cast("const float*") long gradLosses, double scale,
      @Cast("void*") long gradLogits);

  /**
   * Token + position embedding: out[b][t] = wte[tokens[b][t]] + wpe[t].
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code
   * @param batch sequences
   * @param seq tokens per sequence
   * @param channels embedding width
   * @param vocab rows of wte
   * @param positions rows of wpe (&gt;= seq)
   * @param tokens address of the [batch, seq] token ids
   * @param tokenDtype I32 or I64 code
   * @param wte address of the token embedding
   * @param wpe address of the position embedding
   * @param out address of the [batch, seq, channels] output
   * @return status
   */
  public static native int s4j_embedding(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long batch, @Cast("int64_t") long seq, @Cast("int64_t") long channels,
      @Cast("int64_t") long vocab, @Cast("int64_t") long positions, @Cast("const void*") long tokens, int tokenDtype,
      @Cast("const void*") long wte, @Cast("const void*") long wpe, @Cast("void*") long out);

  /**
   * The fp32 gradients of the token and position embeddings.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code of gradOut
   * @param batch sequences
   * @param seq tokens per sequence
   * @param channels embedding width
   * @param vocab rows of gradWte
   * @param positions rows of gradWpe
   * @param tokens address of the token ids
   * @param tokenDtype I32 or I64 code
   * @param gradOut address of the output gradient
   * @param gradWte address of the fp32 token embedding gradient
   * @param gradWpe address of the fp32 position embedding gradient
   * @param accumulate nonzero to add to the gradients
   * @return status
   */
  public static native int s4j_embedding_backward(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long batch, @Cast("int64_t") long seq, @Cast("int64_t") long channels,
      @Cast("int64_t") long vocab, @Cast("int64_t") long positions, @Cast("const void*") long tokens, int tokenDtype,
      @Cast("const void*") long gradOut, @Cast("float*") long gradWte, @Cast("float*") long gradWpe, int accumulate);

  /**
   * The fused scale + causal mask + softmax of attention scores.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code
   * @param batch score matrices
   * @param seq rows and columns of each
   * @param scale factor of the scores
   * @param scores address of the [batch, seq, seq] scores
   * @param probs address of the probabilities (may be scores)
   * @return status
   */
  public static native int s4j_causal_softmax(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long batch, @Cast("int64_t") long seq, double scale, @Cast("const void*") long scores,
      @Cast("void*") long probs);

  /**
   * The gradient of the fused scale + causal mask + softmax.
   *
   * @param device device or S4J_HOST
   * @param stream handle
   * @param dtype F32 or BF16 code
   * @param batch score matrices
   * @param seq rows and columns of each
   * @param scale factor of the scores
   * @param probs address of the forward's probabilities
   * @param gradProbs address of their gradient
   * @param gradScores address of the scores' gradient (may be gradProbs)
   * @return status
   */
  public static native int s4j_causal_softmax_backward(int device, @Cast("s4j_stream_t") long stream, int dtype,
      @Cast("int64_t") long batch, @Cast("int64_t") long seq, double scale, @Cast("const void*") long probs,
      @Cast("const void*") long gradProbs, @Cast("void*") long gradScores);

  /**
   * Creates a copy plan.
   *
   * @param device device or S4J_HOST
   * @param n number of segments
   * @param src source addresses (0: zeros)
   * @param dst destination addresses
   * @param count elements per segment
   * @param srcDtype source dtype codes
   * @param dstDtype destination dtype codes
   * @param out receives the plan handle
   * @return status
   */
  public static native int s4j_plan_create(int device, int n, @Cast("const uint64_t*") long[] src,
      @Cast("const uint64_t*") long[] dst, @Cast("const int64_t*") long[] count,
      @Cast("const int32_t*") int[] srcDtype, @Cast("const int32_t*") int[] dstDtype,
      @Cast("s4j_plan_t*") long[] out);

  /**
   * Destroys a copy plan.
   *
   * @param plan handle
   * @return status
   */
  public static native int s4j_plan_destroy(@Cast("s4j_plan_t") long plan);

  /**
   * Runs a copy plan.
   *
   * @param plan handle
   * @param scale multiplier (1: exact conversion)
   * @param stream stream handle
   * @return status
   */
  public static native int s4j_plan_run(@Cast("s4j_plan_t") long plan, double scale,
      @Cast("s4j_stream_t") long stream);

  /**
   * Reduces n buffers into one, the addresses read from host memory at srcs and dsts (no copy
   * across JNI, which an array costs).
   *
   * @param device device or S4J_HOST
   * @param stream stream handle
   * @param n number of inputs
   * @param srcs where the n input addresses are
   * @param srcDtype input dtype code
   * @param nDst number of outputs
   * @param dsts where the nDst output addresses are
   * @param dstDtype output dtype code
   * @param count elements
   * @param op S4J_OP_ code
   * @param premul factor applied to each input
   * @param postmul factor applied to the result
   * @return status
   */
  public static native int s4j_reduce(int device, @Cast("s4j_stream_t") long stream, int n,
      @Cast("const uint64_t*") long srcs, int srcDtype, int nDst, @Cast("const uint64_t*") long dsts,
      int dstDtype, @Cast("int64_t") long count, int op, double premul, double postmul);

  /**
   * dst += scale * src.
   *
   * @param device device or S4J_HOST
   * @param stream stream handle
   * @param dst destination address
   * @param dstDtype destination dtype code
   * @param src source address
   * @param srcDtype source dtype code
   * @param count elements
   * @param scale factor
   * @return status
   */
  public static native int s4j_accumulate(int device, @Cast("s4j_stream_t") long stream,
      @Cast("void*") long dst, int dstDtype, @Cast("const void*") long src, int srcDtype,
      @Cast("int64_t") long count, double scale);

  /**
   * One AdamW step.
   *
   * @param device device or S4J_HOST
   * @param stream stream handle
   * @param param fp32 parameters
   * @param grad gradients
   * @param gradDtype F32 or BF16 code
   * @param expAvg fp32 first moments
   * @param expAvgSq fp32 second moments
   * @param paramCopy copy of the updated parameters, or 0
   * @param copyDtype dtype code of the copy
   * @param count elements
   * @param lr learning rate
   * @param beta1 first-moment decay
   * @param beta2 second-moment decay
   * @param eps denominator term
   * @param weightDecay decoupled weight decay
   * @param step step number from 1
   * @param gradScale factor applied to the gradient first
   * @return status
   */
  public static native int s4j_adamw(int device, @Cast("s4j_stream_t") long stream,
      @Cast("float*") long param, @Cast("const void*") long grad, int gradDtype,
      @Cast("float*") long expAvg, @Cast("float*") long expAvgSq, @Cast("void*") long paramCopy,
      int copyDtype, @Cast("int64_t") long count, double lr, double beta1, double beta2, double eps,
      double weightDecay, @Cast("int64_t") long step, double gradScale);

  /**
   * Finds cblas_sgemm in the OpenBLAS library at a path (already loaded) for the host GEMM.
   *
   * @param library the library's path
   * @return status
   */
  public static native int s4j_host_blas_init(@Cast("const char*") String library);

  /**
   * Row-major fp32 GEMM on the host, in pieces of C's rows on the host kernels' threads.
   *
   * @param transA op(A) = A^T
   * @param transB op(B) = B^T
   * @param m rows of C
   * @param n columns of C
   * @param k the inner dimension
   * @param alpha factor of the product
   * @param a A's address
   * @param lda A's row stride
   * @param b B's address
   * @param ldb B's row stride
   * @param beta factor of C's contents
   * @param c C's address
   * @param ldc C's row stride
   * @return status
   */
  public static native int s4j_host_sgemm(int transA, int transB, int m, int n, int k, float alpha,
      @Cast("const float*") long a, int lda, @Cast("const float*") long b, int ldb, float beta,
      @Cast("float*") long c, int ldc);

  /**
   * Row-major fp32 GEMM over a batch of products at fixed strides, shared out over the host
   * kernels' threads.
   *
   * @param transA op(A) = A^T
   * @param transB op(B) = B^T
   * @param m rows of each C
   * @param n columns of each C
   * @param k the inner dimension
   * @param alpha factor of the products
   * @param a the first A's address
   * @param lda A's row stride
   * @param strideA elements from one A to the next
   * @param b the first B's address
   * @param ldb B's row stride
   * @param strideB elements from one B to the next
   * @param beta factor of C's contents
   * @param c the first C's address
   * @param ldc C's row stride
   * @param strideC elements from one C to the next
   * @param batch the products
   * @return status
   */
  public static native int s4j_host_sgemm_batched(int transA, int transB, int m, int n, int k, float alpha,
      @Cast("const float*") long a, int lda, @Cast("int64_t") long strideA, @Cast("const float*") long b, int ldb,
      @Cast("int64_t") long strideB, float beta, @Cast("float*") long c, int ldc, @Cast("int64_t") long strideC,
      int batch);

  /**
   * Sets the host kernels' thread count.
   *
   * @param threads 1 or more
   * @return status
   */
  public static native int s4j_cpu_set_threads(int threads);

  /**
   * The host kernels' thread count.
   *
   * @return threads, the caller included
   */
  public static native int s4j_cpu_threads();

  /**
   * Selects the build of the host loops.
   *
   * @param isa "base", "avx2", "avx512" or "auto"
   * @return status
   */
  public static native int s4j_cpu_use_isa(@Cast("const char*") String isa);

  /**
   * The build of the host loops in use.
   *
   * @return "base", "avx2" or "avx512"
   */
  public static native @Cast("const char*") String s4j_cpu_isa();

  /**
   * Enters (nonzero) or leaves (0) a serial section of the calling thread.
   *
   * @param serial nonzero to enter, 0 to leave
   * @return status
   */
  public static native int s4j_cpu_serial(int serial);
}
