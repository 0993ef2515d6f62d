// Device, stream and event entry points. The host has one in-order stream and no event
// objects: there, every call succeeds at once and queries report the work done.
#include "cuda_backend.h"
#include "status.h"

extern "C" {

int s4j_cuda_device_count(int* count) {
  S4J_REQUIRE(count != nullptr, "s4j_cuda_device_count: count is null");
  *count = 0;
  return s4j::cuda::device_count(count);
}

int s4j_cuda_versions(int* driver_version, int* runtime_version) {
  S4J_REQUIRE(driver_version != nullptr && runtime_version != nullptr,
              "s4j_cuda_versions: null output");
  *driver_version = 0;
  *runtime_version = 0;
  return s4j::cuda::versions(driver_version, runtime_version);
}

int s4j_cuda_device_properties(int device, char* name, int name_capacity, int64_t* total_memory,
                               int* major, int* minor, int* multiprocessors) {
  S4J_REQUIRE(device >= 0, "s4j_cuda_device_properties: device %d is not a CUDA device", device);
  S4J_REQUIRE(name != nullptr && name_capacity > 0, "s4j_cuda_device_properties: no room for the name");
  S4J_REQUIRE(total_memory && major && minor && multiprocessors, "s4j_cuda_device_properties: null output");
  name[0] = '\0';
  return s4j::cuda::device_properties(device, name, name_capacity, total_memory, major, minor,
                                      multiprocessors);
}

int s4j_stream_create(int device, s4j_stream_t* out) {
  S4J_REQUIRE(out != nullptr, "s4j_stream_create: out is null");
  *out = nullptr;
  return device == S4J_HOST ? S4J_OK : s4j::cuda::stream_create(device, out);
}

int s4j_stream_destroy(int device, s4j_stream_t stream) {
  if (device == S4J_HOST || stream == nullptr) return S4J_OK;
  return s4j::cuda::stream_destroy(device, stream);
}

int s4j_stream_query(int device, s4j_stream_t stream) {
  return device == S4J_HOST ? S4J_OK : s4j::cuda::stream_query(device, stream);
}

int s4j_stream_wait_event(int device, s4j_stream_t stream, s4j_event_t event) {
  if (device == S4J_HOST || event == nullptr) return S4J_OK;
  return s4j::cuda::stream_wait_event(device, stream, event);
}

int s4j_event_create(int device, int enable_timing, s4j_event_t* out) {
  S4J_REQUIRE(out != nullptr, "s4j_event_create: out is null");
  *out = nullptr;
  return device == S4J_HOST ? S4J_OK : s4j::cuda::event_create(device, enable_timing, out);
}

int s4j_event_destroy(int device, s4j_event_t event) {
  if (device == S4J_HOST || event == nullptr) return S4J_OK;
  return s4j::cuda::event_destroy(device, event);
}

int s4j_event_record(int device, s4j_event_t event, s4j_stream_t stream) {
  if (device == S4J_HOST) return S4J_OK;
  S4J_REQUIRE(event != nullptr, "s4j_event_record: event is null");
  return s4j::cuda::event_record(device, event, stream);
}

int s4j_event_query(int device, s4j_event_t event) {
  if (device == S4J_HOST) return S4J_OK;
  S4J_REQUIRE(event != nullptr, "s4j_event_query: event is null");
  return s4j::cuda::event_query(device, event);
}

int s4j_event_elapsed_ms(int device, s4j_event_t start, s4j_event_t end, float* ms) {
  S4J_REQUIRE(ms != nullptr, "s4j_event_elapsed_ms: ms is null");
  *ms = 0.0f;
  if (device == S4J_HOST) return S4J_OK;
  S4J_REQUIRE(start != nullptr && end != nullptr, "s4j_event_elapsed_ms: null event");
  return s4j::cuda::event_elapsed_ms(device, start, end, ms);
}

}  // extern "C"
