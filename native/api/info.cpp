// Build facts and CPU features, for `shard4j info` and bug reports.
#include <stdio.h>
#include <string.h>

#include <string>

#include "cuda_backend.h"
#include "shard4j.h"

#ifndef SHARD4J_VERSION
#define SHARD4J_VERSION "unknown"
#endif

extern "C" int s4j_abi_version(void) { return S4J_ABI_VERSION; }

extern "C" const char* s4j_build_info(void) {
  static const std::string info = [] {
    std::string s = "libshard4j " SHARD4J_VERSION ", ";
#if defined(__clang__)
    s += "clang " __clang_version__;
#elif defined(__GNUC__)
    s += "gcc " __VERSION__;
#endif
    const char* targets = s4j::cuda::build_targets();
    s += targets[0] ? std::string(", CUDA ") + targets : std::string(", without CUDA");
    return s;
  }();
  return info.c_str();
}

extern "C" const char* s4j_cpu_features(void) {
  static const std::string features = [] {
    std::string s;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    const char* names[] = {"sse4.2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512bf16"};
    const bool present[] = {
        (bool)__builtin_cpu_supports("sse4.2"), (bool)__builtin_cpu_supports("avx"),
        (bool)__builtin_cpu_supports("avx2"),   (bool)__builtin_cpu_supports("fma"),
        (bool)__builtin_cpu_supports("f16c"),   (bool)__builtin_cpu_supports("avx512f"),
        (bool)__builtin_cpu_supports("avx512bw"), (bool)__builtin_cpu_supports("avx512bf16")};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
      if (!present[i]) continue;
      if (!s.empty()) s += ' ';
      s += names[i];
    }
#elif defined(__aarch64__)
    s = "aarch64";
#endif
    return s;
  }();
  return features.c_str();
}
