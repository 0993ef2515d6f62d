#include "kernels_cpu.h"

#include <atomic>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <string>
#include <vector>

#include "../common/dispatch.h"
#include "loops_table.h"
#include "thread_pool.h"

namespace s4j::cpu {

namespace {
constexpr int64_t kGrain = 1 << 16;  // elements below which one thread does the whole job
// Plans writing more than this bypass the cache for their plain copies: streaming stores skip
// the read that an ordinary store makes of each line it writes, and such outputs do not stay in
// the cache anyway.
constexpr int64_t kStreamingPlanBytes = 8 << 20;

}  // namespace

namespace {

const Loops* widest() {
  static const Loops* best = [] {
#if defined(SHARD4J_X86_VARIANTS)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl")) {
      return &loops_avx512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c")) {
      return &loops_avx2;
    }
#endif
    return &loops_base;
  }();
  return best;
}

std::atomic<const Loops*> chosen{nullptr};

}  // namespace

const Loops& loops() {
  const Loops* l = chosen.load(std::memory_order_acquire);
  return l != nullptr ? *l : *widest();
}

bool use_isa(const char* name) {
  std::string wanted = name == nullptr ? "" : name;
  if (wanted.empty() || wanted == "auto") {
    chosen.store(nullptr, std::memory_order_release);
    return true;
  }
  const Loops* candidates[] = {
      &loops_base,
#if defined(SHARD4J_X86_VARIANTS)
      &loops_avx2, &loops_avx512,
#endif
  };
  for (const Loops* l : candidates) {
    if (wanted != l->isa) continue;
    bool runs = l == &loops_base || l == widest();
#if defined(SHARD4J_X86_VARIANTS)
    runs = runs || (l == &loops_avx2 && widest() == &loops_avx512);  // AVX-512 CPUs run AVX2 too
#endif
    if (runs) {
      chosen.store(l, std::memory_order_release);
      return true;
    }
  }
  return false;
}

void plan_run(const s4j_plan_s& plan, double scale) {
  const Loops& l = loops();
  // A plan smaller than one grain runs on the caller's thread: waking another costs more.
  const int64_t tile_grain = plan.elements <= kGrain ? (int64_t)plan.tiles.size() : 1;
  const bool streaming = plan.bytes_written >= kStreamingPlanBytes;
  parallel_for((int64_t)plan.tiles.size(), tile_grain, [&](int64_t first, int64_t last) {
    for (int64_t t = first; t < last; t++) {
      const Tile& tile = plan.tiles[t];
      const Segment& seg = plan.segments[tile.segment];
      void* dst = reinterpret_cast<char*>(seg.dst) + tile.begin * (int64_t)dtype_size(seg.dst_dtype);
      const void* src = seg.src == 0 ? nullptr
          : reinterpret_cast<const char*>(seg.src) + tile.begin * (int64_t)dtype_size(seg.src_dtype);
      l.convert(seg.dst_dtype, seg.src_dtype, dst, src, tile.count, scale, streaming);
    }
#if defined(__x86_64__)
    if (streaming) _mm_sfence();  // visible before the job counts as done
#endif
  });
}

void reduce(int n, const uint64_t* srcs, int src_dtype, int n_dst, const uint64_t* dsts, int dst_dtype,
            int64_t count, int op, double premul, double postmul) {
  // Small groups, the common case, need no heap allocation: a collective of a few KiB is over in
  // about a microsecond.
  constexpr int kOnStack = 64;
  const void* in_stack[kOnStack];
  void* out_stack[kOnStack];
  std::vector<const void*> in_heap(n > kOnStack ? n : 0);
  std::vector<void*> out_heap(n_dst > kOnStack ? n_dst : 0);
  const void** inputs = n > kOnStack ? in_heap.data() : in_stack;
  void** outputs = n_dst > kOnStack ? out_heap.data() : out_stack;
  for (int i = 0; i < n; i++) inputs[i] = reinterpret_cast<const void*>(srcs[i]);
  for (int j = 0; j < n_dst; j++) outputs[j] = reinterpret_cast<void*>(dsts[j]);
  const Loops& l = loops();
  if (count <= kGrain) {
    l.reduce(n, inputs, src_dtype, n_dst, outputs, dst_dtype, 0, count, op, premul, postmul);
    return;
  }
  parallel_for(count, kGrain, [&](int64_t begin, int64_t end) {
    l.reduce(n, inputs, src_dtype, n_dst, outputs, dst_dtype, begin, end, op, premul, postmul);
  });
}

void accumulate(void* dst, int dst_dtype, const void* src, int src_dtype, int64_t count, double scale) {
  const Loops& l = loops();
  parallel_for(count, kGrain, [&](int64_t begin, int64_t end) {
    l.accumulate(dst, dst_dtype, src, src_dtype, begin, end, scale);
  });
}

void adamw(const AdamWScalars& s, float* param, const void* grad, int grad_dtype, float* exp_avg,
           float* exp_avg_sq, void* param_copy, int copy_dtype, int64_t count) {
  const Loops& l = loops();
  parallel_for(count, kGrain, [&](int64_t begin, int64_t end) {
    l.adamw(s, param, grad, grad_dtype, exp_avg, exp_avg_sq, param_copy, copy_dtype, begin, end);
  });
}

const char* isa() { return loops().isa; }

}  // namespace s4j::cpu
