// Build facts, and the device queries of a library without CUDA or on a machine without a
// device: every device call answers S4J_ERR_NO_CUDA with a reason, host streams and events work.
#include <string>

#include "reference.h"

using namespace s4jt;

namespace {

// True when CUDA is built in and a device answers (a GPU machine): the no-device checks are moot.
bool device_present() {
  int count = -1;
  return s4j_cuda_device_count(&count) == S4J_OK && count > 0;
}

}  // namespace

TEST(devices_build_facts) {
  CHECK(s4j_abi_version() == S4J_ABI_VERSION);
  std::string info = s4j_build_info();
  CHECK_MSG(info.rfind("libshard4j ", 0) == 0, "build info: %s", info.c_str());
  CHECK(s4j_cpu_features() != nullptr);
  std::string isa = s4j_cpu_isa();
  CHECK_MSG(isa == "base" || isa == "avx2" || isa == "avx512", "isa %s", isa.c_str());
  CHECK(s4j_cpu_threads() >= 1);
}

TEST(devices_without_a_device) {
  if (device_present()) return;
  int count = -1;
  CHECK_STATUS(S4J_ERR_NO_CUDA, nullptr, s4j_cuda_device_count(&count));
  CHECK(count == 0);
  CHECK(strlen(s4j_last_error()) > 0);
  int driver = -1, runtime = -1;
  int status = s4j_cuda_versions(&driver, &runtime);
  CHECK(status == S4J_OK || status == S4J_ERR_NO_CUDA);
  CHECK(driver == 0);
  char name[32] = "unchanged";
  int64_t memory = 0;
  int major = 0, minor = 0, sms = 0;
  CHECK_STATUS(S4J_ERR_NO_CUDA, nullptr, s4j_cuda_device_properties(0, name, sizeof name, &memory, &major, &minor, &sms));
  CHECK(name[0] == '\0');
  void* p = reinterpret_cast<void*>(0x1);
  CHECK_STATUS(S4J_ERR_NO_CUDA, nullptr, s4j_device_alloc(0, 64, nullptr, &p));
  CHECK(p == nullptr);
  CHECK_STATUS(S4J_ERR_NO_CUDA, nullptr, s4j_device_free(0, reinterpret_cast<void*>(0x1000), nullptr));
  CHECK_OK(s4j_device_free(0, nullptr, nullptr));
  CHECK_STATUS(S4J_ERR_NO_CUDA, nullptr, s4j_device_empty_cache(0));
  char host[8] = {};
  CHECK_STATUS(S4J_ERR_NO_CUDA, nullptr, s4j_memcpy(host, S4J_HOST, reinterpret_cast<void*>(0x1000), 0, 8, nullptr));
  s4j_stream_t stream = reinterpret_cast<s4j_stream_t>(0x1);
  CHECK_STATUS(S4J_ERR_NO_CUDA, nullptr, s4j_stream_create(0, &stream));
  CHECK(stream == nullptr);
  s4j_event_t event = reinterpret_cast<s4j_event_t>(0x1);
  CHECK_STATUS(S4J_ERR_NO_CUDA, nullptr, s4j_event_create(0, 1, &event));
  CHECK(event == nullptr);
  // Kernels asked to run on a device say so too, after the arguments were found good.
  int64_t size = 4, stride = 1;
  CHECK_STATUS(S4J_ERR_NO_CUDA, nullptr,
               s4j_fill(0, nullptr, 1, &size, reinterpret_cast<void*>(0x1000), S4J_F32, &stride, 1.0, 0));
  uint64_t src = 0x1000, dst = 0x2000;
  CHECK_STATUS(S4J_ERR_NO_CUDA, nullptr, s4j_reduce(0, nullptr, 1, &src, S4J_F32, 1, &dst, S4J_F32, 4, S4J_OP_SUM, 1, 1));
  int64_t elements = 4;
  int32_t f32 = S4J_F32;
  s4j_plan_t plan = reinterpret_cast<s4j_plan_t>(0x1);
  CHECK_STATUS(S4J_ERR_NO_CUDA, nullptr, s4j_plan_create(0, 1, &src, &dst, &elements, &f32, &f32, &plan));
  CHECK(plan == nullptr);
}

TEST(devices_host_streams_and_events) {
  // The host has one in-order stream (null) and no event objects: everything is done at once.
  s4j_stream_t stream = reinterpret_cast<s4j_stream_t>(0x1);
  CHECK_OK(s4j_stream_create(S4J_HOST, &stream));
  CHECK(stream == nullptr);
  CHECK_OK(s4j_stream_query(S4J_HOST, stream));
  s4j_event_t start = reinterpret_cast<s4j_event_t>(0x1), end = nullptr;
  CHECK_OK(s4j_event_create(S4J_HOST, 1, &start));
  CHECK(start == nullptr);
  CHECK_OK(s4j_event_create(S4J_HOST, 1, &end));
  CHECK_OK(s4j_event_record(S4J_HOST, start, stream));
  CHECK_OK(s4j_event_record(S4J_HOST, end, stream));
  CHECK_OK(s4j_event_query(S4J_HOST, end));
  CHECK_OK(s4j_stream_wait_event(S4J_HOST, stream, end));
  float ms = -1;
  CHECK_OK(s4j_event_elapsed_ms(S4J_HOST, start, end, &ms));
  CHECK(ms == 0.0f);
  CHECK_OK(s4j_event_destroy(S4J_HOST, start));
  CHECK_OK(s4j_event_destroy(S4J_HOST, end));
  CHECK_OK(s4j_stream_destroy(S4J_HOST, stream));
}
