// Memory entry points: host memory here, device memory through the CUDA backend.
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "cuda_backend.h"
#include "status.h"

namespace {
bool power_of_two(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

constexpr size_t kHugePage = size_t{2} << 20;

// Asks the kernel to back the whole huge pages of a block with transparent huge pages, where it
// hands them out only on request (THP "madvise", Debian's default): streaming through tens of MiB
// then walks far fewer page tables (in a C harness on the build machine, 64 MiB copies and
// reductions ran 12-15% faster).
// Advice only: a kernel without THP refuses it and the block keeps ordinary pages. The advice
// stays with the address range: a block malloc later places there (below glibc's mmap threshold,
// at most 32 MiB, freed blocks stay in its arenas) may get huge pages too.
void advise_huge_pages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  size_t whole = bytes / kHugePage * kHugePage;
  if (whole > 0) madvise(p, whole, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}
}  // namespace

extern "C" {

int s4j_host_alloc(size_t bytes, size_t alignment, void** out) {
  S4J_REQUIRE(out != nullptr, "s4j_host_alloc: out is null");
  S4J_REQUIRE(power_of_two(alignment) && alignment >= sizeof(void*),
              "s4j_host_alloc: alignment %zu is not a power of two >= %zu", alignment, sizeof(void*));
  *out = nullptr;
  S4J_REQUIRE(bytes <= SIZE_MAX - alignment, "s4j_host_alloc: %zu bytes overflow", bytes);
  // A zero-byte tensor still gets an address of its own.
  void* p = nullptr;
  if (posix_memalign(&p, alignment, bytes == 0 ? alignment : bytes) != 0 || p == nullptr) {
    return s4j::fail(S4J_ERR_OUT_OF_MEMORY, "host allocation of %zu bytes failed", bytes);
  }
  if (alignment >= kHugePage) advise_huge_pages(p, bytes);
  *out = p;
  return S4J_OK;
}

int s4j_host_free(void* ptr) {
  ::free(ptr);
  return S4J_OK;
}

int s4j_device_alloc(int device, size_t bytes, s4j_stream_t stream, void** out) {
  S4J_REQUIRE(out != nullptr, "s4j_device_alloc: out is null");
  S4J_REQUIRE(device >= 0, "s4j_device_alloc: device %d is not a CUDA device", device);
  *out = nullptr;
  return s4j::cuda::alloc(device, bytes, stream, out);
}

int s4j_device_free(int device, void* ptr, s4j_stream_t stream) {
  S4J_REQUIRE(device >= 0, "s4j_device_free: device %d is not a CUDA device", device);
  if (ptr == nullptr) return S4J_OK;
  return s4j::cuda::free(device, ptr, stream);
}

int s4j_device_empty_cache(int device) {
  S4J_REQUIRE(device >= 0, "s4j_device_empty_cache: device %d is not a CUDA device", device);
  return s4j::cuda::empty_cache(device);
}

int s4j_memcpy(void* dst, int dst_device, const void* src, int src_device, size_t bytes,
               s4j_stream_t stream) {
  S4J_REQUIRE(dst_device >= S4J_HOST && src_device >= S4J_HOST,
              "s4j_memcpy: bad device (dst %d, src %d)", dst_device, src_device);
  if (bytes == 0) return S4J_OK;
  S4J_REQUIRE(dst != nullptr && src != nullptr, "s4j_memcpy: null pointer (dst %p, src %p)", dst, src);
  if (dst_device == S4J_HOST && src_device == S4J_HOST) {
    memmove(dst, src, bytes);
    return S4J_OK;
  }
  return s4j::cuda::memcpy(dst, dst_device, src, src_device, bytes, stream);
}

}  // extern "C"
