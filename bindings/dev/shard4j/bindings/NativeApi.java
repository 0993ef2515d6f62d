package dev.shard4j.bindings;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import org.bytedeco.javacpp.Pointer;

/**
 * The native library as Java calls: loads it on first use, checks every status and throws the
 * matching exception ({@link CudaException}, {@link OutOfMemoryException},
 * {@link CudaUnavailableException}, {@link IllegalArgumentException}).
 *
 * <p>Callers above pass validated arguments; native code checks them again, so a bad value is an
 * exception and never a crash. Addresses are raw {@code long}s owned by the caller. Device
 * {@link #HOST} means host memory; a stream handle of 0 is the device's default stream. All
 * methods may be called from any thread.
 */
public final class NativeApi {
  /** The device number of host memory. */
  public static final int HOST = Shard4jNative.S4J_HOST;
  /** Most dimensions a strided kernel accepts after merging adjacent ones. */
  public static final int MAX_DIMS = 8;

  private NativeApi() {}

  /**
   * Library version, compiler and CUDA targets.
   *
   * @return the description
   */
  public static String buildInfo() {
    NativeLibrary.ensureLoaded();
    return Shard4jNative.s4j_build_info();
  }

  /**
   * The CPU's instruction-set extensions that matter to the kernels.
   *
   * @return space-separated names
   */
  public static String cpuFeatures() {
    NativeLibrary.ensureLoaded();
    return Shard4jNative.s4j_cpu_features();
  }

  /**
   * Allocates aligned host memory; the caller frees it with {@link #hostFree}.
   *
   * @param bytes size, 0 or more
   * @param alignment power of two of at least 8
   * @return the address
   */
  public static long hostAlloc(long bytes, long alignment) {
    NativeLibrary.ensureLoaded();
    long[] out = new long[1];
    Status.check(Shard4jNative.s4j_host_alloc(bytes, alignment, out), "host allocation of " + bytes + " bytes");
    return out[0];
  }

  /**
   * Frees host memory from {@link #hostAlloc}.
   *
   * @param address the address
   */
  public static void hostFree(long address) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_host_free(address), "host free");
  }

  /**
   * Allocates device memory ordered on a stream; the caller frees it with {@link #deviceFree}.
   *
   * @param device CUDA ordinal
   * @param bytes size
   * @param stream stream handle
   * @return the device address
   */
  public static long deviceAlloc(int device, long bytes, long stream) {
    NativeLibrary.ensureLoaded();
    long[] out = new long[1];
    Status.check(Shard4jNative.s4j_device_alloc(device, bytes, stream, out),
        "allocation of " + bytes + " bytes on cuda:" + device);
    return out[0];
  }

  /**
   * Frees device memory, ordered on a stream.
   *
   * @param device CUDA ordinal
   * @param address from {@link #deviceAlloc}
   * @param stream stream handle
   */
  public static void deviceFree(int device, long address, long stream) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_device_free(device, address, stream), "free on cuda:" + device);
  }

  /**
   * Waits for a device, then returns the idle memory of its stream-ordered pool to the driver.
   *
   * @param device CUDA ordinal
   */
  public static void deviceEmptyCache(int device) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_device_empty_cache(device), "empty the memory pool of cuda:" + device);
  }

  /**
   * Copies bytes between any two of host and devices, ordered on a stream.
   *
   * @param dst destination address
   * @param dstDevice destination device or {@link #HOST}
   * @param src source address
   * @param srcDevice source device or {@link #HOST}
   * @param bytes size
   * @param stream stream handle of a device involved (0 for its default stream)
   */
  public static void memcpy(long dst, int dstDevice, long src, int srcDevice, long bytes, long stream) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_memcpy(dst, dstDevice, src, srcDevice, bytes, stream), "memcpy");
  }

  /**
   * Creates a stream; the caller destroys it.
   *
   * @param device CUDA ordinal
   * @return the handle
   */
  public static long streamCreate(int device) {
    NativeLibrary.ensureLoaded();
    long[] out = new long[1];
    Status.check(Shard4jNative.s4j_stream_create(device, out), "stream creation on cuda:" + device);
    return out[0];
  }

  /**
   * Destroys a stream once its work is done.
   *
   * @param device CUDA ordinal
   * @param stream handle
   */
  public static void streamDestroy(int device, long stream) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_stream_destroy(device, stream), "stream destruction");
  }

  /**
   * Whether all work on a stream is done.
   *
   * @param device CUDA ordinal
   * @param stream handle
   * @return true when done
   */
  public static boolean streamQuery(int device, long stream) {
    NativeLibrary.ensureLoaded();
    return Status.checkQuery(Shard4jNative.s4j_stream_query(device, stream), "stream query");
  }

  /**
   * Makes later work on a stream wait for an event.
   *
   * @param device CUDA ordinal
   * @param stream handle
   * @param event handle
   */
  public static void streamWaitEvent(int device, long stream, long event) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_stream_wait_event(device, stream, event), "stream wait");
  }

  /**
   * Creates an event; the caller destroys it.
   *
   * @param device CUDA ordinal
   * @param timing whether elapsed times can be read
   * @return the handle
   */
  public static long eventCreate(int device, boolean timing) {
    NativeLibrary.ensureLoaded();
    long[] out = new long[1];
    Status.check(Shard4jNative.s4j_event_create(device, timing ? 1 : 0, out), "event creation");
    return out[0];
  }

  /**
   * Destroys an event.
   *
   * @param device CUDA ordinal
   * @param event handle
   */
  public static void eventDestroy(int device, long event) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_event_destroy(device, event), "event destruction");
  }

  /**
   * Records an event at the current end of a stream.
   *
   * @param device CUDA ordinal
   * @param event handle
   * @param stream handle
   */
  public static void eventRecord(int device, long event, long stream) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_event_record(device, event, stream), "event record");
  }

  /**
   * Whether the work recorded before an event is done.
   *
   * @param device CUDA ordinal
   * @param event handle
   * @return true when done
   */
  public static boolean eventQuery(int device, long event) {
    NativeLibrary.ensureLoaded();
    return Status.checkQuery(Shard4jNative.s4j_event_query(device, event), "event query");
  }

  /**
   * Milliseconds between two completed timing events.
   *
   * @param device CUDA ordinal
   * @param start handle
   * @param end handle
   * @return the time
   */
  public static float eventElapsedMillis(int device, long start, long end) {
    NativeLibrary.ensureLoaded();
    float[] ms = new float[1];
    Status.check(Shard4jNative.s4j_event_elapsed_ms(device, start, end, ms), "event elapsed time");
    return ms[0];
  }

  /**
   * Strided copy with conversion on one device: dst[i] = convert(src[i]).
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param sizes the index space
   * @param dst address of the destination's element 0
   * @param dstDtype destination dtype code
   * @param dstStrides destination element strides
   * @param src address of the source's element 0
   * @param srcDtype source dtype code
   * @param srcStrides source element strides
   */
  public static void copyStrided(int device, long stream, long[] sizes, long dst, int dstDtype,
      long[] dstStrides, long src, int srcDtype, long[] srcStrides) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_copy_strided(device, stream, sizes.length, sizes, dst, dstDtype,
        dstStrides, src, srcDtype, srcStrides), "strided copy");
  }

  /**
   * Strided fill on one device.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param sizes the index space
   * @param dst address of element 0
   * @param dtype dtype code
   * @param strides element strides
   * @param floatValue the value for float dtypes
   * @param intValue the value for integer dtypes
   */
  public static void fill(int device, long stream, long[] sizes, long dst, int dtype, long[] strides,
      double floatValue, long intValue) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_fill(device, stream, sizes.length, sizes, dst, dtype, strides,
        floatValue, intValue), "fill");
  }

  /**
   * ReLU over contiguous elements.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype float dtype code
   * @param n elements
   * @param in input address
   * @param out output address (may be in)
   */
  public static void relu(int device, long stream, int dtype, long n, long in, long out) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_relu(device, stream, dtype, n, in, out), "relu");
  }

  /**
   * The gradient of ReLU from its output, over contiguous elements.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype float dtype code
   * @param n elements
   * @param gradOut gradient of the output
   * @param out the output
   * @param gradIn gradient of the input (may be gradOut)
   */
  public static void reluBackward(int device, long stream, int dtype, long n, long gradOut, long out, long gradIn) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_relu_backward(device, stream, dtype, n, gradOut, out, gradIn), "relu backward");
  }

  /**
   * Elementwise arithmetic over contiguous elements of one float dtype.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param op {@link Shard4jNative#S4J_EW_ADD}, {@link Shard4jNative#S4J_EW_MUL} or
   *     {@link Shard4jNative#S4J_EW_AFFINE}
   * @param dtype float dtype code
   * @param n elements
   * @param a first input address
   * @param b second input address (0 for the affine op)
   * @param out output address (may be a or b)
   * @param alpha factor
   * @param beta addend of the affine op
   */
  public static void elementwise(int device, long stream, int op, int dtype, long n, long a, long b, long out,
      double alpha, double beta) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_elementwise(device, stream, op, dtype, n, a, b, out, alpha, beta), "elementwise");
  }

  /**
   * GELU (tanh form) over contiguous F32 or BF16 elements.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code
   * @param n elements
   * @param in input address
   * @param out output address (may be in)
   */
  public static void gelu(int device, long stream, int dtype, long n, long in, long out) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_gelu(device, stream, dtype, n, in, out), "gelu");
  }

  /**
   * The gradient of GELU from its input.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code
   * @param n elements
   * @param gradOut gradient of the output
   * @param in the input of the forward
   * @param gradIn gradient of the input (may be gradOut or in)
   */
  public static void geluBackward(int device, long stream, int dtype, long n, long gradOut, long in, long gradIn) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_gelu_backward(device, stream, dtype, n, gradOut, in, gradIn), "gelu backward");
  }

  /**
   * Adds a bias to every row of a row-major matrix.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code
   * @param rows rows
   * @param cols columns
   * @param in input address
   * @param bias bias address
   * @param out output address (may be in)
   */
  public static void biasAdd(int device, long stream, int dtype, long rows, long cols, long in, long bias, long out) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_bias_add(device, stream, dtype, rows, cols, in, bias, out), "bias add");
  }

  /**
   * The bias gradient: column sums of the output gradient.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code of gradOut
   * @param rows rows
   * @param cols columns
   * @param gradOut output gradient address
   * @param gradBias bias gradient address
   * @param gradBiasDtype F32 or dtype
   * @param accumulate add to gradBias instead of overwriting it
   */
  public static void biasGrad(int device, long stream, int dtype, long rows, long cols, long gradOut, long gradBias,
      int gradBiasDtype, boolean accumulate) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_bias_grad(device, stream, dtype, rows, cols, gradOut, gradBias, gradBiasDtype,
        accumulate ? 1 : 0), "bias gradient");
  }

  /**
   * LayerNorm over the last dimension of a row-major matrix, saving the fp32 row statistics.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code
   * @param rows rows
   * @param cols columns
   * @param in input address
   * @param weight weight address
   * @param bias bias address
   * @param eps added to the variance
   * @param out output address (may be in)
   * @param mean fp32 means address (0: not saved)
   * @param rstd fp32 reciprocal standard deviations address (0: not saved)
   */
  public static void layerNorm(int device, long stream, int dtype, long rows, long cols, long in, long weight,
      long bias, double eps, long out, long mean, long rstd) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_layernorm(device, stream, dtype, rows, cols, in, weight, bias, eps, out, mean,
        rstd), "layer norm");
  }

  /**
   * The gradients of LayerNorm from its input and saved statistics.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code
   * @param rows rows
   * @param cols columns
   * @param gradOut output gradient address
   * @param in forward input address
   * @param weight weight address
   * @param mean saved means address
   * @param rstd saved reciprocal standard deviations address
   * @param gradIn input gradient address (may be gradOut)
   * @param gradWeight weight gradient address
   * @param gradBias bias gradient address
   * @param paramGradDtype F32 or dtype
   * @param accumulate add to the parameter gradients instead of overwriting them
   */
  public static void layerNormBackward(int device, long stream, int dtype, long rows, long cols, long gradOut,
      long in, long weight, long mean, long rstd, long gradIn, long gradWeight, long gradBias, int paramGradDtype,
      boolean accumulate) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_layernorm_backward(device, stream, dtype, rows, cols, gradOut, in, weight, mean,
        rstd, gradIn, gradWeight, gradBias, paramGradDtype, accumulate ? 1 : 0), "layer norm backward");
  }

  /**
   * Per-row softmax cross-entropy losses, and optionally their mean.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code of the logits
   * @param rows rows
   * @param vocab columns
   * @param logits logits address
   * @param targets targets address
   * @param targetDtype I32 or I64 code
   * @param losses fp32 losses address
   * @param mean fp32 mean address (0: not computed)
   */
  public static void crossEntropy(int device, long stream, int dtype, long rows, long vocab, long logits, long targets,
      int targetDtype, long losses, long mean) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_cross_entropy(device, stream, dtype, rows, vocab, logits, targets, targetDtype,
        losses, mean), "cross-entropy");
  }

  /**
   * The gradient of the cross-entropy losses with respect to the logits.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code of the logits
   * @param rows rows
   * @param vocab columns
   * @param logits logits address
   * @param targets targets address
   * @param targetDtype I32 or I64 code
   * @param gradLosses fp32 loss gradients address (0: all one)
   * @param scale factor of every row's gradient
   * @param gradLogits gradient address (may be logits)
   */
  public static void crossEntropyBackward(int device, long stream, int dtype, long rows, long vocab, long logits,
      long targets, int targetDtype, long gradLosses, double scale, long gradLogits) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_cross_entropy_backward(device, stream, dtype, rows, vocab, logits, targets,
        targetDtype, gradLosses, scale, gradLogits), "cross-entropy backward");
  }

  /**
   * Token + position embedding.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code
   * @param batch sequences
   * @param seq tokens per sequence
   * @param channels embedding width
   * @param vocab rows of wte
   * @param positions rows of wpe
   * @param tokens token ids address
   * @param tokenDtype I32 or I64 code
   * @param wte token embedding address
   * @param wpe position embedding address
   * @param out output address
   */
  public static void embedding(int device, long stream, int dtype, long batch, long seq, long channels, long vocab,
      long positions, long tokens, int tokenDtype, long wte, long wpe, long out) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_embedding(device, stream, dtype, batch, seq, channels, vocab, positions, tokens,
        tokenDtype, wte, wpe, out), "embedding");
  }

  /**
   * The fp32 gradients of the token and position embeddings.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code of gradOut
   * @param batch sequences
   * @param seq tokens per sequence
   * @param channels embedding width
   * @param vocab rows of gradWte
   * @param positions rows of gradWpe
   * @param tokens token ids address
   * @param tokenDtype I32 or I64 code
   * @param gradOut output gradient address
   * @param gradWte fp32 token embedding gradient address
   * @param gradWpe fp32 position embedding gradient address
   * @param accumulate add to the gradients instead of overwriting them
   */
  public static void embeddingBackward(int device, long stream, int dtype, long batch, long seq, long channels,
      long vocab, long positions, long tokens, int tokenDtype, long gradOut, long gradWte, long gradWpe,
      boolean accumulate) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_embedding_backward(device, stream, dtype, batch, seq, channels, vocab, positions,
        tokens, tokenDtype, gradOut, gradWte, gradWpe, accumulate ? 1 : 0), "embedding backward");
  }

  /**
   * The fused scale + causal mask + softmax of attention scores.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code
   * @param batch score matrices
   * @param seq rows and columns of each
   * @param scale factor of the scores
   * @param scores scores address
   * @param probs probabilities address (may be scores)
   */
  public static void causalSoftmax(int device, long stream, int dtype, long batch, long seq, double scale, long scores,
      long probs) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_causal_softmax(device, stream, dtype, batch, seq, scale, scores, probs),
        "causal softmax");
  }

  /**
   * The gradient of the fused scale + causal mask + softmax.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dtype F32 or BF16 code
   * @param batch score matrices
   * @param seq rows and columns of each
   * @param scale factor of the scores
   * @param probs the forward's probabilities address
   * @param gradProbs their gradient's address
   * @param gradScores the scores' gradient address (may be gradProbs)
   */
  public static void causalSoftmaxBackward(int device, long stream, int dtype, long batch, long seq, double scale,
      long probs, long gradProbs, long gradScores) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_causal_softmax_backward(device, stream, dtype, batch, seq, scale, probs, gradProbs,
        gradScores), "causal softmax backward");
  }

  /**
   * Number of CUDA devices.
   *
   * @return the count
   * @throws CudaUnavailableException when CUDA is not built in or has no usable driver
   */
  public static int cudaDeviceCount() {
    NativeLibrary.ensureLoaded();
    int[] count = new int[1];
    Status.check(Shard4jNative.s4j_cuda_device_count(count), "cudaGetDeviceCount");
    return count[0];
  }

  /**
   * CUDA driver and runtime versions as {driver, runtime}, each 1000 * major + 10 * minor.
   *
   * @return the two versions (driver 0 when no driver is installed)
   */
  public static int[] cudaVersions() {
    NativeLibrary.ensureLoaded();
    int[] driver = new int[1];
    int[] runtime = new int[1];
    Status.check(Shard4jNative.s4j_cuda_versions(driver, runtime), "CUDA versions");
    return new int[] {driver[0], runtime[0]};
  }

  /**
   * Properties of one CUDA device.
   *
   * @param device CUDA ordinal
   * @return the properties
   */
  public static CudaDeviceInfo cudaDeviceProperties(int device) {
    NativeLibrary.ensureLoaded();
    byte[] name = new byte[256];
    long[] memory = new long[1];
    int[] major = new int[1];
    int[] minor = new int[1];
    int[] sms = new int[1];
    Status.check(Shard4jNative.s4j_cuda_device_properties(device, name, name.length, memory, major,
        minor, sms), "properties of cuda:" + device);
    int length = 0;
    while (length < name.length && name[length] != 0) {
      length++;
    }
    return new CudaDeviceInfo(device, new String(name, 0, length, java.nio.charset.StandardCharsets.UTF_8),
        memory[0], major[0], minor[0], sms[0]);
  }

  /**
   * Creates a copy plan over raw addresses; the caller keeps the memory alive while the plan
   * exists and destroys it with {@link #planDestroy}.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param src source addresses (0 writes zeros)
   * @param dst destination addresses
   * @param count elements per segment
   * @param srcDtype source dtype codes
   * @param dstDtype destination dtype codes
   * @return the plan handle
   */
  public static long planCreate(int device, long[] src, long[] dst, long[] count, int[] srcDtype,
      int[] dstDtype) {
    NativeLibrary.ensureLoaded();
    long[] out = new long[1];
    Status.check(Shard4jNative.s4j_plan_create(device, src.length, src, dst, count, srcDtype,
        dstDtype, out), "copy plan creation");
    return out[0];
  }

  /**
   * Destroys a copy plan.
   *
   * @param plan the handle
   */
  public static void planDestroy(long plan) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_plan_destroy(plan), "copy plan destruction");
  }

  /**
   * Runs a copy plan: dst = convert(src * scale).
   *
   * @param plan the handle
   * @param scale the factor (1: exact conversion)
   * @param stream stream handle of the plan's device
   */
  public static void planRun(long plan, double scale, long stream) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_plan_run(plan, scale, stream), "copy plan");
  }

  /**
   * postmul * op over the inputs of (premul * input), elementwise, written to every output.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param srcs input addresses
   * @param srcDtype input dtype code
   * @param dsts output addresses; each may be one of the inputs exactly
   * @param dstDtype output dtype code
   * @param count elements
   * @param op operator code (0 sum, 1 prod, 2 max, 3 min)
   * @param premul factor applied to each input
   * @param postmul factor applied to the result
   */
  public static void reduce(int device, long stream, long[] srcs, int srcDtype, long[] dsts, int dstDtype,
      long count, int op, double premul, double postmul) {
    NativeLibrary.ensureLoaded();
    AddressLists lists = REDUCE_ADDRESSES.get().holding(srcs.length, dsts.length);
    Status.check(Shard4jNative.s4j_reduce(device, stream, srcs.length, lists.put(0, srcs), srcDtype, dsts.length,
        lists.put(1, dsts), dstDtype, count, op, premul, postmul), "reduce");
  }

  /**
   * Each thread's address lists for {@link #reduce}, in host memory that Java writes and native
   * code reads: a long[] would be copied across JNI into memory allocated and freed for the call.
   */
  private static final ThreadLocal<AddressLists> REDUCE_ADDRESSES = ThreadLocal.withInitial(() -> new AddressLists(8));

  /** Two lists of up to {@code room} addresses each in one direct buffer, and its address. */
  private static final class AddressLists {
    private final LongBuffer longs;
    private final long address;
    private final int room;

    AddressLists(int room) {
      this.room = room;
      this.longs = ByteBuffer.allocateDirect(2 * room * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
      this.address = new Pointer(longs).address();
    }

    /** This, or a larger one (kept for the thread) when a list would not fit. */
    AddressLists holding(int a, int b) {
      if (Math.max(a, b) <= room) {
        return this;
      }
      AddressLists larger = new AddressLists(Math.max(Math.max(a, b), 2 * room));
      REDUCE_ADDRESSES.set(larger);
      return larger;
    }

    /** Writes list 0 or 1 and returns where it starts. */
    long put(int list, long[] values) {
      int at = list * room;
      for (int i = 0; i < values.length; i++) {
        longs.put(at + i, values[i]);
      }
      return address + (long) at * Long.BYTES;
    }
  }

  /**
   * dst += scale * src, elementwise.
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param dst destination address
   * @param dstDtype destination dtype code
   * @param src source address
   * @param srcDtype source dtype code
   * @param count elements
   * @param scale the factor
   */
  public static void accumulate(int device, long stream, long dst, int dstDtype, long src, int srcDtype,
      long count, double scale) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_accumulate(device, stream, dst, dstDtype, src, srcDtype, count, scale),
        "accumulate");
  }

  /**
   * One AdamW step over raw addresses (see shard4j.h).
   *
   * @param device CUDA ordinal or {@link #HOST}
   * @param stream stream handle
   * @param param fp32 parameters
   * @param grad gradients
   * @param gradDtype gradient dtype code
   * @param expAvg fp32 first moments
   * @param expAvgSq fp32 second moments
   * @param paramCopy address of the copy, or 0
   * @param copyDtype dtype code of the copy
   * @param count elements
   * @param lr learning rate
   * @param beta1 first-moment decay
   * @param beta2 second-moment decay
   * @param eps denominator term
   * @param weightDecay decoupled weight decay
   * @param step step number from 1
   * @param gradScale factor applied to the gradient first
   */
  public static void adamw(int device, long stream, long param, long grad, int gradDtype, long expAvg,
      long expAvgSq, long paramCopy, int copyDtype, long count, double lr, double beta1, double beta2,
      double eps, double weightDecay, long step, double gradScale) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_adamw(device, stream, param, grad, gradDtype, expAvg, expAvgSq,
        paramCopy, copyDtype, count, lr, beta1, beta2, eps, weightDecay, step, gradScale), "adamw");
  }

  /**
   * Sets how many threads the host kernels use, the caller included.
   *
   * @param threads 1 or more
   */
  public static void setCpuThreads(int threads) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_cpu_set_threads(threads), "cpu threads");
  }

  /**
   * How many threads the host kernels use.
   *
   * @return the count, the caller included
   */
  public static int cpuThreads() {
    NativeLibrary.ensureLoaded();
    return Shard4jNative.s4j_cpu_threads();
  }

  /**
   * Selects which build of the host loops runs; every build computes the same bits.
   *
   * @param isa "base", "avx2", "avx512", or "auto" for the widest this CPU supports
   * @throws IllegalArgumentException when the library or the CPU lacks it
   */
  public static void useCpuIsa(String isa) {
    NativeLibrary.ensureLoaded();
    Status.check(Shard4jNative.s4j_cpu_use_isa(isa), "cpu isa");
  }

  /**
   * The build of the host loops in use.
   *
   * @return "base", "avx2" or "avx512"
   */
  public static String cpuIsa() {
    NativeLibrary.ensureLoaded();
    return Shard4jNative.s4j_cpu_isa();
  }

  /**
   * Makes the host kernels that the calling thread starts run on it alone (true) until the
   * matching call with false; sections nest. For callers that already use one thread per core.
   *
   * @param serial true to enter a serial section, false to leave it
   */
  public static void cpuSerial(boolean serial) {
    NativeLibrary.ensureLoaded();
    Shard4jNative.s4j_cpu_serial(serial ? 1 : 0);
  }
}
