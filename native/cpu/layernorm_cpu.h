// Host loops of LayerNorm over the last dimension: rows spread over the thread pool; the weight
// and bias gradients sum each column in row order, as the CUDA kernel does, so both give the same
// bits for them.
#pragma once

#include "../common/layernorm.h"
#include "thread_pool.h"

namespace s4j::cpu {

inline int64_t row_grain(int64_t cols) { return cols >= (1 << 14) ? 1 : (1 << 14) / (cols > 0 ? cols : 1); }

template <class T>
void layernorm(int64_t rows, int64_t cols, const T* in, const T* weight, const T* bias, float eps, T* out,
               float* mean, float* rstd) {
  parallel_for(rows, row_grain(cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const T* x = in + r * cols;
      float sum = 0;
      for (int64_t c = 0; c < cols; c++) sum += convert<float>(x[c]);
      const float m = sum / (float)cols;
      float sq = 0;
      for (int64_t c = 0; c < cols; c++) {
        const float d = convert<float>(x[c]) - m;
        sq += d * d;
      }
      const float s = layernorm_rstd(sq / (float)cols, eps);
      T* y = out + r * cols;
      for (int64_t c = 0; c < cols; c++) {
        y[c] = convert<T>(layernorm_value(convert<float>(x[c]), m, s, convert<float>(weight[c]), convert<float>(bias[c])));
      }
      if (mean != nullptr) mean[r] = m;
      if (rstd != nullptr) rstd[r] = s;
    }
  });
}

template <class T>
void layernorm_grad_in(int64_t rows, int64_t cols, const T* grad_out, const T* in, const T* weight, const float* mean,
                       const float* rstd, T* grad_in) {
  parallel_for(rows, row_grain(cols), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      const T* g = grad_out + r * cols;
      const T* x = in + r * cols;
      float a = 0, b = 0;
      for (int64_t c = 0; c < cols; c++) {
        const float xhat = (convert<float>(x[c]) - mean[r]) * rstd[r];
        const float dnorm = convert<float>(g[c]) * convert<float>(weight[c]);
        a += dnorm;
        b += dnorm * xhat;
      }
      a /= (float)cols;
      b /= (float)cols;
      T* dx = grad_in + r * cols;
      for (int64_t c = 0; c < cols; c++) {
        const float xhat = (convert<float>(x[c]) - mean[r]) * rstd[r];
        const float dnorm = convert<float>(g[c]) * convert<float>(weight[c]);
        dx[c] = convert<T>(layernorm_grad(dnorm, xhat, a, b, rstd[r]));
      }
    }
  });
}

template <class T, class G>
void layernorm_grad_params(int64_t rows, int64_t cols, const T* grad_out, const T* in, const float* mean,
                           const float* rstd, G* grad_weight, G* grad_bias, bool accumulate) {
  constexpr int64_t kPiece = 128;
  parallel_for((cols + kPiece - 1) / kPiece, 1, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; p++) {
      const int64_t c0 = p * kPiece, c1 = c0 + kPiece < cols ? c0 + kPiece : cols;
      float dw[kPiece] = {0}, db[kPiece] = {0};
      for (int64_t r = 0; r < rows; r++) {
        for (int64_t c = c0; c < c1; c++) {
          const float g = convert<float>(grad_out[r * cols + c]);
          const float xhat = (convert<float>(in[r * cols + c]) - mean[r]) * rstd[r];
          dw[c - c0] += g * xhat;
          db[c - c0] += g;
        }
      }
      for (int64_t c = c0; c < c1; c++) {
        grad_weight[c] = convert<G>(accumulate ? convert<float>(grad_weight[c]) + dw[c - c0] : dw[c - c0]);
        grad_bias[c] = convert<G>(accumulate ? convert<float>(grad_bias[c]) + db[c - c0] : db[c - c0]);
      }
    }
  });
}

}  // namespace s4j::cpu
