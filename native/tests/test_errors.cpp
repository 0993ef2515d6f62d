// Bad arguments: every entry point answers S4J_ERR_INVALID_ARGUMENT with a message naming itself,
// touches no memory (the sentinels stay), and never crashes. The last error is per thread.
#include <string>
#include <thread>

#include "reference.h"

using namespace s4jt;

namespace {

// Addresses that must never be dereferenced: a refused call that touched one would crash.
void* const kBad = reinterpret_cast<void*>(0x8);
const uint64_t kBadAddress = 0x8;

}  // namespace

TEST(errors_memory) {
  void* out = kBad;
  CHECK_INVALID("s4j_host_alloc: out is null", s4j_host_alloc(64, 64, nullptr));
  for (size_t alignment : {size_t{0}, size_t{3}, size_t{4}, size_t{24}, size_t{100}}) {
    CHECK_INVALID("alignment", s4j_host_alloc(64, alignment, &out));
  }
  CHECK_INVALID("s4j_device_alloc", s4j_device_alloc(S4J_HOST, 64, nullptr, &out));
  CHECK_INVALID("out is null", s4j_device_alloc(0, 64, nullptr, nullptr));
  CHECK_INVALID("s4j_device_free", s4j_device_free(-1, kBad, nullptr));
  CHECK_INVALID("s4j_device_empty_cache", s4j_device_empty_cache(-2));
  CHECK_INVALID("bad device", s4j_memcpy(kBad, -2, kBad, S4J_HOST, 8, nullptr));
  CHECK_INVALID("bad device", s4j_memcpy(kBad, S4J_HOST, kBad, -5, 8, nullptr));
  CHECK_INVALID("null pointer", s4j_memcpy(nullptr, S4J_HOST, kBad, S4J_HOST, 8, nullptr));
  CHECK_INVALID("null pointer", s4j_memcpy(kBad, S4J_HOST, nullptr, S4J_HOST, 8, nullptr));
}

TEST(errors_devices) {
  char name[8];
  int64_t memory;
  int a, b, c;
  CHECK_INVALID("not a CUDA device", s4j_cuda_device_properties(-1, name, 8, &memory, &a, &b, &c));
  CHECK_INVALID("no room for the name", s4j_cuda_device_properties(0, nullptr, 8, &memory, &a, &b, &c));
  CHECK_INVALID("no room for the name", s4j_cuda_device_properties(0, name, 0, &memory, &a, &b, &c));
  CHECK_INVALID("null output", s4j_cuda_device_properties(0, name, 8, nullptr, &a, &b, &c));
  CHECK_INVALID("null output", s4j_cuda_device_properties(0, name, 8, &memory, &a, &b, nullptr));
  CHECK_INVALID("count is null", s4j_cuda_device_count(nullptr));
  CHECK_INVALID("null output", s4j_cuda_versions(nullptr, &a));
  CHECK_INVALID("null output", s4j_cuda_versions(&a, nullptr));
  CHECK_INVALID("out is null", s4j_stream_create(S4J_HOST, nullptr));
  CHECK_INVALID("out is null", s4j_event_create(S4J_HOST, 0, nullptr));
  CHECK_INVALID("event is null", s4j_event_record(0, nullptr, nullptr));
  CHECK_INVALID("event is null", s4j_event_query(0, nullptr));
  CHECK_INVALID("ms is null", s4j_event_elapsed_ms(S4J_HOST, nullptr, nullptr, nullptr));
  float ms;
  CHECK_INVALID("null event", s4j_event_elapsed_ms(0, nullptr, nullptr, &ms));
}

TEST(errors_element_kernels) {
  const int64_t sizes[2] = {3, 4}, negative[2] = {3, -1}, strides[2] = {4, 1};
  CHECK_INVALID("s4j_copy_strided: ndim -1", s4j_copy_strided(S4J_HOST, nullptr, -1, sizes, kBad, S4J_F32, strides, kBad, S4J_F32, strides));
  CHECK_INVALID("ndim 9", s4j_copy_strided(S4J_HOST, nullptr, S4J_MAX_DIMS + 1, sizes, kBad, S4J_F32, strides, kBad, S4J_F32, strides));
  CHECK_INVALID("sizes is null", s4j_copy_strided(S4J_HOST, nullptr, 2, nullptr, kBad, S4J_F32, strides, kBad, S4J_F32, strides));
  CHECK_INVALID("sizes[1] = -1", s4j_copy_strided(S4J_HOST, nullptr, 2, negative, kBad, S4J_F32, strides, kBad, S4J_F32, strides));
  for (int bad : {-1, 3, 5, 10, 100}) {
    CHECK_INVALID("dst_dtype", s4j_copy_strided(S4J_HOST, nullptr, 2, sizes, kBad, bad, strides, kBad, S4J_F32, strides));
    CHECK_INVALID("src_dtype", s4j_copy_strided(S4J_HOST, nullptr, 2, sizes, kBad, S4J_F32, strides, kBad, bad, strides));
    CHECK_INVALID("s4j_fill: dtype", s4j_fill(S4J_HOST, nullptr, 2, sizes, kBad, bad, strides, 0, 0));
  }
  CHECK_INVALID("device -2", s4j_copy_strided(-2, nullptr, 2, sizes, kBad, S4J_F32, strides, kBad, S4J_F32, strides));
  CHECK_INVALID("null pointer", s4j_copy_strided(S4J_HOST, nullptr, 2, sizes, nullptr, S4J_F32, strides, kBad, S4J_F32, strides));
  CHECK_INVALID("null pointer", s4j_copy_strided(S4J_HOST, nullptr, 2, sizes, kBad, S4J_F32, strides, nullptr, S4J_F32, strides));
  CHECK_INVALID("strides are null", s4j_copy_strided(S4J_HOST, nullptr, 2, sizes, kBad, S4J_F32, nullptr, kBad, S4J_F32, strides));
  CHECK_INVALID("strides are null", s4j_copy_strided(S4J_HOST, nullptr, 2, sizes, kBad, S4J_F32, strides, kBad, S4J_F32, nullptr));
  CHECK_INVALID("s4j_fill: ndim", s4j_fill(S4J_HOST, nullptr, 9, sizes, kBad, S4J_F32, strides, 0, 0));
  CHECK_INVALID("sizes[1] = -1", s4j_fill(S4J_HOST, nullptr, 2, negative, kBad, S4J_F32, strides, 0, 0));
  CHECK_INVALID("dst is null", s4j_fill(S4J_HOST, nullptr, 2, sizes, nullptr, S4J_F32, strides, 0, 0));
  CHECK_INVALID("strides are null", s4j_fill(S4J_HOST, nullptr, 2, sizes, kBad, S4J_F32, nullptr, 0, 0));
  CHECK_INVALID("device -3", s4j_fill(-3, nullptr, 2, sizes, kBad, S4J_F32, strides, 0, 0));
  // An empty index space touches nothing: null pointers and strides are fine there.
  const int64_t empty[2] = {3, 0};
  CHECK_OK(s4j_copy_strided(S4J_HOST, nullptr, 2, empty, nullptr, S4J_F32, nullptr, nullptr, S4J_I8, nullptr));
  CHECK_OK(s4j_fill(S4J_HOST, nullptr, 2, empty, nullptr, S4J_F32, nullptr, 1, 1));
  for (int bad : {S4J_I8, S4J_U8, S4J_I32, S4J_I64, 3, -1}) {
    CHECK_INVALID("s4j_relu: dtype", s4j_relu(S4J_HOST, nullptr, bad, 4, kBad, kBad));
    CHECK_INVALID("s4j_relu_backward: dtype", s4j_relu_backward(S4J_HOST, nullptr, bad, 4, kBad, kBad, kBad));
  }
  CHECK_INVALID("negative", s4j_relu(S4J_HOST, nullptr, S4J_F32, -1, kBad, kBad));
  CHECK_INVALID("null pointer", s4j_relu(S4J_HOST, nullptr, S4J_F32, 4, nullptr, kBad));
  CHECK_INVALID("device -2", s4j_relu(-2, nullptr, S4J_F32, 4, kBad, kBad));
  CHECK_INVALID("negative", s4j_relu_backward(S4J_HOST, nullptr, S4J_BF16, -7, kBad, kBad, kBad));
  CHECK_INVALID("null pointer", s4j_relu_backward(S4J_HOST, nullptr, S4J_F16, 4, kBad, nullptr, kBad));
  CHECK_OK(s4j_relu(S4J_HOST, nullptr, S4J_F32, 0, nullptr, nullptr));
  CHECK_OK(s4j_relu_backward(S4J_HOST, nullptr, S4J_F32, 0, nullptr, nullptr, nullptr));
}

TEST(errors_plans) {
  uint64_t src[2] = {kBadAddress, kBadAddress}, dst[2] = {kBadAddress, kBadAddress}, zero[2] = {kBadAddress, 0};
  int64_t count[2] = {4, 4}, negative[2] = {4, -1};
  int32_t f32[2] = {S4J_F32, S4J_F32}, ints[2] = {S4J_F32, S4J_I32};
  s4j_plan_t plan = reinterpret_cast<s4j_plan_t>(0x1);
  CHECK_INVALID("out is null", s4j_plan_create(S4J_HOST, 2, src, dst, count, f32, f32, nullptr));
  CHECK_INVALID("n = -1", s4j_plan_create(S4J_HOST, -1, src, dst, count, f32, f32, &plan));
  CHECK(plan == nullptr);
  CHECK_INVALID("device -2", s4j_plan_create(-2, 2, src, dst, count, f32, f32, &plan));
  CHECK_INVALID("null array", s4j_plan_create(S4J_HOST, 2, nullptr, dst, count, f32, f32, &plan));
  CHECK_INVALID("null array", s4j_plan_create(S4J_HOST, 2, src, dst, count, f32, nullptr, &plan));
  CHECK_INVALID("segment 1: count -1", s4j_plan_create(S4J_HOST, 2, src, dst, negative, f32, f32, &plan));
  CHECK_INVALID("segment 1", s4j_plan_create(S4J_HOST, 2, src, zero, count, f32, f32, &plan));
  CHECK_INVALID("segment 1", s4j_plan_create(S4J_HOST, 2, src, dst, count, ints, f32, &plan));
  CHECK_INVALID("segment 1", s4j_plan_create(S4J_HOST, 2, src, dst, count, f32, ints, &plan));
  CHECK(plan == nullptr);
  CHECK_INVALID("plan is null", s4j_plan_run(nullptr, 1.0, nullptr));
  CHECK_OK(s4j_plan_destroy(nullptr));
  // No segments, or only empty ones: a plan that does nothing.
  CHECK_OK(s4j_plan_create(S4J_HOST, 0, nullptr, nullptr, nullptr, nullptr, nullptr, &plan));
  CHECK_OK(s4j_plan_run(plan, 2.0, nullptr));
  CHECK_OK(s4j_plan_destroy(plan));
  int64_t none[2] = {0, 0};
  CHECK_OK(s4j_plan_create(S4J_HOST, 2, src, dst, none, f32, f32, &plan));
  CHECK_OK(s4j_plan_run(plan, 1.0, nullptr));
  CHECK_OK(s4j_plan_destroy(plan));
}

TEST(errors_reduce_accumulate_adamw) {
  uint64_t srcs[2] = {kBadAddress, kBadAddress}, dsts[2] = {kBadAddress, kBadAddress}, holes[2] = {kBadAddress, 0};
  CHECK_INVALID("n = 0", s4j_reduce(S4J_HOST, nullptr, 0, srcs, S4J_F32, 1, dsts, S4J_F32, 4, S4J_OP_SUM, 1, 1));
  CHECK_INVALID("srcs is null", s4j_reduce(S4J_HOST, nullptr, 2, nullptr, S4J_F32, 1, dsts, S4J_F32, 4, S4J_OP_SUM, 1, 1));
  CHECK_INVALID("dtypes 3", s4j_reduce(S4J_HOST, nullptr, 2, srcs, 3, 1, dsts, S4J_F32, 4, S4J_OP_SUM, 1, 1));
  CHECK_INVALID("-> 11", s4j_reduce(S4J_HOST, nullptr, 2, srcs, S4J_F32, 1, dsts, 11, 4, S4J_OP_SUM, 1, 1));
  CHECK_INVALID("op 4", s4j_reduce(S4J_HOST, nullptr, 2, srcs, S4J_F32, 1, dsts, S4J_F32, 4, 4, 1, 1));
  CHECK_INVALID("op -1", s4j_reduce(S4J_HOST, nullptr, 2, srcs, S4J_F32, 1, dsts, S4J_F32, 4, -1, 1, 1));
  CHECK_INVALID("count -4", s4j_reduce(S4J_HOST, nullptr, 2, srcs, S4J_F32, 1, dsts, S4J_F32, -4, S4J_OP_SUM, 1, 1));
  CHECK_INVALID("device -2", s4j_reduce(-2, nullptr, 2, srcs, S4J_F32, 1, dsts, S4J_F32, 4, S4J_OP_SUM, 1, 1));
  CHECK_INVALID("n_dst = 0", s4j_reduce(S4J_HOST, nullptr, 2, srcs, S4J_F32, 0, dsts, S4J_F32, 4, S4J_OP_SUM, 1, 1));
  CHECK_INVALID("n_dst = 1", s4j_reduce(S4J_HOST, nullptr, 2, srcs, S4J_F32, 1, nullptr, S4J_F32, 4, S4J_OP_SUM, 1, 1));
  CHECK_INVALID("srcs[1] is null", s4j_reduce(S4J_HOST, nullptr, 2, holes, S4J_F32, 1, dsts, S4J_F32, 4, S4J_OP_MAX, 1, 1));
  CHECK_INVALID("dsts[1] is null", s4j_reduce(S4J_HOST, nullptr, 2, srcs, S4J_F32, 2, holes, S4J_F32, 4, S4J_OP_MIN, 1, 1));
  CHECK_OK(s4j_reduce(S4J_HOST, nullptr, 2, srcs, S4J_F32, 1, dsts, S4J_F32, 0, S4J_OP_SUM, 1, 1));

  CHECK_INVALID("need float dtypes", s4j_accumulate(S4J_HOST, nullptr, kBad, S4J_I32, kBad, S4J_F32, 4, 1));
  CHECK_INVALID("need float dtypes", s4j_accumulate(S4J_HOST, nullptr, kBad, S4J_F32, kBad, S4J_U8, 4, 1));
  CHECK_INVALID("count -1", s4j_accumulate(S4J_HOST, nullptr, kBad, S4J_F32, kBad, S4J_F32, -1, 1));
  CHECK_INVALID("null pointer", s4j_accumulate(S4J_HOST, nullptr, nullptr, S4J_F32, kBad, S4J_F32, 4, 1));
  CHECK_INVALID("device -2", s4j_accumulate(-2, nullptr, kBad, S4J_F32, kBad, S4J_F32, 4, 1));

  float* p = static_cast<float*>(kBad);
  CHECK_INVALID("grad dtype 6", s4j_adamw(S4J_HOST, nullptr, p, kBad, S4J_F16, p, p, nullptr, 0, 4, 1e-3, 0.9, 0.99, 1e-8, 0, 1, 1));
  CHECK_INVALID("copy dtype 0", s4j_adamw(S4J_HOST, nullptr, p, kBad, S4J_F32, p, p, kBad, S4J_I8, 4, 1e-3, 0.9, 0.99, 1e-8, 0, 1, 1));
  CHECK_INVALID("step 0", s4j_adamw(S4J_HOST, nullptr, p, kBad, S4J_F32, p, p, nullptr, 0, 4, 1e-3, 0.9, 0.99, 1e-8, 0, 0, 1));
  CHECK_INVALID("betas", s4j_adamw(S4J_HOST, nullptr, p, kBad, S4J_F32, p, p, nullptr, 0, 4, 1e-3, 1.0, 0.99, 1e-8, 0, 1, 1));
  CHECK_INVALID("betas", s4j_adamw(S4J_HOST, nullptr, p, kBad, S4J_F32, p, p, nullptr, 0, 4, 1e-3, 0.9, -0.1, 1e-8, 0, 1, 1));
  CHECK_INVALID("count -4", s4j_adamw(S4J_HOST, nullptr, p, kBad, S4J_F32, p, p, nullptr, 0, -4, 1e-3, 0.9, 0.99, 1e-8, 0, 1, 1));
  CHECK_INVALID("null pointer", s4j_adamw(S4J_HOST, nullptr, p, nullptr, S4J_F32, p, p, nullptr, 0, 4, 1e-3, 0.9, 0.99, 1e-8, 0, 1, 1));
  CHECK_INVALID("device -2", s4j_adamw(-2, nullptr, p, kBad, S4J_F32, p, p, nullptr, 0, 4, 1e-3, 0.9, 0.99, 1e-8, 0, 1, 1));
  CHECK_OK(s4j_adamw(S4J_HOST, nullptr, nullptr, nullptr, S4J_F32, nullptr, nullptr, nullptr, 0, 0, 1e-3, 0.9, 0.99, 1e-8, 0, 1, 1));
}

TEST(errors_threads_and_isa) {
  CHECK_INVALID("0 threads", s4j_cpu_set_threads(0));
  CHECK_INVALID("-3 threads", s4j_cpu_set_threads(-3));
  std::string before = s4j_cpu_isa();
  CHECK_INVALID("'sse9' is not built in", s4j_cpu_use_isa("sse9"));
  CHECK_INVALID("'AVX512' is not", s4j_cpu_use_isa("AVX512"));
  CHECK(before == s4j_cpu_isa());
  CHECK_OK(s4j_cpu_use_isa(nullptr));  // null and "" mean auto
  CHECK_OK(s4j_cpu_use_isa(""));
  CHECK(before == s4j_cpu_isa());
}

TEST(errors_last_error_is_per_thread) {
  CHECK_INVALID("0 threads", s4j_cpu_set_threads(0));
  std::string other_before, other_after;
  std::thread other([&] {
    other_before = s4j_last_error();
    s4j_relu(S4J_HOST, nullptr, S4J_I8, 1, kBad, kBad);
    other_after = s4j_last_error();
  });
  other.join();
  CHECK_MSG(other_before.empty(), "a new thread starts with '%s'", other_before.c_str());
  CHECK(other_after.find("s4j_relu") != std::string::npos);
  CHECK(strstr(s4j_last_error(), "0 threads") != nullptr);
  // A call that succeeds leaves the message of the last failure.
  CHECK_OK(s4j_cpu_set_threads(s4j_cpu_threads()));
  CHECK(strstr(s4j_last_error(), "0 threads") != nullptr);
}
