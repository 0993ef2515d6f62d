// CUDA kernels of the token + position embedding. The backward gives each thread one channel of
// one slice of the vocabulary: it walks every position in order and adds those whose token falls
// in its slice, so repeated tokens sum in position order, as on the host (the same bits), with no
// atomics. Device tokens cannot be checked first: an out-of-range token makes its output row NaN
// and adds to no gradient row.
#include "../api/cuda_backend.h"
#include "../api/model_dtypes.h"
#include "../common/embedding.h"
#include "cuda_check.h"

namespace s4j::cuda {

namespace {

constexpr int kThreads = 256;
constexpr int64_t kVocabSlices = 64;

unsigned blocks_for(int64_t n) {
  int64_t blocks = (n + kThreads - 1) / kThreads;
  return (unsigned)(blocks < 65535 * 16 ? blocks : 65535 * 16);
}

template <class T, class I>
__global__ void embedding_kernel(int64_t n, int64_t seq, int64_t channels, int64_t vocab, const I* tokens,
                                 const T* wte, const T* wpe, T* out) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t row = i / channels, c = i % channels;
    const I token = tokens[row];
    out[i] = token_in_range(token, vocab)
                 ? embedding_value(wte[(int64_t)token * channels + c], wpe[(row % seq) * channels + c])
                 : convert<T>(NAN);
  }
}

template <class T, class I>
__global__ void token_grad_kernel(int64_t rows, int64_t channels, int64_t vocab, const I* tokens, const T* grad_out,
                                  float* grad_wte) {
  const int64_t slice_size = (vocab + kVocabSlices - 1) / kVocabSlices;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < channels * kVocabSlices;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t c = i % channels, lo = (i / channels) * slice_size, hi = lo + slice_size;
    for (int64_t n = 0; n < rows; n++) {
      const int64_t token = (int64_t)tokens[n];
      if (token >= lo && token < hi && token < vocab) {
        grad_wte[token * channels + c] += convert<float>(grad_out[n * channels + c]);
      }
    }
  }
}

template <class T>
__global__ void position_grad_kernel(int64_t batch, int64_t seq, int64_t channels, const T* grad_out,
                                     float* grad_wpe) {
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < seq * channels;
       i += (int64_t)gridDim.x * blockDim.x) {
    float sum = grad_wpe[i];
    for (int64_t b = 0; b < batch; b++) sum += convert<float>(grad_out[b * seq * channels + i]);
    grad_wpe[i] = sum;
  }
}

template <class F>
void dispatch_token(int token_dtype, F&& f) {
  if (token_dtype == S4J_I64) f(type_tag<int64_t>{});
  else f(type_tag<int32_t>{});
}

}  // namespace

int embedding(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, int64_t channels, int64_t vocab,
              const void* tokens, int token_dtype, const void* wte, const void* wpe, void* out) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  const int64_t n = batch * seq * channels;
  dispatch_model(dtype, [&](auto x) {
    using T = typename decltype(x)::type;
    dispatch_token(token_dtype, [&](auto i) {
      using I = typename decltype(i)::type;
      embedding_kernel<T, I><<<blocks_for(n), kThreads, 0, s>>>(n, seq, channels, vocab, static_cast<const I*>(tokens),
                                                                static_cast<const T*>(wte),
                                                                static_cast<const T*>(wpe), static_cast<T*>(out));
    });
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

int embedding_backward(int device, s4j_stream_t stream, int dtype, int64_t batch, int64_t seq, int64_t channels,
                       int64_t vocab, int64_t positions, const void* tokens, int token_dtype, const void* grad_out,
                       float* grad_wte, float* grad_wpe, int accumulate) {
  S4J_CUDA(make_current(device));
  cudaStream_t s = reinterpret_cast<cudaStream_t>(stream);
  if (!accumulate) {
    S4J_CUDA(cudaMemsetAsync(grad_wte, 0, (size_t)(vocab * channels) * sizeof(float), s));
    if (positions > 0) S4J_CUDA(cudaMemsetAsync(grad_wpe, 0, (size_t)(positions * channels) * sizeof(float), s));
  }
  if (batch * seq == 0) return S4J_OK;
  dispatch_model(dtype, [&](auto x) {
    using T = typename decltype(x)::type;
    dispatch_token(token_dtype, [&](auto i) {
      using I = typename decltype(i)::type;
      token_grad_kernel<T, I><<<blocks_for(channels * kVocabSlices), kThreads, 0, s>>>(
          batch * seq, channels, vocab, static_cast<const I*>(tokens), static_cast<const T*>(grad_out), grad_wte);
    });
    position_grad_kernel<T><<<blocks_for(seq * channels), kThreads, 0, s>>>(batch, seq, channels,
                                                                            static_cast<const T*>(grad_out), grad_wpe);
  });
  S4J_CUDA(cudaGetLastError());
  return S4J_OK;
}

}  // namespace s4j::cuda
