// CUDA implementations of the fused kernels. The element math is common/kernel_math.h, the same
// the host kernels use; the tests compare both.
#include "../api/cuda_backend.h"
#include "../common/dispatch.h"
#include "cuda_check.h"

namespace s4j::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int kMaxReduceInputs = 32;

cudaStream_t as_cuda(s4j_stream_t stream) { return reinterpret_cast<cudaStream_t>(stream); }

// Eight elements moved by one aligned access (16 bytes for halves, two for fp32).
template <class T, int V>
struct alignas(sizeof(T) * V) Vec {
  T x[V];
};

template <class D, class S, bool Scaled>
__device__ void copy_tile(const Segment& seg, int64_t begin, int64_t count, double scale) {
  using C = compute_t<D, S>;
  const C c = (C)scale;
  const S* src = reinterpret_cast<const S*>(seg.src) + begin;
  D* dst = reinterpret_cast<D*>(seg.dst) + begin;
  constexpr int V = 8;
  int64_t done = 0;
  if (reinterpret_cast<uintptr_t>(src) % sizeof(Vec<S, V>) == 0 &&
      reinterpret_cast<uintptr_t>(dst) % sizeof(Vec<D, V>) == 0) {
    const int64_t vectors = count / V;
    for (int64_t v = threadIdx.x; v < vectors; v += blockDim.x) {
      Vec<S, V> in = reinterpret_cast<const Vec<S, V>*>(src)[v];
      Vec<D, V> out;
#pragma unroll
      for (int k = 0; k < V; k++) out.x[k] = scaled_convert<D, S, Scaled>(in.x[k], c);
      reinterpret_cast<Vec<D, V>*>(dst)[v] = out;
    }
    done = vectors * V;
  }
  for (int64_t k = done + threadIdx.x; k < count; k += blockDim.x) {
    dst[k] = scaled_convert<D, S, Scaled>(src[k], c);
  }
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

// One block per tile: the tile names its segment, so a block never searches.
__global__ void plan_kernel(const Segment* segments, const Tile* tiles, double scale) {
  const Tile tile = tiles[blockIdx.x];
  const Segment seg = segments[tile.segment];
  float_dispatch(seg.dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    if (seg.src == 0) {
      zero_tile<D>(seg, tile.begin, tile.count);
      return;
    }
    float_dispatch(seg.src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      if (scale == 1.0) copy_tile<D, S, false>(seg, tile.begin, tile.count, scale);
      else copy_tile<D, S, true>(seg, tile.begin, tile.count, scale);
    });
  });
}

struct ReduceBuffers {
  uint64_t src[kMaxReduceInputs];
  uint64_t dst[kMaxReduceInputs];
};

template <class D, class S>
__global__ void reduce_kernel(ReduceBuffers inputs, int n, int n_dst, int64_t count, int op, double premul,
                              double postmul) {
  using A = accumulate_t<S>;
  const bool pre = premul != 1.0, post = postmul != 1.0;
  const A pre_a = (A)premul, post_a = (A)postmul;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < count;
       k += (int64_t)gridDim.x * blockDim.x) {
    A x = convert<A>(reinterpret_cast<const S*>(inputs.src[0])[k]);
    A acc = pre ? x * pre_a : x;
    for (int i = 1; i < n; i++) {
      x = convert<A>(reinterpret_cast<const S*>(inputs.src[i])[k]);
      acc = combine<A>(op, acc, pre ? x * pre_a : x);
    }
    const D result = convert<D>(post ? acc * post_a : acc);
    for (int j = 0; j < n_dst; j++) reinterpret_cast<D*>(inputs.dst[j])[k] = result;
  }
}

template <class D, class S>
__global__ void accumulate_kernel(D* dst, const S* src, int64_t count, double scale) {
  using C = compute_t<D, S>;
  const C c = (C)scale;
  for (int64_t k = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; k < count;
       k += (int64_t)gridDim.x * blockDim.x) {
    dst[k] = convert<D>(convert<C>(dst[k]) + c * convert<C>(src[k]));
  }
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

int plan_upload(s4j_plan_s& plan) {
  S4J_CUDA(cudaSetDevice(plan.device));
  size_t seg_bytes = plan.segments.size() * sizeof(Segment);
  size_t tile_bytes = plan.tiles.size() * sizeof(Tile);
  S4J_CUDA(cudaMalloc(&plan.device_segments, seg_bytes));
  S4J_CUDA(cudaMalloc(&plan.device_tiles, tile_bytes));
  S4J_CUDA(cudaMemcpy(plan.device_segments, plan.segments.data(), seg_bytes, cudaMemcpyHostToDevice));
  S4J_CUDA(cudaMemcpy(plan.device_tiles, plan.tiles.data(), tile_bytes, cudaMemcpyHostToDevice));
  return S4J_OK;
}

int plan_release(s4j_plan_s& plan) {
  if (plan.device_segments == nullptr && plan.device_tiles == nullptr) return S4J_OK;
  S4J_CUDA(cudaSetDevice(plan.device));
  // cudaFree waits for the work that may still read the plan.
  S4J_CUDA(cudaFree(plan.device_segments));
  S4J_CUDA(cudaFree(plan.device_tiles));
  plan.device_segments = plan.device_tiles = nullptr;
  return S4J_OK;
}

int plan_run(const s4j_plan_s& plan, double scale, s4j_stream_t stream) {
  S4J_CUDA(cudaSetDevice(plan.device));
  plan_kernel<<<(unsigned)plan.tiles.size(), kThreads, 0, as_cuda(stream)>>>(
      static_cast<const Segment*>(plan.device_segments), static_cast<const Tile*>(plan.device_tiles), scale);
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int reduce(int device, s4j_stream_t stream, int n, const uint64_t* srcs, int src_dtype, int n_dst,
           const uint64_t* dsts, int dst_dtype, int64_t count, int op, double premul, double postmul) {
  S4J_REQUIRE(n <= kMaxReduceInputs && n_dst <= kMaxReduceInputs,
              "s4j_reduce: %d inputs and %d outputs, CUDA takes at most %d of each", n, n_dst, kMaxReduceInputs);
  S4J_CUDA(cudaSetDevice(device));
  ReduceBuffers inputs{};
  for (int i = 0; i < n; i++) inputs.src[i] = srcs[i];
  for (int j = 0; j < n_dst; j++) inputs.dst[j] = dsts[j];
  dispatch_dtype(dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    dispatch_dtype(src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      reduce_kernel<D, S><<<grid_for(count), kThreads, 0, as_cuda(stream)>>>(
          inputs, n, n_dst, count, op, premul, postmul);
    });
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int accumulate(int device, s4j_stream_t stream, void* dst, int dst_dtype, const void* src, int src_dtype,
               int64_t count, double scale) {
  S4J_CUDA(cudaSetDevice(device));
  dispatch_dtype(dst_dtype, [&](auto d) {
    using D = typename decltype(d)::type;
    dispatch_dtype(src_dtype, [&](auto s) {
      using S = typename decltype(s)::type;
      if constexpr (is_floating<D>::value && is_floating<S>::value) {
        accumulate_kernel<D, S><<<grid_for(count), kThreads, 0, as_cuda(stream)>>>(
            static_cast<D*>(dst), static_cast<const S*>(src), count, scale);
      }
    });
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int adamw(int device, s4j_stream_t stream, const AdamWScalars& s, float* param, const void* grad,
          int grad_dtype, float* exp_avg, float* exp_avg_sq, void* param_copy, int copy_dtype,
          int64_t count) {
  S4J_CUDA(cudaSetDevice(device));
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
