/*
 * shard4j.h - the whole native ABI of libshard4j.
 *
 * Plain C: opaque handles, every function returns an int status (S4J_OK on success), and the
 * message of the last failure on the calling thread can be read with s4j_last_error().
 * Pointers to memory are passed as addresses; device numbers are CUDA ordinals, and
 * S4J_HOST (-1) stands for host memory. A NULL stream is the device's default stream (and the
 * only stream of the host, where work runs in order on the calling thread).
 *
 * Nothing here exits or aborts the process: bad arguments are reported as
 * S4J_ERR_INVALID_ARGUMENT before any memory is touched.
 */
#ifndef SHARD4J_H
#define SHARD4J_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define S4J_API __declspec(dllexport)
#else
#define S4J_API __attribute__((visibility("default")))
#endif

/* Status codes. */
#define S4J_OK 0
#define S4J_ERR_INVALID_ARGUMENT 1
#define S4J_ERR_OUT_OF_MEMORY 2
#define S4J_ERR_CUDA 3
#define S4J_ERR_NO_CUDA 4 /* built without CUDA, or no usable driver or device */
#define S4J_NOT_READY 5   /* a query found work still pending: not a failure */
#define S4J_ERR_INTERNAL 6

/* Changes whenever a function of this header changes; the Java binding checks it at load. */
#define S4J_ABI_VERSION 4

/* The host, where a device number is expected. */
#define S4J_HOST (-1)

/* Element types; the codes are those of ncclDataType_t. */
#define S4J_I8 0
#define S4J_U8 1
#define S4J_I32 2
#define S4J_I64 4
#define S4J_F16 6
#define S4J_F32 7
#define S4J_F64 8
#define S4J_BF16 9

/* Most dimensions a strided kernel takes after adjacent dimensions were merged. */
#define S4J_MAX_DIMS 8

typedef struct s4j_stream_s* s4j_stream_t;
typedef struct s4j_event_s* s4j_event_t;

/* ---- errors and build facts ---------------------------------------------------------------- */

/* S4J_ABI_VERSION of the library as built. Does nothing else: also the floor of a native call. */
S4J_API int s4j_abi_version(void);
/* The message of the last failed call on this thread ("" if none). Owned by the library. */
S4J_API const char* s4j_last_error(void);
/* Library version, compiler, and whether (and for which GPUs) CUDA code is built in. */
S4J_API const char* s4j_build_info(void);
/* Instruction-set extensions of this CPU that matter to the kernels, space separated. */
S4J_API const char* s4j_cpu_features(void);

/* ---- devices ------------------------------------------------------------------------------- */

/* Number of CUDA devices. Without CUDA support or a driver: S4J_ERR_NO_CUDA, and the reason. */
S4J_API int s4j_cuda_device_count(int* count);
/* CUDA driver and runtime versions (1000 * major + 10 * minor; driver 0 when none). */
S4J_API int s4j_cuda_versions(int* driver_version, int* runtime_version);
/* Name (NUL terminated, truncated to name_capacity), memory and compute capability of a device. */
S4J_API int s4j_cuda_device_properties(int device, char* name, int name_capacity,
                                       int64_t* total_memory, int* major, int* minor,
                                       int* multiprocessors);

/* ---- memory -------------------------------------------------------------------------------- */

/* Host memory aligned to `alignment` (a power of two >= 8); bytes may be 0. An alignment of 2 MiB
 * or more also asks the kernel to back the block's whole 2 MiB pages with transparent huge pages
 * (Linux, madvise; ignored where the kernel has none). */
S4J_API int s4j_host_alloc(size_t bytes, size_t alignment, void** out);
S4J_API int s4j_host_free(void* ptr);
/* Stream-ordered device memory from the device's memory pool. */
S4J_API int s4j_device_alloc(int device, size_t bytes, s4j_stream_t stream, void** out);
S4J_API int s4j_device_free(int device, void* ptr, s4j_stream_t stream);
/* Waits for the device, then returns the idle memory of its pool to the driver. */
S4J_API int s4j_device_empty_cache(int device);
/* Copy bytes between any two of host and devices, ordered on `stream` (of a device involved). */
S4J_API int s4j_memcpy(void* dst, int dst_device, const void* src, int src_device, size_t bytes,
                       s4j_stream_t stream);

/* ---- activations --------------------------------------------------------------------------- */

/* out = relu(in) over n contiguous elements of a float dtype (NaN kept, -0 -> +0); in place allowed. */
S4J_API int s4j_relu(int device, s4j_stream_t stream, int dtype, int64_t n, const void* in, void* out);
/* grad_in = grad_out where out > 0 (or NaN), else +0: relu's gradient from its output. grad_in may
 * be grad_out. */
S4J_API int s4j_relu_backward(int device, s4j_stream_t stream, int dtype, int64_t n, const void* grad_out,
                              const void* out, void* grad_in);

/* ---- elementwise arithmetic ---------------------------------------------------------------- */

/* Operations of s4j_elementwise. */
#define S4J_EW_ADD 0    /* out = a + alpha * b */
#define S4J_EW_MUL 1    /* out = a * b */
#define S4J_EW_AFFINE 2 /* out = alpha * a + beta (b unused, may be null) */

/*
 * out[i] = op(a[i], b[i]) over n contiguous elements of one float dtype, in fp32 (fp64 for F64)
 * with one rounding to the dtype; out may be a or b exactly (in place), never partly.
 */
S4J_API int s4j_elementwise(int device, s4j_stream_t stream, int op, int dtype, int64_t n, const void* a,
                            const void* b, void* out, double alpha, double beta);

/* ---- GPT-2 activations and biases ----------------------------------------------------------- */

/* The model kernels below take F32 or BF16 tensors and compute in fp32; BF16 results are rounded
 * to nearest even from the fp32 value. Matrices are row-major [rows, cols], contiguous. */

/* out = gelu(in), the tanh approximation of GPT-2, over n elements; out may be in. */
S4J_API int s4j_gelu(int device, s4j_stream_t stream, int dtype, int64_t n, const void* in, void* out);
/* grad_in = grad_out * gelu'(in); grad_in may be grad_out or in. */
S4J_API int s4j_gelu_backward(int device, s4j_stream_t stream, int dtype, int64_t n, const void* grad_out,
                              const void* in, void* grad_in);
/* out[r][c] = in[r][c] + bias[c]; out may be in. */
S4J_API int s4j_bias_add(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* in,
                         const void* bias, void* out);
/* grad_bias[c] = (accumulate ? grad_bias[c] : 0) + sum over r of grad_out[r][c], the sum in fp32 in row
 * order (deterministic, the same bits on the host and the GPU); grad_bias_dtype is F32 or dtype. */
S4J_API int s4j_bias_grad(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols,
                          const void* grad_out, void* grad_bias, int grad_bias_dtype, int accumulate);

/* ---- LayerNorm --------------------------------------------------------------------------------- */

/* out = (in - mean) * rstd * weight + bias over each row of [rows, cols] (cols > 0), as
 * torch.nn.LayerNorm over the last dimension (biased variance, rstd = 1 / sqrt(var + eps)); the row
 * statistics are fp32 and saved to mean and rstd ([rows] each; either may be null). weight and bias
 * are [cols] of dtype; out may be in. */
S4J_API int s4j_layernorm(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* in,
                          const void* weight, const void* bias, double eps, void* out, float* mean, float* rstd);
/* The gradients of LayerNorm from its input and saved statistics: grad_in ([rows, cols], dtype; may
 * be grad_out), and grad_weight, grad_bias ([cols] of param_grad_dtype, F32 or dtype; overwritten,
 * or added to when accumulate is nonzero), whose column sums run in row order (deterministic). */
S4J_API int s4j_layernorm_backward(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols,
                                   const void* grad_out, const void* in, const void* weight, const float* mean,
                                   const float* rstd, void* grad_in, void* grad_weight, void* grad_bias,
                                   int param_grad_dtype, int accumulate);

/* ---- softmax + cross-entropy --------------------------------------------------------------------- */

/* losses[r] = logsumexp(logits[r]) - logits[r][targets[r]] over [rows, vocab] logits (vocab > 0) and
 * [rows] targets of target_dtype (I32 or I64), in fp32; when mean is not null, *mean = the mean of
 * the losses, summed in row order. Nothing but losses (and mean) is written. Host targets outside
 * [0, vocab) are refused before any work; on a GPU, where they cannot be read first, such a row's
 * loss is NaN. */
S4J_API int s4j_cross_entropy(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t vocab,
                              const void* logits, const void* targets, int target_dtype, float* losses, float* mean);
/* grad_logits[r][v] = (softmax(logits[r])[v] - (v == targets[r])) * g[r], g[r] = grad_losses[r] * scale,
 * or scale alone when grad_losses is null (scale = 1 / rows for the mean loss). grad_logits may be
 * logits itself, so that no more than the logits is ever stored. Targets as above (NaN rows on a GPU). */
S4J_API int s4j_cross_entropy_backward(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t vocab,
                                       const void* logits, const void* targets, int target_dtype,
                                       const float* grad_losses, double scale, void* grad_logits);

/* ---- token + position embedding ------------------------------------------------------------------ */

/* out[b][t][c] = wte[tokens[b][t]][c] + wpe[t][c] for tokens [batch, seq] of token_dtype (I32 or I64),
 * wte [vocab, channels] and wpe [positions, channels] (positions >= seq) of dtype, in fp32. Host
 * tokens outside [0, vocab) are refused before any work; on a GPU such a position's output row is NaN. */
S4J_API int s4j_embedding(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, int64_t channels,
                          int64_t vocab, int64_t positions, const void* tokens, int token_dtype, const void* wte,
                          const void* wpe, void* out);
/* The fp32 gradients of wte and wpe from grad_out [batch, seq, channels] of dtype: overwritten (rows
 * of tokens that do not occur, and positions past seq, become 0) or added to when accumulate is
 * nonzero. A token that repeats adds its gradients in position order: deterministic, the same bits
 * on the host and the GPU. Out-of-range tokens as above (skipped on a GPU). */
S4J_API int s4j_embedding_backward(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq,
                                   int64_t channels, int64_t vocab, int64_t positions, const void* tokens,
                                   int token_dtype, const void* grad_out, float* grad_wte, float* grad_wpe,
                                   int accumulate);

/* ---- causal attention softmax ------------------------------------------------------------------ */

/* probs[b][i][j] = softmax over j <= i of scale * scores[b][i][j], and exactly 0 for j > i, over
 * [batch, seq, seq] scores of dtype, in fp32: the fused scale + causal mask + softmax of
 * self-attention. probs may be scores. */
S4J_API int s4j_causal_softmax(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, double scale,
                               const void* scores, void* probs);
/* grad_scores = scale * probs * (grad_probs - rowsum(probs * grad_probs)), 0 where masked; grad_scores
 * may be grad_probs. */
S4J_API int s4j_causal_softmax_backward(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq,
                                        double scale, const void* probs, const void* grad_probs, void* grad_scores);

/* ---- streams and events -------------------------------------------------------------------- */

S4J_API int s4j_stream_create(int device, s4j_stream_t* out);
S4J_API int s4j_stream_destroy(int device, s4j_stream_t stream);
/* S4J_OK when all work on the stream is done, S4J_NOT_READY while some is pending. */
S4J_API int s4j_stream_query(int device, s4j_stream_t stream);
S4J_API int s4j_stream_wait_event(int device, s4j_stream_t stream, s4j_event_t event);
S4J_API int s4j_event_create(int device, int enable_timing, s4j_event_t* out);
S4J_API int s4j_event_destroy(int device, s4j_event_t event);
S4J_API int s4j_event_record(int device, s4j_event_t event, s4j_stream_t stream);
/* S4J_OK when the work before the record is done, S4J_NOT_READY otherwise. */
S4J_API int s4j_event_query(int device, s4j_event_t event);
S4J_API int s4j_event_elapsed_ms(int device, s4j_event_t start, s4j_event_t end, float* ms);

/* ---- element kernels ----------------------------------------------------------------------- */

/*
 * dst[i] = convert(src[i]) over an ndim-dimensional index space `sizes`, reading and writing
 * through element strides. Both tensors live on `device` (S4J_HOST or a CUDA ordinal).
 * Conversions: fp32 -> bf16/fp16 round to nearest even (NaN becomes the canonical quiet NaN
 * with the sign kept); float -> integer truncates toward zero and saturates (NaN -> 0);
 * integer -> integer wraps; wider floats narrow through fp32 as PyTorch does.
 */
S4J_API int s4j_copy_strided(int device, s4j_stream_t stream, int ndim, const int64_t* sizes,
                             void* dst, int dst_dtype, const int64_t* dst_strides,
                             const void* src, int src_dtype, const int64_t* src_strides);
/* dst[i] = value over a strided index space: integer dtypes take int_value, float dtypes take
 * float_value converted as above. */
S4J_API int s4j_fill(int device, s4j_stream_t stream, int ndim, const int64_t* sizes, void* dst,
                     int dtype, const int64_t* strides, double float_value, int64_t int_value);

/* ---- fused kernels of sharded training ----------------------------------------------------- */

/* Reduction operators; the codes are those of ncclRedOp_t. */
#define S4J_OP_SUM 0
#define S4J_OP_PROD 1
#define S4J_OP_MAX 2
#define S4J_OP_MIN 3

typedef struct s4j_plan_s* s4j_plan_t;

/*
 * A copy plan: n segments, segment i copying count[i] elements of src_dtype[i] from src[i] to
 * dst[i] as dst_dtype[i] (src[i] == 0 writes zeros: padding). Dtypes are F32, F64, F16 or BF16.
 * Built once per layout (pack, unpack and chunk-cat are such plans) and run many times; all
 * addresses are on `device`. The plan keeps its own copy of the segments.
 */
S4J_API int s4j_plan_create(int device, int n, const uint64_t* src, const uint64_t* dst,
                            const int64_t* count, const int32_t* src_dtype,
                            const int32_t* dst_dtype, s4j_plan_t* out);
S4J_API int s4j_plan_destroy(s4j_plan_t plan);
/* Runs every segment in one pass: dst = convert(src * scale), the product in fp32 (fp64 when
 * either side is F64); scale 1 is an exact conversion. */
S4J_API int s4j_plan_run(s4j_plan_t plan, double scale, s4j_stream_t stream);

/*
 * r[k] = postmul * op over i < n of (premul * srcs[i][k]), for k < count, combining the inputs in
 * the order given, and written to every one of the n_dst outputs in the same pass (a collective
 * broadcasts its result so). Float inputs accumulate in fp32 (fp64 for F64), integers in int64
 * (wrapping to the dtype). src and dst dtypes may differ; an output may be one of the sources
 * exactly, never partly. On CUDA n <= 32 and n_dst <= 32.
 */
S4J_API int s4j_reduce(int device, s4j_stream_t stream, int n, const uint64_t* srcs, int src_dtype,
                       int n_dst, const uint64_t* dsts, int dst_dtype, int64_t count, int op,
                       double premul, double postmul);

/* dst[k] = dst[k] + scale * src[k] for float dtypes, in fp32 (fp64 when either side is F64). */
S4J_API int s4j_accumulate(int device, s4j_stream_t stream, void* dst, int dst_dtype,
                           const void* src, int src_dtype, int64_t count, double scale);

/*
 * One AdamW step (torch.optim.AdamW's rule) over count elements of an fp32 parameter shard with
 * fp32 moments; grad is F32 or BF16, multiplied by grad_scale first. When param_copy is not null,
 * the updated parameter is also written there as copy_dtype (BF16, F16 or F32) in the same pass.
 * step counts from 1.
 */
S4J_API int s4j_adamw(int device, s4j_stream_t stream, float* param, const void* grad,
                      int grad_dtype, float* exp_avg, float* exp_avg_sq, void* param_copy,
                      int copy_dtype, int64_t count, double lr, double beta1, double beta2,
                      double eps, double weight_decay, int64_t step, double grad_scale);

/* fp32 GEMM on the host, row-major, as cblas_sgemm computes it: OpenBLAS's, found in the
 * library at `library` (the OpenBLAS the caller loaded; set once, before the first product, which
 * also sets OpenBLAS to one thread), run in pieces of C's rows on the host kernels' threads. */
S4J_API int s4j_host_blas_init(const char* library);
S4J_API int s4j_host_sgemm(int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                           const float* b, int ldb, float beta, float* c, int ldc);
/* The same over a batch of products, matrix i at a + i * stride_a and so on (elements), shared
 * out over the threads. */
S4J_API int s4j_host_sgemm_batched(int trans_a, int trans_b, int m, int n, int k, float alpha, const float* a,
                                   int lda, int64_t stride_a, const float* b, int ldb, int64_t stride_b, float beta,
                                   float* c, int ldc, int64_t stride_c, int batch);

/* Threads the host kernels use, the caller included (defaults to the number of cores). */
S4J_API int s4j_cpu_set_threads(int threads);
S4J_API int s4j_cpu_threads(void);
/* Which build of the host loops runs: "base", "avx2", "avx512", or "auto" (the widest this CPU
 * supports, the default). For tests and benchmarks; every build computes the same bits. */
S4J_API int s4j_cpu_use_isa(const char* isa);
/* Host kernels called by this thread run on it alone while serial is nonzero (calls nest): for
 * callers that already run one thread per core, such as the ranks of in-process collectives. */
S4J_API int s4j_cpu_serial(int serial);
S4J_API const char* s4j_cpu_isa(void);

#ifdef __cplusplus
}
#endif

#endif /* SHARD4J_H */
