// The hot loops of the host kernels. Included once by each of loops_base.cpp, loops_avx2.cpp and
// loops_avx512.cpp, which compile it for their instruction set; kernels_cpu.cpp picks the best
// table for the CPU at run time. Everything here has internal linkage (static functions in an
// anonymous namespace) except the one table this file defines, so no code compiled for a wider
// instruction set can be shared with another translation unit.
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "../common/dispatch.h"
#include "../common/gelu.h"
#include "../common/kernel_math.h"
#include "loops_table.h"

#ifndef S4J_CPU_ISA
#error "define S4J_CPU_ISA before including loops.h"
#endif

namespace s4j::cpu {
namespace {

// Bytes from p to the next multiple of align (0 when p is on one).
size_t bytes_to_boundary(const void* p, size_t align) {
  return (align - reinterpret_cast<uintptr_t>(p) % align) % align;
}

// memcpy, or with streaming stores when asked: the widest aligned stores of the instruction set
// this file is compiled for, from the destination's first boundary on, with unaligned loads (a
// segment's source is rarely aligned like its destination).
void store_block(void* dst, const void* src, size_t bytes, bool streaming) {
#if defined(__x86_64__)
  if (streaming) {
#if defined(__AVX512F__)
    using Vec = __m512i;
#elif defined(__AVX__)
    using Vec = __m256i;
#else
    using Vec = __m128i;
#endif
    char* d = static_cast<char*>(dst);
    const char* s = static_cast<const char*>(src);
    size_t head = bytes_to_boundary(d, sizeof(Vec));
    if (head > bytes) head = bytes;
    memcpy(d, s, head);
    const size_t vectors = (bytes - head) / sizeof(Vec);
    Vec* dv = reinterpret_cast<Vec*>(d + head);
    const Vec* sv = reinterpret_cast<const Vec*>(s + head);
    for (size_t i = 0; i < vectors; i++) {
#if defined(__AVX512F__)
      _mm512_stream_si512(dv + i, _mm512_loadu_si512(sv + i));
#elif defined(__AVX__)
      _mm256_stream_si256(dv + i, _mm256_loadu_si256(sv + i));
#else
      _mm_stream_si128(dv + i, _mm_loadu_si128(sv + i));
#endif
    }
    const size_t done = head + vectors * sizeof(Vec);
    memcpy(d + done, s + done, bytes - done);
    return;
  }
#endif
  (void)streaming;
  memcpy(dst, src, bytes);
}

// Elements converted at a time into a buffer on the stack before a streaming store: small enough
// to stay in L1 between the two passes.
constexpr int64_t kStreamBlock = 512;

template <class D, class S, bool Scaled>
void convert_loop(D* __restrict dst, const S* __restrict src, int64_t n, compute_t<D, S> scale, bool streaming) {
  if constexpr (std::is_same<D, S>::value && !Scaled) {
    store_block(dst, src, (size_t)n * sizeof(D), streaming);
  } else {
    if (!streaming) {
      for (int64_t i = 0; i < n; i++) dst[i] = scaled_convert<D, S, Scaled>(src[i], scale);
      return;
    }
    alignas(64) D block[kStreamBlock];
    for (int64_t b = 0; b < n; b += kStreamBlock) {
      const int64_t m = n - b < kStreamBlock ? n - b : kStreamBlock;
      for (int64_t i = 0; i < m; i++) block[i] = scaled_convert<D, S, Scaled>(src[b + i], scale);
      store_block(dst + b, block, (size_t)m * sizeof(D), true);
    }
  }
}

void convert_any(int dst_dtype, int src_dtype, void* dst, const void* src, int64_t n, double scale,
                 bool streaming) {
  dispatch_dtype(dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    if (src == nullptr) {
      memset(dst, 0, (size_t)n * sizeof(D));  // +0.0 is all zero bits in every float type
      return;
    }
    dispatch_dtype(src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      using C = compute_t<D, S>;
      if (scale == 1.0) {
        convert_loop<D, S, false>(static_cast<D*>(dst), static_cast<const S*>(src), n, C(1), streaming);
      } else {
        convert_loop<D, S, true>(static_cast<D*>(dst), static_cast<const S*>(src), n, (C)scale, streaming);
      }
    });
  });
}

// Outputs larger than this (bytes written by one call) bypass the cache: streaming stores skip the
// read that an ordinary store makes of every line it writes, and such outputs do not fit anyway.
constexpr int64_t kStreamingBytes = 1 << 20;

// Makes streaming stores visible before whatever the caller does next (a barrier, say).
void streaming_done(bool streaming) {
#if defined(__x86_64__)
  if (streaming) _mm_sfence();
#endif
  (void)streaming;
}

// outputs = in[0] + in[1] + ... (in that order, as the blocked reduce below adds) over [0, count)
// in one pass: N loads, N - 1 adds and a streaming store to each output per vector, where the
// blocked reduce reads each block back from L1 to store it. Only when every output is aligned like
// the first (the usual case); false leaves the work undone.
template <int N>
bool sum_streaming(const float* const* in, int n_dst, float* const* outs, int64_t count) {
#if defined(__x86_64__) && (defined(__AVX512F__) || defined(__AVX__))
#if defined(__AVX512F__)
  using V = __m512;
  auto load = [](const float* x) { return _mm512_loadu_ps(x); };
  auto add = [](V x, V y) { return _mm512_add_ps(x, y); };
  auto stream = [](float* to, V v) { _mm512_stream_ps(to, v); };
#else
  using V = __m256;
  auto load = [](const float* x) { return _mm256_loadu_ps(x); };
  auto add = [](V x, V y) { return _mm256_add_ps(x, y); };
  auto stream = [](float* to, V v) { _mm256_stream_ps(to, v); };
#endif
  constexpr int64_t W = sizeof(V) / sizeof(float);
  const size_t head_bytes = bytes_to_boundary(outs[0], sizeof(V));
  if (head_bytes % sizeof(float) != 0) return false;
  for (int j = 1; j < n_dst; j++) {
    if (bytes_to_boundary(outs[j], sizeof(V)) != head_bytes) return false;
  }
  auto scalar = [&](int64_t k) {
    float x = in[0][k];
    for (int i = 1; i < N; i++) x += in[i][k];
    for (int j = 0; j < n_dst; j++) outs[j][k] = x;
  };
  int64_t head = (int64_t)(head_bytes / sizeof(float));
  if (head > count) head = count;
  int64_t k = 0;
  for (; k < head; k++) scalar(k);
  for (; k + W <= count; k += W) {
    V v = load(in[0] + k);
    for (int i = 1; i < N; i++) v = add(v, load(in[i] + k));
    for (int j = 0; j < n_dst; j++) stream(outs[j] + k, v);
  }
  for (; k < count; k++) scalar(k);
  return true;
#else
  (void)in, (void)n_dst, (void)outs, (void)count;
  return false;
#endif
}

bool sum_streaming(int n, const float* const* in, int n_dst, float* const* outs, int64_t count) {
  switch (n) {
    case 2: return sum_streaming<2>(in, n_dst, outs, count);
    case 3: return sum_streaming<3>(in, n_dst, outs, count);
    case 4: return sum_streaming<4>(in, n_dst, outs, count);
    case 8: return sum_streaming<8>(in, n_dst, outs, count);
    default: return false;
  }
}

// Reductions work block by block: the block's result is accumulated in L1 from every input, then
// written to each output. All reads of a block happen before its writes, so an output may be one
// of the inputs exactly (in-place collectives).
constexpr int64_t kReduceBlock = 1024;

// acc[k] = sum of the N inputs at k, one pass over them (the common case).
template <int N, class A, class S>
void sum_block(const void* const* srcs, int64_t at, int64_t m, A* acc) {
  const S* in[N];
  for (int i = 0; i < N; i++) in[i] = static_cast<const S*>(srcs[i]) + at;
#pragma GCC ivdep
  for (int64_t k = 0; k < m; k++) {
    A x = convert<A>(in[0][k]);
    for (int i = 1; i < N; i++) x = add(x, convert<A>(in[i][k]));
    acc[k] = x;
  }
}

template <class A, class S>
void combine_block(int n, const void* const* srcs, int64_t at, int64_t m, A* acc, int op, bool pre,
                   A pre_a) {
  if (op == S4J_OP_SUM && !pre) {
    switch (n) {
      case 1: sum_block<1, A, S>(srcs, at, m, acc); return;
      case 2: sum_block<2, A, S>(srcs, at, m, acc); return;
      case 3: sum_block<3, A, S>(srcs, at, m, acc); return;
      case 4: sum_block<4, A, S>(srcs, at, m, acc); return;
      case 8: sum_block<8, A, S>(srcs, at, m, acc); return;
      default: break;
    }
  }
  const S* s0 = static_cast<const S*>(srcs[0]) + at;
#pragma GCC ivdep
  for (int64_t k = 0; k < m; k++) {
    A x = convert<A>(s0[k]);
    acc[k] = pre ? mul(x, pre_a) : x;
  }
  for (int i = 1; i < n; i++) {
    const S* si = static_cast<const S*>(srcs[i]) + at;
    if (op == S4J_OP_SUM && !pre) {
#pragma GCC ivdep
      for (int64_t k = 0; k < m; k++) acc[k] = add(acc[k], convert<A>(si[k]));
    } else {
#pragma GCC ivdep
      for (int64_t k = 0; k < m; k++) {
        A x = convert<A>(si[k]);
        acc[k] = combine<A>(op, acc[k], pre ? mul(x, pre_a) : x);
      }
    }
  }
}

template <class D, class S>
void reduce_loop(int n, const void* const* srcs, int n_dst, void* const* dsts, int64_t begin, int64_t end, int op,
                 double premul, double postmul) {
  using A = accumulate_t<S>;
  const bool pre = premul != 1.0, post = postmul != 1.0;
  const A pre_a = convert<A>(premul), post_a = convert<A>(postmul);  // integers: truncated, saturated
  if constexpr (std::is_same<D, S>::value) {
    if (n == 1 && op == S4J_OP_SUM && !pre && !post) {
      // A copy: keep every bit, NaN payloads too. Block by block, so that the source is read from
      // memory once however many destinations there are.
      constexpr int64_t kCopyBlock = 16384 / sizeof(D);
      const bool streaming = (end - begin) * (int64_t)sizeof(D) * n_dst >= kStreamingBytes;
      for (int64_t b = begin; b < end; b += kCopyBlock) {
        const int64_t m = end - b < kCopyBlock ? end - b : kCopyBlock;
        const void* from = static_cast<const S*>(srcs[0]) + b;
        for (int j = 0; j < n_dst; j++) {
          void* to = static_cast<D*>(dsts[j]) + b;
          if (to != from) store_block(to, from, (size_t)m * sizeof(D), streaming);
        }
      }
      streaming_done(streaming);
      return;
    }
  }
  alignas(64) A acc[kReduceBlock];
  alignas(64) D result[kReduceBlock];
  // In place the outputs' lines were just read, so ordinary stores are cheaper there. Elsewhere a
  // large output streams, a single one too: an ordinary store first reads every line it writes.
  bool in_place = false;
  for (int j = 0; j < n_dst; j++) {
    for (int i = 0; i < n; i++) in_place = in_place || dsts[j] == srcs[i];
  }
  const bool streaming = !in_place && (end - begin) * (int64_t)sizeof(D) * n_dst >= kStreamingBytes;
  if constexpr (std::is_same<D, float>::value && std::is_same<S, float>::value) {
    constexpr int kMaxStreams = 8;
    if (op == S4J_OP_SUM && !pre && !post && streaming && n <= kMaxStreams && n_dst <= kMaxStreams) {
      const float* in[kMaxStreams] = {};
      float* outs[kMaxStreams] = {};
      for (int i = 0; i < n; i++) in[i] = static_cast<const float*>(srcs[i]) + begin;
      for (int j = 0; j < n_dst; j++) outs[j] = static_cast<float*>(dsts[j]) + begin;
      if (sum_streaming(n, in, n_dst, outs, end - begin)) {
        streaming_done(true);
        return;
      }
    }
  }
  for (int64_t b = begin; b < end; b += kReduceBlock) {
    const int64_t m = end - b < kReduceBlock ? end - b : kReduceBlock;
    if constexpr (std::is_same<A, D>::value) {
      // Straight into the output only where every element's inputs are all read before it is
      // written (the plain sums), which keeps an output that is also an input correct.
      const bool plain_sum = op == S4J_OP_SUM && !pre && (n <= 4 || n == 8);
      if (n_dst == 1 && !post && plain_sum && !streaming) {
        combine_block<A, S>(n, srcs, b, m, static_cast<D*>(dsts[0]) + b, op, pre, pre_a);
        continue;
      }
    }
    combine_block<A, S>(n, srcs, b, m, acc, op, pre, pre_a);
    D* first = n_dst == 1 && !streaming ? static_cast<D*>(dsts[0]) + b : result;
#pragma GCC ivdep
    for (int64_t k = 0; k < m; k++) first[k] = convert<D>(post ? mul(acc[k], post_a) : acc[k]);
    if (first == result) {
      for (int j = 0; j < n_dst; j++) store_block(static_cast<D*>(dsts[j]) + b, result, (size_t)m * sizeof(D), streaming);
    }
  }
  streaming_done(streaming);
}

void reduce_any(int n, const void* const* srcs, int src_dtype, int n_dst, void* const* dsts, int dst_dtype,
                int64_t begin, int64_t end, int op, double premul, double postmul) {
  dispatch_dtype(dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    dispatch_dtype(src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      reduce_loop<D, S>(n, srcs, n_dst, dsts, begin, end, op, premul, postmul);
    });
  });
}

template <class D, class S>
void accumulate_loop(D* __restrict dst, const S* __restrict src, int64_t n, compute_t<D, S> c) {
  using C = compute_t<D, S>;
  for (int64_t k = 0; k < n; k++) dst[k] = convert<D>(convert<C>(dst[k]) + c * convert<C>(src[k]));
}

void accumulate_any(void* dst, int dst_dtype, const void* src, int src_dtype, int64_t begin, int64_t end,
                double scale) {
  dispatch_dtype(dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    dispatch_dtype(src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      if constexpr (is_floating<D>::value && is_floating<S>::value) {
        accumulate_loop<D, S>(static_cast<D*>(dst) + begin, static_cast<const S*>(src) + begin, end - begin,
                              (compute_t<D, S>)scale);
      }
    });
  });
}

// P = void: no copy of the updated parameters.
template <class G, class P>
void adamw_loop(const AdamWScalars& s, float* __restrict param, const G* __restrict grad,
                float* __restrict exp_avg, float* __restrict exp_avg_sq, P* __restrict copy, int64_t n) {
  for (int64_t k = 0; k < n; k++) {
    float p = param[k], m = exp_avg[k], v = exp_avg_sq[k];
    adamw_element(s, convert<float>(grad[k]), p, m, v);
    param[k] = p;
    exp_avg[k] = m;
    exp_avg_sq[k] = v;
    if constexpr (!std::is_void<P>::value) copy[k] = convert<P>(p);
  }
}

template <class G>
void adamw_grad(const AdamWScalars& s, float* param, const G* grad, float* m, float* v, void* copy, int copy_dtype,
                int64_t n) {
  if (copy == nullptr) adamw_loop<G, void>(s, param, grad, m, v, nullptr, n);
  else if (copy_dtype == S4J_BF16) adamw_loop<G, bf16>(s, param, grad, m, v, static_cast<bf16*>(copy), n);
  else if (copy_dtype == S4J_F16) adamw_loop<G, f16>(s, param, grad, m, v, static_cast<f16*>(copy), n);
  else adamw_loop<G, float>(s, param, grad, m, v, static_cast<float*>(copy), n);
}

void adamw_any(const AdamWScalars& s, float* param, const void* grad, int grad_dtype, float* m, float* v, void* copy,
           int copy_dtype, int64_t begin, int64_t end) {
  const int64_t n = end - begin;
  void* copy_at = copy == nullptr ? nullptr
                                  : static_cast<char*>(copy) + begin * (int64_t)dtype_size(copy_dtype);
  if (grad_dtype == S4J_BF16) {
    adamw_grad(s, param + begin, static_cast<const bf16*>(grad) + begin, m + begin, v + begin, copy_at, copy_dtype, n);
  } else {
    adamw_grad(s, param + begin, static_cast<const float*>(grad) + begin, m + begin, v + begin, copy_at, copy_dtype, n);
  }
}

// The tensors may be one another (in place): element i reads only index i before it writes it,
// so no iteration depends on another and the loops vectorise without runtime alias checks.
void gelu_loop(const float* in, float* out, int64_t begin, int64_t end) {
#pragma GCC ivdep
  for (int64_t i = begin; i < end; i++) out[i] = gelu_value(in[i]);
}

void gelu_backward_loop(const float* grad_out, const float* in, float* grad_in, int64_t begin, int64_t end) {
#pragma GCC ivdep
  for (int64_t i = begin; i < end; i++) grad_in[i] = gelu_grad(grad_out[i], in[i]);
}

}  // namespace

#define S4J_JOIN2(a, b) a##b
#define S4J_JOIN(a, b) S4J_JOIN2(a, b)
#define S4J_STRING2(a) #a
#define S4J_STRING(a) S4J_STRING2(a)

extern const Loops S4J_JOIN(loops_, S4J_CPU_ISA) = {convert_any, reduce_any, accumulate_any, adamw_any,
                                              gelu_loop, gelu_backward_loop, S4J_STRING(S4J_CPU_ISA)};

}  // namespace s4j::cpu
