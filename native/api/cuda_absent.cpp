// The CUDA backend of a library built without nvcc: every call says so.
#include "cuda_backend.h"
#include "status.h"

namespace s4j::cuda {

namespace {
int absent() {
  return fail(S4J_ERR_NO_CUDA, "libshard4j was built without CUDA (nvcc was not found at build time)");
}
}  // namespace

const char* build_targets() { return ""; }
int device_count(int*) { return absent(); }
int versions(int*, int*) { return absent(); }
int device_properties(int, char*, int, int64_t*, int*, int*, int*) { return absent(); }
int alloc(int, size_t, s4j_stream_t, void**) { return absent(); }
int free(int, void*, s4j_stream_t) { return absent(); }
int empty_cache(int) { return absent(); }
int memcpy(void*, int, const void*, int, size_t, s4j_stream_t) { return absent(); }
int stream_create(int, s4j_stream_t*) { return absent(); }
int stream_destroy(int, s4j_stream_t) { return absent(); }
int stream_query(int, s4j_stream_t) { return absent(); }
int stream_wait_event(int, s4j_stream_t, s4j_event_t) { return absent(); }
int event_create(int, int, s4j_event_t*) { return absent(); }
int event_destroy(int, s4j_event_t) { return absent(); }
int event_record(int, s4j_event_t, s4j_stream_t) { return absent(); }
int event_query(int, s4j_event_t) { return absent(); }
int event_elapsed_ms(int, s4j_event_t, s4j_event_t, float*) { return absent(); }
int copy_strided(int, s4j_stream_t, const StridedLayout&, void*, int, const void*, int) { return absent(); }
int fill(int, s4j_stream_t, const StridedLayout&, void*, int, double, int64_t) { return absent(); }
int relu(int, s4j_stream_t, int, int64_t, const void*, void*) { return absent(); }
int relu_backward(int, s4j_stream_t, int, int64_t, const void*, const void*, void*) { return absent(); }
int elementwise(int, s4j_stream_t, int, int, int64_t, const void*, const void*, void*, double, double) {
  return absent();
}
int gelu(int, s4j_stream_t, int, int64_t, const void*, void*) { return absent(); }
int gelu_backward(int, s4j_stream_t, int, int64_t, const void*, const void*, void*) { return absent(); }
int bias_add(int, s4j_stream_t, int, int64_t, int64_t, const void*, const void*, void*) { return absent(); }
int bias_grad(int, s4j_stream_t, int, int64_t, int64_t, const void*, void*, int, int) { return absent(); }
int layernorm(int, s4j_stream_t, int, int64_t, int64_t, const void*, const void*, const void*, float, void*, float*,
              float*) {
  return absent();
}
int layernorm_backward(int, s4j_stream_t, int, int64_t, int64_t, const void*, const void*, const void*, const float*,
                       const float*, void*, void*, void*, int, int) {
  return absent();
}
int cross_entropy(int, s4j_stream_t, int, int64_t, int64_t, const void*, const void*, int, float*, float*) {
  return absent();
}
int cross_entropy_backward(int, s4j_stream_t, int, int64_t, int64_t, const void*, const void*, int, const float*,
                           float, void*) {
  return absent();
}
int embedding(int, s4j_stream_t, int, int64_t, int64_t, int64_t, int64_t, const void*, int, const void*, const void*,
              void*) {
  return absent();
}
int embedding_backward(int, s4j_stream_t, int, int64_t, int64_t, int64_t, int64_t, int64_t, const void*, int,
                       const void*, float*, float*, int) {
  return absent();
}
int causal_softmax(int, s4j_stream_t, int, int64_t, int64_t, float, const void*, void*) { return absent(); }
int causal_softmax_backward(int, s4j_stream_t, int, int64_t, int64_t, float, const void*, const void*, void*) {
  return absent();
}

int plan_upload(s4j_plan_s&) { return absent(); }
int plan_release(s4j_plan_s&) { return S4J_OK; }
int plan_run(const s4j_plan_s&, double, s4j_stream_t) { return absent(); }
int reduce(int, s4j_stream_t, int, const uint64_t*, int, int, const uint64_t*, int, int64_t, int, double, double) {
  return absent();
}
int accumulate(int, s4j_stream_t, void*, int, const void*, int, int64_t, double) { return absent(); }
int adamw(int, s4j_stream_t, const AdamWScalars&, float*, const void*, int, float*, float*, void*, int,
          int64_t) {
  return absent();
}

}  // namespace s4j::cuda
