#include "kernels_cpu.h"

#include <string.h>

#include <vector>

#include "../common/dispatch.h"
#include "thread_pool.h"

namespace s4j::cpu {

namespace {

constexpr int64_t kGrain = 1 << 16;  // elements below which one thread does the whole job

template <class D, class S, bool Scaled>
void convert_run(D* __restrict dst, const S* __restrict src, int64_t n, compute_t<D, S> scale) {
  if constexpr (std::is_same<D, S>::value && !Scaled) {
    memcpy(dst, src, (size_t)n * sizeof(D));
  } else {
    for (int64_t i = 0; i < n; i++) dst[i] = scaled_convert<D, S, Scaled>(src[i], scale);
  }
}

template <class D>
void zero_run(D* dst, int64_t n) {
  memset(static_cast<void*>(dst), 0, (size_t)n * sizeof(D));  // +0.0 is all zero bits in every float type
}

void run_tile(const Segment& seg, int64_t begin, int64_t count, double scale) {
  dispatch_dtype(seg.dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    D* dst = reinterpret_cast<D*>(seg.dst) + begin;
    if (seg.src == 0) {
      zero_run(dst, count);
      return;
    }
    dispatch_dtype(seg.src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      const S* src = reinterpret_cast<const S*>(seg.src) + begin;
      using C = compute_t<D, S>;
      if (scale == 1.0) {
        convert_run<D, S, false>(dst, src, count, C(1));
      } else {
        convert_run<D, S, true>(dst, src, count, (C)scale);
      }
    });
  });
}

}  // namespace

void plan_run(const s4j_plan_s& plan, double scale) {
  parallel_for((int64_t)plan.tiles.size(), 1, [&](int64_t first, int64_t last) {
    for (int64_t t = first; t < last; t++) {
      const Tile& tile = plan.tiles[t];
      run_tile(plan.segments[tile.segment], tile.begin, tile.count, scale);
    }
  });
}

namespace {

template <class D, class S>
void reduce_range(int n, const S* const* srcs, D* dst, int64_t begin, int64_t end, int op,
                  double premul, double postmul) {
  using A = accumulate_t<S>;
  const bool pre = premul != 1.0, post = postmul != 1.0;
  const A pre_a = (A)premul, post_a = (A)postmul;
  // Blocks of a few thousand elements keep the accumulator in L1 while every input streams by.
  constexpr int64_t kBlock = 2048;
  A acc[kBlock];
  for (int64_t b = begin; b < end; b += kBlock) {
    const int64_t m = end - b < kBlock ? end - b : kBlock;
    const S* s0 = srcs[0] + b;
    for (int64_t k = 0; k < m; k++) {
      A x = convert<A>(s0[k]);
      acc[k] = pre ? x * pre_a : x;
    }
    for (int i = 1; i < n; i++) {
      const S* si = srcs[i] + b;
      if (op == S4J_OP_SUM && !pre) {
        for (int64_t k = 0; k < m; k++) acc[k] += convert<A>(si[k]);
      } else {
        for (int64_t k = 0; k < m; k++) {
          A x = convert<A>(si[k]);
          acc[k] = combine<A>(op, acc[k], pre ? x * pre_a : x);
        }
      }
    }
    D* d = dst + b;
    for (int64_t k = 0; k < m; k++) d[k] = convert<D>(post ? acc[k] * post_a : acc[k]);
  }
}

}  // namespace

void reduce(int n, const uint64_t* srcs, int src_dtype, void* dst, int dst_dtype, int64_t count,
            int op, double premul, double postmul) {
  dispatch_dtype(dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    dispatch_dtype(src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      std::vector<const S*> inputs(n);
      for (int i = 0; i < n; i++) inputs[i] = reinterpret_cast<const S*>(srcs[i]);
      parallel_for(count, kGrain, [&](int64_t begin, int64_t end) {
        reduce_range<D, S>(n, inputs.data(), static_cast<D*>(dst), begin, end, op, premul, postmul);
      });
    });
  });
}

void accumulate(void* dst, int dst_dtype, const void* src, int src_dtype, int64_t count, double scale) {
  dispatch_dtype(dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    dispatch_dtype(src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      using C = compute_t<D, S>;
      const C c = (C)scale;
      D* out = static_cast<D*>(dst);
      const S* in = static_cast<const S*>(src);
      parallel_for(count, kGrain, [&](int64_t begin, int64_t end) {
        for (int64_t k = begin; k < end; k++) out[k] = convert<D>(convert<C>(out[k]) + c * convert<C>(in[k]));
      });
    });
  });
}

void adamw(const AdamWScalars& s, float* param, const void* grad, int grad_dtype, float* exp_avg,
           float* exp_avg_sq, void* param_copy, int copy_dtype, int64_t count) {
  dispatch_dtype(grad_dtype, [&](auto g) {
    using G = typename decltype(g)::type;
    const G* grads = static_cast<const G*>(grad);
    auto body = [&](auto copy_tag) {
      using P = typename decltype(copy_tag)::type;
      P* copy = static_cast<P*>(param_copy);
      parallel_for(count, kGrain, [&](int64_t begin, int64_t end) {
        for (int64_t k = begin; k < end; k++) {
          float p = param[k], m = exp_avg[k], v = exp_avg_sq[k];
          adamw_element(s, convert<float>(grads[k]), p, m, v);
          param[k] = p;
          exp_avg[k] = m;
          exp_avg_sq[k] = v;
          if constexpr (!std::is_same<P, void>::value) copy[k] = convert<P>(p);
        }
      });
    };
    if (param_copy == nullptr) body(type_tag<void>{});
    else dispatch_dtype(copy_dtype, body);
  });
}

}  // namespace s4j::cpu
