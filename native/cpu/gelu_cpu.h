// Host loops of GELU and the bias add and its gradient, spread over the thread pool when large.
#pragma once

#include <type_traits>

#include "../common/gelu.h"
#include "loops_table.h"
#include "thread_pool.h"

namespace s4j::cpu {

constexpr int64_t kGeluGrain = 1 << 14;

// fp32 runs the vectorised loops of the CPU's instruction set; bf16 converts element by element.
template <class T>
void gelu(int64_t n, const T* in, T* out) {
  parallel_for(n, kGeluGrain, [&](int64_t begin, int64_t end) {
    if constexpr (std::is_same_v<T, float>) {
      loops().gelu(in, out, begin, end);
    } else {
      for (int64_t i = begin; i < end; i++) out[i] = convert<T>(gelu_value(convert<float>(in[i])));
    }
  });
}

template <class T>
void gelu_backward(int64_t n, const T* grad_out, const T* in, T* grad_in) {
  parallel_for(n, kGeluGrain, [&](int64_t begin, int64_t end) {
    if constexpr (std::is_same_v<T, float>) {
      loops().gelu_backward(grad_out, in, grad_in, begin, end);
    } else {
      for (int64_t i = begin; i < end; i++) {
        grad_in[i] = convert<T>(gelu_grad(convert<float>(grad_out[i]), convert<float>(in[i])));
      }
    }
  });
}

template <class T>
void bias_add(int64_t rows, int64_t cols, const T* in, const T* bias, T* out) {
  const int64_t grain = cols >= kGeluGrain ? 1 : kGeluGrain / cols;
  parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; r++) {
      for (int64_t c = 0; c < cols; c++) {
        out[r * cols + c] = convert<T>(convert<float>(in[r * cols + c]) + convert<float>(bias[c]));
      }
    }
  });
}

// Each column summed over the rows in order, in fp32; a piece of columns per thread, the rows
// walked in the outer loop so that the reads stay sequential.
template <class T, class G>
void bias_grad(int64_t rows, int64_t cols, const T* grad_out, G* grad_bias, bool accumulate) {
  constexpr int64_t kPiece = 256;
  parallel_for((cols + kPiece - 1) / kPiece, 1, [&](int64_t first, int64_t last) {
    for (int64_t p = first; p < last; p++) {
      const int64_t c0 = p * kPiece, c1 = c0 + kPiece < cols ? c0 + kPiece : cols;
      float sum[kPiece] = {0};
      for (int64_t r = 0; r < rows; r++) {
        const T* row = grad_out + r * cols;
        for (int64_t c = c0; c < c1; c++) sum[c - c0] += convert<float>(row[c]);
      }
      for (int64_t c = c0; c < c1; c++) {
        const float s = sum[c - c0];
        grad_bias[c] = convert<G>(accumulate ? convert<float>(grad_bias[c]) + s : s);
      }
    }
  });
}

}  // namespace s4j::cpu
