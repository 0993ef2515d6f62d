// CUDA implementations of the fused kernels. The element math is common/kernel_math.h, the same
// the host kernels use; the tests compare both.
#include <cstring>
#include <mutex>
#include <type_traits>

#include "../api/cuda_backend.h"
#include "../common/dispatch.h"
#include "cuda_check.h"

namespace s4j::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kMaxReduceInputs = 32;
// Elements per access: as many as make 16 bytes of the wider type, the widest load a thread
// issues (a 32-byte vector becomes two loads that each touch every other 16 bytes of a warp's
// span, and ran 25% slower on an H200). And the bytes each thread loads before its first store:
// a memory-bound kernel needs many bytes in flight per SM to approach the device's bandwidth;
// one load at a time per thread leaves it latency bound.
template <class D, class S>
constexpr int vec_width() {
  return 16 / (int)(sizeof(D) > sizeof(S) ? sizeof(D) : sizeof(S));
}
constexpr int kBytesInFlight = 128;
constexpr int kScalarsInFlight = 8;
template <class T, int W>
constexpr int vectors_in_flight() {
  return kBytesInFlight / (W * (int)sizeof(T)) > 0 ? kBytesInFlight / (W * (int)sizeof(T)) : 1;
}
// Elements one block of a copy plan handles: a tile is split into parts of this size so that a
// plan launches many short blocks and the last wave of blocks is a small fraction of the run.
constexpr int64_t kPartElements = 1 << 14;
constexpr int kPartsPerTile = (int)(kTileElements / kPartElements);
static_assert(kTileElements % kPartElements == 0, "tiles split into whole parts");

cudaStream_t as_cuda(s4j_stream_t stream) { return reinterpret_cast<cudaStream_t>(stream); }

// N elements moved by one aligned access.
template <class T, int N>
struct alignas(sizeof(T) * N) Vec {
  T x[N];
};

template <class T, int N>
__host__ __device__ __forceinline__ bool vec_aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % sizeof(Vec<T, N>) == 0;
}

// The NW 32-bit words that start byte_shift bytes into the 2*NW words of a then b (byte_shift <
// 4 * NW): the aligned window of a source that is not aligned like its destination.
template <int NW>
__device__ __forceinline__ void shifted_words(const uint32_t (&a)[NW], const uint32_t (&b)[NW], int byte_shift,
                                              uint32_t (&out)[NW]) {
  uint32_t w[2 * NW];
#pragma unroll
  for (int i = 0; i < NW; i++) {
    w[i] = a[i];
    w[NW + i] = b[i];
  }
  const int q = byte_shift / 4;
  const unsigned bits = 8u * (unsigned)(byte_shift % 4);
#pragma unroll
  for (int i = 0; i < NW; i++) {
    uint32_t lo = w[i], hi = w[i + 1];
#pragma unroll
    for (int s = 1; s < NW; s++) {
      if (q == s) {
        lo = w[i + s];
        hi = w[i + s + 1];
      }
    }
    out[i] = __funnelshift_r(lo, hi, bits);
  }
}

template <class T, int N>
__device__ __forceinline__ void as_words(const Vec<T, N>& v, uint32_t (&w)[sizeof(Vec<T, N>) / 4]) {
  ::memcpy(w, &v, sizeof(v));
}

// A vector of source elements, each converted and scaled.
template <class D, class S, bool Scaled, int W>
__device__ __forceinline__ Vec<D, W> converted(const Vec<S, W>& x, compute_t<D, S> c) {
  Vec<D, W> o;
#pragma unroll
  for (int k = 0; k < W; k++) o.x[k] = scaled_convert<D, S, Scaled>(x.x[k], c);
  return o;
}

// Copies count elements, converting and scaling, as the block's threads. The destination is
// written in aligned vectors of W after a few elements that align it; the source is read in
// aligned vectors too: as they are when it is aligned like the destination, else two per output
// vector, shifted into place in registers (most segments of a pack or unpack start at odd
// offsets, and element accesses of 2 bytes cost a fifth of the bandwidth). Each thread loads a
// batch before it stores. Every load stays inside the source's count elements.
template <class D, class S, bool Scaled>
__device__ void copy_range(const S* src, D* dst, int64_t count, compute_t<D, S> c) {
  constexpr int W = vec_width<D, S>();
  constexpr int NW = (int)sizeof(Vec<S, W>) / 4;
  static_assert(sizeof(Vec<S, W>) % 4 == 0, "source vectors are whole words");
  const int64_t dst_phase = (int64_t)((reinterpret_cast<uintptr_t>(dst) / sizeof(D)) % W);
  int64_t start = (W - dst_phase) % W;  // first element where dst is aligned
  if (start > count) start = count;
  const int shift = (int)((reinterpret_cast<uintptr_t>(src + start) / sizeof(S)) % W);
  if (shift > 0 && start < shift) start += W;  // the first source vector starts at start - shift >= 0
  if (start > count) start = count;
  // Vectors whose loads (one block, or two when shifted) end inside the source.
  int64_t vectors = (count - start) / W;
  if (shift > 0) {
    const int64_t fit = (count - start + shift) / W - 1;
    if (fit < vectors) vectors = fit > 0 ? fit : 0;
  }
  const Vec<S, W>* in = reinterpret_cast<const Vec<S, W>*>(src + start - shift);
  Vec<D, W>* out = reinterpret_cast<Vec<D, W>*>(dst + start);
  if (shift == 0) {
    constexpr int kBatch = vectors_in_flight<S, W>();
    for (int64_t base = threadIdx.x; base < vectors; base += (int64_t)blockDim.x * kBatch) {
      Vec<S, W> buf[kBatch];
#pragma unroll
      for (int u = 0; u < kBatch; u++) {
        const int64_t v = base + (int64_t)u * blockDim.x;
        if (v < vectors) buf[u] = in[v];
      }
#pragma unroll
      for (int u = 0; u < kBatch; u++) {
        const int64_t v = base + (int64_t)u * blockDim.x;
        if (v < vectors) out[v] = converted<D, S, Scaled>(buf[u], c);
      }
    }
  } else {
    constexpr int kBatch = vectors_in_flight<S, W>() / 2 > 0 ? vectors_in_flight<S, W>() / 2 : 1;
    const int byte_shift = shift * (int)sizeof(S);
    for (int64_t base = threadIdx.x; base < vectors; base += (int64_t)blockDim.x * kBatch) {
      Vec<S, W> lo[kBatch], hi[kBatch];
#pragma unroll
      for (int u = 0; u < kBatch; u++) {
        const int64_t v = base + (int64_t)u * blockDim.x;
        if (v < vectors) {
          lo[u] = in[v];
          hi[u] = in[v + 1];
        }
      }
#pragma unroll
      for (int u = 0; u < kBatch; u++) {
        const int64_t v = base + (int64_t)u * blockDim.x;
        if (v < vectors) {
          uint32_t a[NW], b[NW], w[NW];
          as_words(lo[u], a);
          as_words(hi[u], b);
          shifted_words<NW>(a, b, byte_shift, w);
          Vec<S, W> x;
          ::memcpy(&x, w, sizeof(x));
          out[v] = converted<D, S, Scaled>(x, c);
        }
      }
    }
  }
  // The elements before start and after the vectors, one by one.
  const int64_t tail = start + vectors * W;
  for (int64_t k = threadIdx.x; k < start; k += blockDim.x) dst[k] = scaled_convert<D, S, Scaled>(src[k], c);
  for (int64_t base = tail + threadIdx.x; base < count; base += (int64_t)blockDim.x * kScalarsInFlight) {
    S buf[kScalarsInFlight];
#pragma unroll
    for (int u = 0; u < kScalarsInFlight; u++) {
      const int64_t k = base + (int64_t)u * blockDim.x;
      if (k < count) buf[u] = src[k];
    }
#pragma unroll
    for (int u = 0; u < kScalarsInFlight; u++) {
      const int64_t k = base + (int64_t)u * blockDim.x;
      if (k < count) dst[k] = scaled_convert<D, S, Scaled>(buf[u], c);
    }
  }
}

template <class D, class S, bool Scaled>
__device__ void copy_tile(const Segment& seg, int64_t begin, int64_t count, double scale) {
  copy_range<D, S, Scaled>(reinterpret_cast<const S*>(seg.src) + begin, reinterpret_cast<D*>(seg.dst) + begin,
                           count, (compute_t<D, S>)scale);
}

template <class D>
__device__ void zero_tile(const Segment& seg, int64_t begin, int64_t count) {
  D* dst = reinterpret_cast<D*>(seg.dst) + begin;
  for (int64_t k = threadIdx.x; k < count; k += blockDim.x) dst[k] = convert<D>(0.0f);
}

// Calls f(type_tag<T>{}) for a float dtype code, on the device.
template <class F>
__device__ void float_dispatch(int dtype, F&& f) {
  switch (dtype) {
    case S4J_F32: f(type_tag<float>{}); break;
    case S4J_BF16: f(type_tag<bf16>{}); break;
    case S4J_F16: f(type_tag<f16>{}); break;
    default: f(type_tag<double>{}); break;
  }
}

// float_dispatch without fp64, on the host.
template <class F>
void half_or_float_dispatch(int dtype, F&& f) {
  switch (dtype) {
    case S4J_BF16: f(type_tag<bf16>{}); break;
    case S4J_F16: f(type_tag<f16>{}); break;
    default: f(type_tag<float>{}); break;
  }
}

// One part of a segment: kPartsPerTile blocks per tile, so a block never searches; false for the
// blocks past the end of a short tile.
__device__ __forceinline__ bool locate_part(const Tile* tiles, int& segment, int64_t& begin, int64_t& count) {
  const Tile tile = tiles[blockIdx.x / kPartsPerTile];
  const int64_t first = (blockIdx.x % kPartsPerTile) * kPartElements;
  if (first >= tile.count) return false;
  segment = tile.segment;
  begin = tile.begin + first;
  count = tile.count - first < kPartElements ? tile.count - first : kPartElements;
  return true;
}

template <class D, class S>
__device__ __forceinline__ void run_part(const Segment& seg, int64_t begin, int64_t count, double scale) {
  if (seg.src == 0) zero_tile<D>(seg, begin, count);
  else if (scale == 1.0) copy_tile<D, S, false>(seg, begin, count, scale);
  else copy_tile<D, S, true>(seg, begin, count, scale);
}

// For plans whose segments all convert S to D (or write zeros of D): the common case, compiled
// on its own so that its register use, and so the blocks resident per SM, are its own.
template <class D, class S>
__global__ void __launch_bounds__(kThreads, 3) typed_plan_kernel(const Segment* segments, const Tile* tiles, double scale) {
  int segment;
  int64_t begin, count;
  if (!locate_part(tiles, segment, begin, count)) return;
  run_part<D, S>(segments[segment], begin, count, scale);
}

// For plans that mix dtype pairs: each block dispatches on its segment's.
__global__ void mixed_plan_kernel(const Segment* segments, const Tile* tiles, double scale) {
  int segment;
  int64_t begin, count;
  if (!locate_part(tiles, segment, begin, count)) return;
  const Segment seg = segments[segment];
  float_dispatch(seg.dst_dtype, [&](auto d) {
    float_dispatch(seg.src_dtype, [&](auto s) {
      run_part<typename decltype(d)::type, typename decltype(s)::type>(seg, begin, count, scale);
    });
  });
}

struct ReduceBuffers {
  uint64_t src[kMaxReduceInputs];
  uint64_t dst[kMaxReduceInputs];
};

// The reduction of N consecutive elements at vector index k of every input (N = W: one vector
// access per input; N = 1: one element).
template <class D, class S, int N>
__device__ __forceinline__ void reduce_at(const ReduceBuffers& b, int n, int n_dst, int64_t k, int op,
                                          double premul, double postmul) {
  using A = accumulate_t<S>;
  const bool pre = premul != 1.0, post = postmul != 1.0;
  const A pre_a = convert<A>(premul), post_a = convert<A>(postmul);  // integers: truncated, saturated
  A acc[N];
  Vec<S, N> x = reinterpret_cast<const Vec<S, N>*>(b.src[0])[k];
#pragma unroll
  for (int j = 0; j < N; j++) acc[j] = pre ? mul(convert<A>(x.x[j]), pre_a) : convert<A>(x.x[j]);
  // Unrolled so that the loads of several inputs are in flight together.
#pragma unroll 4
  for (int i = 1; i < n; i++) {
    x = reinterpret_cast<const Vec<S, N>*>(b.src[i])[k];
#pragma unroll
    for (int j = 0; j < N; j++) {
      const A y = convert<A>(x.x[j]);
      acc[j] = combine<A>(op, acc[j], pre ? mul(y, pre_a) : y);
    }
  }
  Vec<D, N> out;
#pragma unroll
  for (int j = 0; j < N; j++) out.x[j] = convert<D>(post ? mul(acc[j], post_a) : acc[j]);
  for (int d = 0; d < n_dst; d++) reinterpret_cast<Vec<D, N>*>(b.dst[d])[k] = out;
}

// Vectors of W where every buffer is aligned for them, then the elements left. Only reductions
// that keep the dtype (the ones collectives run) have the vector path: it is most of the code.
template <class D, class S>
__global__ void reduce_kernel(ReduceBuffers inputs, int n, int n_dst, int64_t count, bool vectorized, int op,
                              double premul, double postmul) {
  const int64_t first = blockIdx.x * (int64_t)blockDim.x + threadIdx.x, stride = (int64_t)gridDim.x * blockDim.x;
  int64_t done = 0;
  if constexpr (std::is_same<D, S>::value) {
    constexpr int W = vec_width<D, S>();
    if (vectorized) {
      const int64_t vectors = count / W;
      for (int64_t v = first; v < vectors; v += stride) reduce_at<D, S, W>(inputs, n, n_dst, v, op, premul, postmul);
      done = vectors * W;
    }
  }
  for (int64_t k = done + first; k < count; k += stride) reduce_at<D, S, 1>(inputs, n, n_dst, k, op, premul, postmul);
}

template <class D, class S, int N>
__device__ __forceinline__ void accumulate_at(D* dst, const S* src, int64_t k, compute_t<D, S> c) {
  using C = compute_t<D, S>;
  Vec<D, N> a = reinterpret_cast<const Vec<D, N>*>(dst)[k];
  const Vec<S, N> x = reinterpret_cast<const Vec<S, N>*>(src)[k];
#pragma unroll
  for (int j = 0; j < N; j++) a.x[j] = convert<D>(convert<C>(a.x[j]) + c * convert<C>(x.x[j]));
  reinterpret_cast<Vec<D, N>*>(dst)[k] = a;
}

template <class D, class S>
__global__ void accumulate_kernel(D* dst, const S* src, int64_t count, bool vectorized, double scale) {
  using C = compute_t<D, S>;
  const C c = (C)scale;
  const int64_t first = blockIdx.x * (int64_t)blockDim.x + threadIdx.x, stride = (int64_t)gridDim.x * blockDim.x;
  int64_t done = 0;
  constexpr int W = vec_width<D, S>();
  if (vectorized) {
    const int64_t vectors = count / W;
    for (int64_t v = first; v < vectors; v += stride) accumulate_at<D, S, W>(dst, src, v, c);
    done = vectors * W;
  }
  for (int64_t k = done + first; k < count; k += stride) accumulate_at<D, S, 1>(dst, src, k, c);
}

template <class G, class P>
__global__ void adamw_kernel(AdamWScalars s, float* param, const G* grad, float* exp_avg,
                             float* exp_avg_sq, P* copy, int64_t count) {
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < count;
       k += (int64_t)gridDim.x * blockDim.x) {
    float p = param[k], m = exp_avg[k], v = exp_avg_sq[k];
    adamw_element(s, convert<float>(grad[k]), p, m, v);
    param[k] = p;
    exp_avg[k] = m;
    exp_avg_sq[k] = v;
    if (copy != nullptr) copy[k] = convert<P>(p);
  }
}

unsigned grid_for(int64_t n) {
  int64_t blocks = (n + kThreads - 1) / kThreads;
  return (unsigned)(blocks < 65535 * 8 ? (blocks > 0 ? blocks : 1) : 65535 * 8);
}

}  // namespace

namespace {

// The stream on which plans are uploaded and freed, one per device for the life of the process:
// a plan then neither waits for nor holds on to any stream of the caller's (which may be closed
// before the plan is).
int plan_stream(int device, cudaStream_t* out) {
  constexpr int kMaxDevices = 128;
  static std::mutex mutex;
  static cudaStream_t streams[kMaxDevices] = {};
  S4J_REQUIRE(device >= 0 && device < kMaxDevices, "CUDA device %d is out of range", device);
  std::lock_guard<std::mutex> lock(mutex);
  if (streams[device] == nullptr) {
    S4J_CUDA(cudaStreamCreateWithFlags(&streams[device], cudaStreamNonBlocking));
  }
  *out = streams[device];
  return S4J_OK;
}

cudaEvent_t as_event(void* event) { return reinterpret_cast<cudaEvent_t>(event); }

int upload_on_plan_stream(s4j_plan_s& plan) {
  S4J_CUDA(make_current(plan.device));
  cudaStream_t stream;
  S4J_TRY(plan_stream(plan.device, &stream));
  cudaEvent_t ready;
  S4J_CUDA(cudaEventCreateWithFlags(&ready, cudaEventDisableTiming));
  plan.ready = ready;
  cudaEvent_t last_use;
  S4J_CUDA(cudaEventCreateWithFlags(&last_use, cudaEventDisableTiming));
  plan.last_use = last_use;
  size_t seg_bytes = plan.segments.size() * sizeof(Segment);
  size_t tiles_at = (seg_bytes + 255) / 256 * 256;
  size_t tile_bytes = plan.tiles.size() * sizeof(Tile);
  S4J_CUDA(cudaMallocAsync(&plan.device_memory, tiles_at + tile_bytes, stream));
  plan.device_segments = plan.device_memory;
  plan.device_tiles = static_cast<char*>(plan.device_memory) + tiles_at;
  // From pageable memory an async copy stages the bytes before it returns, without waiting for
  // the device; the vectors live with the plan anyway.
  S4J_CUDA(cudaMemcpyAsync(plan.device_segments, plan.segments.data(), seg_bytes, cudaMemcpyHostToDevice, stream));
  S4J_CUDA(cudaMemcpyAsync(plan.device_tiles, plan.tiles.data(), tile_bytes, cudaMemcpyHostToDevice, stream));
  S4J_CUDA(cudaEventRecord(ready, stream));
  return S4J_OK;
}

}  // namespace

// cudaMalloc, cudaMemcpy and cudaFree each wait for the device: a plan made or freed per gather
// or per reduce would then stall the host behind every kernel queued before it, and the host
// could no longer run ahead of the device. Everything here is stream-ordered instead.
int plan_upload(s4j_plan_s& plan) {
  int status = upload_on_plan_stream(plan);
  if (status != S4J_OK) (void)plan_release(plan);
  plan.uniform_dst_dtype = plan.segments.empty() ? -1 : plan.segments[0].dst_dtype;
  plan.uniform_src_dtype = -1;
  for (const Segment& seg : plan.segments) {
    if (seg.dst_dtype != plan.uniform_dst_dtype) plan.uniform_dst_dtype = -1;
    if (seg.src == 0) continue;
    if (plan.uniform_src_dtype == -1) plan.uniform_src_dtype = seg.src_dtype;
    else if (seg.src_dtype != plan.uniform_src_dtype) plan.uniform_dst_dtype = -1;
  }
  if (plan.uniform_src_dtype == -1) plan.uniform_src_dtype = plan.uniform_dst_dtype;  // zeros only
  return status;
}

int plan_release(s4j_plan_s& plan) {
  if (plan.device_memory == nullptr && plan.ready == nullptr && plan.last_use == nullptr) return S4J_OK;
  S4J_CUDA(make_current(plan.device));
  cudaStream_t stream;
  S4J_TRY(plan_stream(plan.device, &stream));
  if (plan.device_memory != nullptr) {
    // Freed once the latest run is over (an event never recorded counts as reached).
    if (plan.last_use != nullptr) S4J_CUDA(cudaStreamWaitEvent(stream, as_event(plan.last_use), 0));
    S4J_CUDA(cudaFreeAsync(plan.device_memory, stream));
  }
  // Destroying a pending event is legal: its resources go once it is reached.
  if (plan.ready != nullptr) S4J_CUDA(cudaEventDestroy(as_event(plan.ready)));
  if (plan.last_use != nullptr) S4J_CUDA(cudaEventDestroy(as_event(plan.last_use)));
  plan.device_memory = plan.device_segments = plan.device_tiles = nullptr;
  plan.ready = plan.last_use = nullptr;
  return S4J_OK;
}

int plan_run(const s4j_plan_s& plan, double scale, s4j_stream_t stream) {
  S4J_CUDA(make_current(plan.device));
  S4J_CUDA(cudaStreamWaitEvent(as_cuda(stream), as_event(plan.ready), 0));
  const unsigned blocks = (unsigned)(plan.tiles.size() * kPartsPerTile);
  const auto* segments = static_cast<const Segment*>(plan.device_segments);
  const auto* tiles = static_cast<const Tile*>(plan.device_tiles);
  // fp64 plans are rare: they take the mixed kernel rather than four more compiled copies.
  if (plan.uniform_dst_dtype < 0 || plan.uniform_dst_dtype == S4J_F64 || plan.uniform_src_dtype == S4J_F64) {
    mixed_plan_kernel<<<blocks, kThreads, 0, as_cuda(stream)>>>(segments, tiles, scale);
  } else {
    half_or_float_dispatch(plan.uniform_dst_dtype, [&](auto d) {
      half_or_float_dispatch(plan.uniform_src_dtype, [&](auto s) {
        typed_plan_kernel<typename decltype(d)::type, typename decltype(s)::type>
            <<<blocks, kThreads, 0, as_cuda(stream)>>>(segments, tiles, scale);
      });
    });
  }
  S4J_CUDA(cudaGetLastError());
  S4J_CUDA(cudaEventRecord(as_event(plan.last_use), as_cuda(stream)));
  return S4J_OK;
}

int reduce(int device, s4j_stream_t stream, int n, const uint64_t* srcs, int src_dtype, int n_dst,
           const uint64_t* dsts, int dst_dtype, int64_t count, int op, double premul, double postmul) {
  S4J_REQUIRE(n <= kMaxReduceInputs && n_dst <= kMaxReduceInputs,
              "s4j_reduce: %d inputs and %d outputs, CUDA takes at most %d of each", n, n_dst, kMaxReduceInputs);
  S4J_CUDA(make_current(device));
  ReduceBuffers inputs{};
  for (int i = 0; i < n; i++) inputs.src[i] = srcs[i];
  for (int j = 0; j < n_dst; j++) inputs.dst[j] = dsts[j];
  dispatch_dtype(dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    dispatch_dtype(src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      bool vectorized = std::is_same<D, S>::value;
      constexpr int W = vec_width<D, S>();
      for (int i = 0; i < n; i++) vectorized &= srcs[i] % sizeof(Vec<S, W>) == 0;
      for (int j = 0; j < n_dst; j++) vectorized &= dsts[j] % sizeof(Vec<D, W>) == 0;
      reduce_kernel<D, S><<<grid_for(vectorized ? count / W : count), kThreads, 0, as_cuda(stream)>>>(
          inputs, n, n_dst, count, vectorized, op, premul, postmul);
    });
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int accumulate(int device, s4j_stream_t stream, void* dst, int dst_dtype, const void* src, int src_dtype,
               int64_t count, double scale) {
  S4J_CUDA(make_current(device));
  dispatch_dtype(dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    dispatch_dtype(src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      if constexpr (is_floating<D>::value && is_floating<S>::value) {
        constexpr int W = vec_width<D, S>();
        const bool vectorized = vec_aligned<D, W>(dst) && vec_aligned<S, W>(src);
        accumulate_kernel<D, S><<<grid_for(vectorized ? count / W : count), kThreads, 0, as_cuda(stream)>>>(
            static_cast<D*>(dst), static_cast<const S*>(src), count, vectorized, scale);
      }
    });
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int adamw(int device, s4j_stream_t stream, const AdamWScalars& s, float* param, const void* grad,
          int grad_dtype, float* exp_avg, float* exp_avg_sq, void* param_copy, int copy_dtype,
          int64_t count) {
  S4J_CUDA(make_current(device));
  auto launch = [&](auto g, auto p) {
    using G = typename decltype(g)::type;
    using P = typename decltype(p)::type;
    adamw_kernel<G, P><<<grid_for(count), kThreads, 0, as_cuda(stream)>>>(
        s, param, static_cast<const G*>(grad), exp_avg, exp_avg_sq, static_cast<P*>(param_copy), count);
  };
  auto with_grad = [&](auto g) {
    if (param_copy == nullptr || copy_dtype == S4J_F32) launch(g, type_tag<float>{});
    else if (copy_dtype == S4J_BF16) launch(g, type_tag<bf16>{});
    else launch(g, type_tag<f16>{});
  };
  if (grad_dtype == S4J_BF16) with_grad(type_tag<bf16>{});
  else with_grad(type_tag<float>{});
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

}  // namespace s4j::cuda
