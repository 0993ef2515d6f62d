// Fused kernel entry points: validate, then run on the host or hand to CUDA.
#include <math.h>

#include <new>

#include "../common/dispatch.h"
#include "../cpu/kernels_cpu.h"
#include "../cpu/thread_pool.h"
#include "cuda_backend.h"
#include "status.h"

namespace {

s4j::AdamWScalars adamw_scalars(double lr, double beta1, double beta2, double eps, double weight_decay,
                                int64_t step, double grad_scale) {
  s4j::AdamWScalars s;
  s.lr = (float)lr;
  s.beta1 = (float)beta1;
  s.beta2 = (float)beta2;
  s.one_minus_beta1 = (float)(1.0 - beta1);
  s.one_minus_beta2 = (float)(1.0 - beta2);
  s.eps = (float)eps;
  s.decay = (float)(1.0 - lr * weight_decay);
  s.step_size = (float)(lr / (1.0 - pow(beta1, (double)step)));
  s.inv_sqrt_bc2 = (float)(1.0 / sqrt(1.0 - pow(beta2, (double)step)));
  s.grad_scale = (float)grad_scale;
  return s;
}

}  // namespace

extern "C" {

int s4j_plan_create(int device, int n, const uint64_t* src, const uint64_t* dst, const int64_t* count,
                    const int32_t* src_dtype, const int32_t* dst_dtype, s4j_plan_t* out) {
  S4J_REQUIRE(out != nullptr, "s4j_plan_create: out is null");
  *out = nullptr;
  S4J_REQUIRE(device >= S4J_HOST, "s4j_plan_create: device %d", device);
  S4J_REQUIRE(n >= 0, "s4j_plan_create: n = %d is negative", n);
  S4J_REQUIRE(n == 0 || (src && dst && count && src_dtype && dst_dtype), "s4j_plan_create: null array");
  auto* plan = new (std::nothrow) s4j_plan_s();
  if (plan == nullptr) return s4j::fail(S4J_ERR_OUT_OF_MEMORY, "s4j_plan_create: no memory");
  plan->device = device;
  for (int i = 0; i < n; i++) {
    if (count[i] < 0 || dst[i] == 0 || !s4j::float_dtype(src_dtype[i]) || !s4j::float_dtype(dst_dtype[i])) {
      delete plan;
      return s4j::fail(S4J_ERR_INVALID_ARGUMENT,
                       "s4j_plan_create: segment %d: count %lld, dst %s, dtypes %d -> %d (need count >= 0, "
                       "a destination, float dtypes)", i, (long long)count[i], dst[i] ? "set" : "null",
                       src_dtype[i], dst_dtype[i]);
    }
    if (count[i] == 0) continue;
    int32_t index = (int32_t)plan->segments.size();
    plan->segments.push_back({src[i], dst[i], count[i], src_dtype[i], dst_dtype[i]});
    plan->elements += count[i];
    plan->bytes_written += count[i] * (int64_t)s4j::dtype_size(dst_dtype[i]);
    for (int64_t begin = 0; begin < count[i]; begin += s4j::kTileElements) {
      int64_t c = count[i] - begin < s4j::kTileElements ? count[i] - begin : s4j::kTileElements;
      plan->tiles.push_back({index, begin, c});
    }
  }
  if (device != S4J_HOST && !plan->tiles.empty()) {
    int status = s4j::cuda::plan_upload(*plan);
    if (status != S4J_OK) {
      delete plan;
      return status;
    }
  }
  *out = plan;
  return S4J_OK;
}

int s4j_plan_destroy(s4j_plan_t plan) {
  if (plan == nullptr) return S4J_OK;
  int status = plan->device != S4J_HOST ? s4j::cuda::plan_release(*plan) : S4J_OK;
  delete plan;
  return status;
}

int s4j_plan_run(s4j_plan_t plan, double scale, s4j_stream_t stream) {
  S4J_REQUIRE(plan != nullptr, "s4j_plan_run: plan is null");
  if (plan->tiles.empty()) return S4J_OK;
  if (plan->device != S4J_HOST) return s4j::cuda::plan_run(*plan, scale, stream);
  s4j::cpu::plan_run(*plan, scale);
  return S4J_OK;
}

int s4j_reduce(int device, s4j_stream_t stream, int n, const uint64_t* srcs, int src_dtype, int n_dst,
               const uint64_t* dsts, int dst_dtype, int64_t count, int op, double premul, double postmul) {
  S4J_REQUIRE(n >= 1, "s4j_reduce: n = %d, need at least one input", n);
  S4J_REQUIRE(srcs != nullptr, "s4j_reduce: srcs is null");
  S4J_REQUIRE(s4j::valid_dtype(src_dtype) && s4j::valid_dtype(dst_dtype),
              "s4j_reduce: dtypes %d -> %d", src_dtype, dst_dtype);
  S4J_REQUIRE(op >= S4J_OP_SUM && op <= S4J_OP_MIN, "s4j_reduce: op %d is not sum, prod, max or min", op);
  S4J_REQUIRE(count >= 0, "s4j_reduce: count %lld is negative", (long long)count);
  S4J_REQUIRE(device >= S4J_HOST, "s4j_reduce: device %d", device);
  if (count == 0) return S4J_OK;
  S4J_REQUIRE(n_dst >= 1 && dsts != nullptr, "s4j_reduce: n_dst = %d, need at least one output", n_dst);
  for (int i = 0; i < n; i++) S4J_REQUIRE(srcs[i] != 0, "s4j_reduce: srcs[%d] is null", i);
  for (int j = 0; j < n_dst; j++) S4J_REQUIRE(dsts[j] != 0, "s4j_reduce: dsts[%d] is null", j);
  if (device != S4J_HOST) {
    return s4j::cuda::reduce(device, stream, n, srcs, src_dtype, n_dst, dsts, dst_dtype, count, op, premul,
                             postmul);
  }
  s4j::cpu::reduce(n, srcs, src_dtype, n_dst, dsts, dst_dtype, count, op, premul, postmul);
  return S4J_OK;
}

int s4j_accumulate(int device, s4j_stream_t stream, void* dst, int dst_dtype, const void* src,
                   int src_dtype, int64_t count, double scale) {
  S4J_REQUIRE(s4j::float_dtype(dst_dtype) && s4j::float_dtype(src_dtype),
              "s4j_accumulate: dtypes %d += %d, need float dtypes", dst_dtype, src_dtype);
  S4J_REQUIRE(count >= 0, "s4j_accumulate: count %lld is negative", (long long)count);
  S4J_REQUIRE(device >= S4J_HOST, "s4j_accumulate: device %d", device);
  if (count == 0) return S4J_OK;
  S4J_REQUIRE(dst != nullptr && src != nullptr, "s4j_accumulate: null pointer");
  if (device != S4J_HOST) {
    return s4j::cuda::accumulate(device, stream, dst, dst_dtype, src, src_dtype, count, scale);
  }
  s4j::cpu::accumulate(dst, dst_dtype, src, src_dtype, count, scale);
  return S4J_OK;
}

int s4j_adamw(int device, s4j_stream_t stream, float* param, const void* grad, int grad_dtype,
              float* exp_avg, float* exp_avg_sq, void* param_copy, int copy_dtype, int64_t count,
              double lr, double beta1, double beta2, double eps, double weight_decay, int64_t step,
              double grad_scale) {
  S4J_REQUIRE(grad_dtype == S4J_F32 || grad_dtype == S4J_BF16, "s4j_adamw: grad dtype %d is not F32 or BF16",
              grad_dtype);
  S4J_REQUIRE(param_copy == nullptr || copy_dtype == S4J_BF16 || copy_dtype == S4J_F16 || copy_dtype == S4J_F32,
              "s4j_adamw: copy dtype %d is not BF16, F16 or F32", copy_dtype);
  S4J_REQUIRE(step >= 1, "s4j_adamw: step %lld, steps count from 1", (long long)step);
  S4J_REQUIRE(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1, "s4j_adamw: betas (%g, %g) not in [0, 1)",
              beta1, beta2);
  S4J_REQUIRE(count >= 0, "s4j_adamw: count %lld is negative", (long long)count);
  S4J_REQUIRE(device >= S4J_HOST, "s4j_adamw: device %d", device);
  if (count == 0) return S4J_OK;
  S4J_REQUIRE(param && grad && exp_avg && exp_avg_sq, "s4j_adamw: null pointer");
  auto scalars = adamw_scalars(lr, beta1, beta2, eps, weight_decay, step, grad_scale);
  if (device != S4J_HOST) {
    return s4j::cuda::adamw(device, stream, scalars, param, grad, grad_dtype, exp_avg, exp_avg_sq,
                            param_copy, copy_dtype, count);
  }
  s4j::cpu::adamw(scalars, param, grad, grad_dtype, exp_avg, exp_avg_sq, param_copy, copy_dtype, count);
  return S4J_OK;
}

int s4j_cpu_set_threads(int threads) {
  S4J_REQUIRE(threads >= 1, "s4j_cpu_set_threads: %d threads", threads);
  s4j::cpu::set_thread_count(threads);
  return S4J_OK;
}

int s4j_cpu_threads(void) { return s4j::cpu::thread_count(); }

int s4j_cpu_use_isa(const char* isa) {
  S4J_REQUIRE(s4j::cpu::use_isa(isa), "s4j_cpu_use_isa: '%s' is not built in or not supported by this CPU",
              isa == nullptr ? "(null)" : isa);
  return S4J_OK;
}

const char* s4j_cpu_isa(void) { return s4j::cpu::isa(); }

int s4j_cpu_serial(int serial) {
  if (serial) s4j::cpu::serial_begin();
  else s4j::cpu::serial_end();
  return S4J_OK;
}

}  // extern "C"
