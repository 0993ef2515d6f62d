// Host memory: aligned blocks of every size asked for (AddressSanitizer sees a block shorter than
// asked), the huge-page path, zero-byte blocks, and host-to-host copies.
#include <stdint.h>
#include <stdio.h>

#include <string>
#include <vector>

#include "reference.h"

using namespace s4jt;

namespace {

// Writes and reads back every byte of the block: a block shorter than asked is an ASan report.
void touch_all(void* p, size_t bytes, uint8_t seed) {
  uint8_t* b = static_cast<uint8_t*>(p);
  for (size_t i = 0; i < bytes; i++) b[i] = (uint8_t)(seed + i * 7);
  for (size_t i = 0; i < bytes; i++) {
    if (b[i] != (uint8_t)(seed + i * 7)) {
      CHECK_MSG(false, "byte %zu of a %zu-byte block changed", i, bytes);
      return;
    }
  }
}

// Whether the kernel marked the mapping holding p for transparent huge pages ("hg" in the VmFlags
// of /proc/self/smaps), or -1 when it cannot tell (no THP, not Linux).
int huge_page_advice(const void* p) {
  FILE* thp = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
  if (thp == nullptr) return -1;
  fclose(thp);
  FILE* smaps = fopen("/proc/self/smaps", "r");
  if (smaps == nullptr) return -1;
  const uintptr_t at = reinterpret_cast<uintptr_t>(p);
  char line[512];
  bool inside = false;
  int found = -1;
  while (fgets(line, sizeof line, smaps) != nullptr) {
    unsigned long long lo, hi;
    if (sscanf(line, "%llx-%llx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      inside = at >= lo && at < hi;
    } else if (inside && strncmp(line, "VmFlags:", 8) == 0) {
      found = strstr(line, " hg") != nullptr ? 1 : 0;
      break;
    }
  }
  fclose(smaps);
  return found;
}

}  // namespace

TEST(memory_alignment_and_sizes) {
  Random r(1);
  const size_t sizes[] = {0, 1, 7, 8, 63, 64, 65, 4095, 4096, 100003};
  for (size_t alignment = 8; alignment <= (size_t{1} << 16); alignment <<= 1) {
    for (size_t bytes : sizes) {
      void* p = nullptr;
      CHECK_OK(s4j_host_alloc(bytes, alignment, &p));
      CHECK(p != nullptr);
      CHECK_MSG(reinterpret_cast<uintptr_t>(p) % alignment == 0, "%zu bytes at %p, alignment %zu", bytes, p,
                alignment);
      touch_all(p, bytes, (uint8_t)r.next());
      CHECK_OK(s4j_host_free(p));
    }
  }
}

TEST(memory_zero_bytes_get_addresses_of_their_own) {
  void* a = nullptr;
  void* b = nullptr;
  CHECK_OK(s4j_host_alloc(0, 64, &a));
  CHECK_OK(s4j_host_alloc(0, 64, &b));
  CHECK(a != nullptr && b != nullptr && a != b);
  CHECK_OK(s4j_host_free(a));
  CHECK_OK(s4j_host_free(b));
  CHECK_OK(s4j_host_free(nullptr));
}

TEST(memory_huge_page_blocks) {
  // 2 MiB alignment or more asks for transparent huge pages over the block's whole 2 MiB pages:
  // less than one page, several and a tail, and a 4 MiB alignment.
  const size_t mib = size_t{1} << 20;
  const size_t cases[][2] = {{mib + 5, 2 * mib}, {2 * mib, 2 * mib}, {5 * mib + 3, 2 * mib}, {9 * mib, 4 * mib}};
  for (const auto& c : cases) {
    void* p = nullptr;
    CHECK_OK(s4j_host_alloc(c[0], c[1], &p));
    CHECK(reinterpret_cast<uintptr_t>(p) % c[1] == 0);
    if (c[0] >= 2 * mib) {
      const int advice = huge_page_advice(p);
      CHECK_MSG(advice != 0, "a %zu-byte block at %p is not advised for huge pages", c[0], p);
    }
    touch_all(p, c[0], 3);
    CHECK_OK(s4j_host_free(p));
  }
}

TEST(memory_impossible_blocks_fail_cleanly) {
  void* p = reinterpret_cast<void*>(0x1);
  CHECK_STATUS(S4J_ERR_OUT_OF_MEMORY, "failed", s4j_host_alloc(size_t{1} << 62, 64, &p));
  CHECK(p == nullptr);
  p = reinterpret_cast<void*>(0x1);
  CHECK_INVALID("overflow", s4j_host_alloc(SIZE_MAX - 10, 64, &p));
  CHECK(p == nullptr);
}

TEST(memory_host_copies) {
  Random r(2);
  for (size_t bytes : {size_t{1}, size_t{13}, size_t{4096}, size_t{1000003}}) {
    Bytes src = random_bytes(r, S4J_U8, (int64_t)bytes);
    Bytes dst(bytes);
    CHECK_OK(s4j_memcpy(dst.data(), S4J_HOST, src.data(), S4J_HOST, bytes, nullptr));
    CHECK(dst == src);
  }
  // Overlapping ranges move as memmove does, both ways.
  Bytes base = random_bytes(r, S4J_U8, 1000);
  Bytes expected = base;
  memmove(expected.data() + 10, expected.data(), 900);
  Bytes actual = base;
  CHECK_OK(s4j_memcpy(actual.data() + 10, S4J_HOST, actual.data(), S4J_HOST, 900, nullptr));
  CHECK(actual == expected);
  memmove(expected.data(), expected.data() + 17, 950);
  CHECK_OK(s4j_memcpy(actual.data(), S4J_HOST, actual.data() + 17, S4J_HOST, 950, nullptr));
  CHECK(actual == expected);
  // Zero bytes touch nothing, null pointers included.
  CHECK_OK(s4j_memcpy(nullptr, S4J_HOST, nullptr, S4J_HOST, 0, nullptr));
}
