// What the ABI asks of CUDA. Implemented by native/cuda/ when nvcc built it, and by
// cuda_absent.cpp otherwise (every call then answers S4J_ERR_NO_CUDA with the reason).
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "../common/kernel_math.h"
#include "../common/layout.h"
#include "plan.h"
#include "shard4j.h"

namespace s4j::cuda {

// "" when built without CUDA, else the targets the library embeds.
const char* build_targets();

int device_count(int* count);
int versions(int* driver_version, int* runtime_version);
int device_properties(int device, char* name, int name_capacity, int64_t* total_memory, int* major,
                      int* minor, int* multiprocessors);

int alloc(int device, size_t bytes, s4j_stream_t stream, void** out);
int free(int device, void* ptr, s4j_stream_t stream);
int empty_cache(int device);
int memcpy(void* dst, int dst_device, const void* src, int src_device, size_t bytes,
           s4j_stream_t stream);

int stream_create(int device, s4j_stream_t* out);
int stream_destroy(int device, s4j_stream_t stream);
int stream_query(int device, s4j_stream_t stream);
int stream_wait_event(int device, s4j_stream_t stream, s4j_event_t event);
int event_create(int device, int enable_timing, s4j_event_t* out);
int event_destroy(int device, s4j_event_t event);
int event_record(int device, s4j_event_t event, s4j_stream_t stream);
int event_query(int device, s4j_event_t event);
int event_elapsed_ms(int device, s4j_event_t start, s4j_event_t end, float* ms);

int copy_strided(int device, s4j_stream_t stream, const StridedLayout& layout, void* dst,
                 int dst_dtype, const void* src, int src_dtype);
int relu(int device, s4j_stream_t stream, int dtype, int64_t n, const void* in, void* out);
int relu_backward(int device, s4j_stream_t stream, int dtype, int64_t n, const void* grad_out, const void* out,
                  void* grad_in);
int fill(int device, s4j_stream_t stream, const StridedLayout& layout, void* dst, int dtype,
         double float_value, int64_t int_value);
int elementwise(int device, s4j_stream_t stream, int op, int dtype, int64_t n, const void* a, const void* b,
                void* out, double alpha, double beta);
int gelu(int device, s4j_stream_t stream, int dtype, int64_t n, const void* in, void* out);
int gelu_backward(int device, s4j_stream_t stream, int dtype, int64_t n, const void* grad_out, const void* in,
                  void* grad_in);
int bias_add(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* in,
             const void* bias, void* out);
int bias_grad(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* grad_out,
              void* grad_bias, int grad_bias_dtype, int accumulate);
int layernorm(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* in,
              const void* weight, const void* bias, float eps, void* out, float* mean, float* rstd);
int layernorm_backward(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t cols, const void* grad_out,
                       const void* in, const void* weight, const float* mean, const float* rstd, void* grad_in,
                       void* grad_weight, void* grad_bias, int param_grad_dtype, int accumulate);
int cross_entropy(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t vocab, const void* logits,
                  const void* targets, int target_dtype, float* losses, float* mean);
int cross_entropy_backward(int device, s4j_stream_t stream, int dtype, int64_t rows, int64_t vocab, const void* logits,
                           const void* targets, int target_dtype, const float* grad_losses, float scale,
                           void* grad_logits);
int embedding(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, int64_t channels, int64_t vocab,
              const void* tokens, int token_dtype, const void* wte, const void* wpe, void* out);
int embedding_backward(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, int64_t channels,
                       int64_t vocab, int64_t positions, const void* tokens, int token_dtype, const void* grad_out,
                       float* grad_wte, float* grad_wpe, int accumulate);
int causal_softmax(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, float scale,
                   const void* scores, void* probs);
int causal_softmax_backward(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, float scale,
                            const void* probs, const void* grad_probs, void* grad_scores);

// Copies the plan's segments and tiles to the device (plan_release frees them).
int plan_upload(s4j_plan_s& plan);
int plan_release(s4j_plan_s& plan);
int plan_run(const s4j_plan_s& plan, double scale, s4j_stream_t stream);
int reduce(int device, s4j_stream_t stream, int n, const uint64_t* srcs, int src_dtype, int n_dst,
           const uint64_t* dsts, int dst_dtype, int64_t count, int op, double premul, double postmul);
int accumulate(int device, s4j_stream_t stream, void* dst, int dst_dtype, const void* src,
               int src_dtype, int64_t count, double scale);
int adamw(int device, s4j_stream_t stream, const AdamWScalars& s, float* param, const void* grad,
          int grad_dtype, float* exp_avg, float* exp_avg_sq, void* param_copy, int copy_dtype,
          int64_t count);

}  // namespace s4j::cuda
