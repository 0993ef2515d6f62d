// CUDA backend: devices, stream-ordered memory, copies, streams and events.
#include <stdio.h>

#include <atomic>
#include <mutex>

#include "../api/cuda_backend.h"
#include "cuda_check.h"

namespace s4j::cuda {

namespace {

cudaStream_t as_cuda(s4j_stream_t stream) { return reinterpret_cast<cudaStream_t>(stream); }
cudaEvent_t as_cuda(s4j_event_t event) { return reinterpret_cast<cudaEvent_t>(event); }

int use_device(int device) {
  // The devices of a process do not change while it runs: count them once found. Without a
  // driver the count fails, and that error (no CUDA) is what the caller gets, every time.
  static std::atomic<int> known{-1};
  int count = known.load(std::memory_order_relaxed);
  if (count < 0) {
    S4J_CUDA(cudaGetDeviceCount(&count));
    known.store(count, std::memory_order_relaxed);
  }
  S4J_REQUIRE(device >= 0 && device < count, "CUDA device %d does not exist (%d present)", device, count);
  S4J_CUDA(make_current(device));
  return S4J_OK;
}

// The pool keeps freed memory for reuse instead of returning it to the driver at each sync.
int configure_pool(int device) {
  static std::mutex mutex;
  static bool configured[128] = {};
  std::lock_guard<std::mutex> lock(mutex);
  if (device < 128 && configured[device]) return S4J_OK;
  cudaMemPool_t pool;
  S4J_CUDA(cudaDeviceGetDefaultMemPool(&pool, device));
  uint64_t threshold = UINT64_MAX;
  S4J_CUDA(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
  if (device < 128) configured[device] = true;
  return S4J_OK;
}

int query_status(cudaError_t error, const char* call) {
  if (error == cudaErrorNotReady) {
    (void)cudaGetLastError();  // not an error: clear it
    return S4J_NOT_READY;
  }
  return check(error, call, __FILE__, __LINE__);
}

}  // namespace

const char* build_targets() { return SHARD4J_CUDA_COMPILER " for " SHARD4J_CUDA_ARCHS; }

int device_count(int* count) {
  S4J_CUDA(cudaGetDeviceCount(count));
  return S4J_OK;
}

int versions(int* driver_version, int* runtime_version) {
  S4J_CUDA(cudaRuntimeGetVersion(runtime_version));
  S4J_CUDA(cudaDriverGetVersion(driver_version));
  return S4J_OK;
}

int device_properties(int device, char* name, int name_capacity, int64_t* total_memory, int* major,
                      int* minor, int* multiprocessors) {
  S4J_TRY(use_device(device));
  cudaDeviceProp prop;
  S4J_CUDA(cudaGetDeviceProperties(&prop, device));
  snprintf(name, (size_t)name_capacity, "%s", prop.name);
  *total_memory = (int64_t)prop.totalGlobalMem;
  *major = prop.major;
  *minor = prop.minor;
  *multiprocessors = prop.multiProcessorCount;
  return S4J_OK;
}

int alloc(int device, size_t bytes, s4j_stream_t stream, void** out) {
  S4J_TRY(use_device(device));
  S4J_TRY(configure_pool(device));
  // A zero-byte tensor still gets a distinct, freeable address.
  S4J_CUDA(cudaMallocAsync(out, bytes == 0 ? 1 : bytes, as_cuda(stream)));
  return S4J_OK;
}

int free(int device, void* ptr, s4j_stream_t stream) {
  S4J_TRY(use_device(device));
  S4J_CUDA(cudaFreeAsync(ptr, as_cuda(stream)));
  return S4J_OK;
}

int empty_cache(int device) {
  S4J_TRY(use_device(device));
  // Frees still pending on a stream are not idle yet: let them complete first.
  S4J_CUDA(cudaDeviceSynchronize());
  cudaMemPool_t pool;
  S4J_CUDA(cudaDeviceGetDefaultMemPool(&pool, device));
  S4J_CUDA(cudaMemPoolTrimTo(pool, 0));
  return S4J_OK;
}

int memcpy(void* dst, int dst_device, const void* src, int src_device, size_t bytes,
           s4j_stream_t stream) {
  S4J_TRY(use_device(dst_device != S4J_HOST ? dst_device : src_device));
  S4J_CUDA(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, as_cuda(stream)));
  return S4J_OK;
}

int stream_create(int device, s4j_stream_t* out) {
  S4J_TRY(use_device(device));
  cudaStream_t stream;
  S4J_CUDA(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  *out = reinterpret_cast<s4j_stream_t>(stream);
  return S4J_OK;
}

int stream_destroy(int device, s4j_stream_t stream) {
  S4J_TRY(use_device(device));
  S4J_CUDA(cudaStreamDestroy(as_cuda(stream)));
  return S4J_OK;
}

int stream_query(int device, s4j_stream_t stream) {
  S4J_TRY(use_device(device));
  return query_status(cudaStreamQuery(as_cuda(stream)), "cudaStreamQuery");
}

int stream_wait_event(int device, s4j_stream_t stream, s4j_event_t event) {
  S4J_TRY(use_device(device));
  S4J_CUDA(cudaStreamWaitEvent(as_cuda(stream), as_cuda(event), 0));
  return S4J_OK;
}

int event_create(int device, int enable_timing, s4j_event_t* out) {
  S4J_TRY(use_device(device));
  cudaEvent_t event;
  S4J_CUDA(cudaEventCreateWithFlags(&event, enable_timing ? cudaEventDefault : cudaEventDisableTiming));
  *out = reinterpret_cast<s4j_event_t>(event);
  return S4J_OK;
}

int event_destroy(int device, s4j_event_t event) {
  S4J_TRY(use_device(device));
  S4J_CUDA(cudaEventDestroy(as_cuda(event)));
  return S4J_OK;
}

int event_record(int device, s4j_event_t event, s4j_stream_t stream) {
  S4J_TRY(use_device(device));
  S4J_CUDA(cudaEventRecord(as_cuda(event), as_cuda(stream)));
  return S4J_OK;
}

int event_query(int device, s4j_event_t event) {
  S4J_TRY(use_device(device));
  return query_status(cudaEventQuery(as_cuda(event)), "cudaEventQuery");
}

int event_elapsed_ms(int device, s4j_event_t start, s4j_event_t end, float* ms) {
  S4J_TRY(use_device(device));
  S4J_CUDA(cudaEventElapsedTime(ms, as_cuda(start), as_cuda(end)));
  return S4J_OK;
}

}  // namespace s4j::cuda
