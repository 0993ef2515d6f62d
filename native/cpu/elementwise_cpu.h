// Host implementations of the element kernels: strided copy with conversion, and fill.
#pragma once

#include <string.h>

#include <type_traits>

#include "../common/activation.h"
#include "../common/elements.h"
#include "../common/layout.h"
#include "thread_pool.h"

namespace s4j::cpu {

// Calls row(dst_offset, src_offset) for innermost rows [begin, end) of the layout, in order.
template <class Row>
void for_rows(const StridedLayout& l, int64_t begin, int64_t end, Row&& row) {
  const int inner = l.ndim - 1;
  int64_t index[S4J_MAX_DIMS] = {0};
  int64_t dst_offset = 0, src_offset = 0, rest = begin;
  for (int d = inner - 1; d >= 0; d--) {  // the odometer at row `begin`
    index[d] = rest % l.sizes[d];
    rest /= l.sizes[d];
    dst_offset += index[d] * l.dst_strides[d];
    src_offset += index[d] * l.src_strides[d];
  }
  for (int64_t r = begin; r < end; r++) {
    row(dst_offset, src_offset);
    // Advance the odometer over the outer dimensions, innermost outer dimension first.
    for (int d = inner - 1; d >= 0; d--) {
      dst_offset += l.dst_strides[d];
      src_offset += l.src_strides[d];
      if (++index[d] < l.sizes[d]) break;
      dst_offset -= l.dst_strides[d] * l.sizes[d];
      src_offset -= l.src_strides[d] * l.sizes[d];
      index[d] = 0;
    }
  }
}

// The layout's innermost rows: the product of its outer sizes.
inline int64_t row_count(const StridedLayout& l) {
  int64_t rows = 1;
  for (int d = 0; d < l.ndim - 1; d++) rows *= l.sizes[d];
  return rows;
}

// Calls row(dst_offset, src_offset) for the start of every innermost row of the layout; the
// row has l.sizes[l.ndim - 1] elements at strides l.dst_strides/l.src_strides[l.ndim - 1].
template <class Row>
void for_each_row(const StridedLayout& l, Row&& row) {
  for_rows(l, 0, row_count(l), row);
}

template <class D, class S>
void copy_strided(const StridedLayout& l, D* dst, const S* src) {
  if (l.contiguous()) {
    const int64_t n = l.numel();
    if constexpr (std::is_same<D, S>::value) {
      memcpy(dst, src, (size_t)n * sizeof(D));
    } else {
      for (int64_t i = 0; i < n; i++) dst[i] = convert<D>(src[i]);
    }
    return;
  }
  const int inner = l.ndim - 1;
  const int64_t n = l.sizes[inner], ds = l.dst_strides[inner], ss = l.src_strides[inner];
  if (ds == 1 && ss == 1) {
    // Rows contiguous on both sides (attention's heads split out of, and merged into, [B, T, C]),
    // a share of them per thread.
    const int64_t rows = row_count(l);
    const int64_t grain = n >= (1 << 14) ? 1 : (1 << 14) / n;
    parallel_for(rows, grain, [&](int64_t begin, int64_t end) {
      for_rows(l, begin, end, [&](int64_t dst_offset, int64_t src_offset) {
        if constexpr (std::is_same<D, S>::value) {
          memcpy(dst + dst_offset, src + src_offset, (size_t)n * sizeof(D));
        } else {
          for (int64_t i = 0; i < n; i++) dst[dst_offset + i] = convert<D>(src[src_offset + i]);
        }
      });
    });
    return;
  }
  for_each_row(l, [&](int64_t dst_offset, int64_t src_offset) {
    D* d = dst + dst_offset;
    const S* s = src + src_offset;
    for (int64_t i = 0; i < n; i++) d[i * ds] = convert<D>(s[i * ss]);
  });
}

template <class T>
void fill(const StridedLayout& l, T* dst, T value) {
  if (l.contiguous()) {
    const int64_t n = l.numel();
    for (int64_t i = 0; i < n; i++) dst[i] = value;
    return;
  }
  const int inner = l.ndim - 1;
  const int64_t n = l.sizes[inner], ds = l.dst_strides[inner];
  for_each_row(l, [&](int64_t dst_offset, int64_t) {
    T* d = dst + dst_offset;
    for (int64_t i = 0; i < n; i++) d[i * ds] = value;
  });
}

template <class T>
void relu(int64_t n, const T* in, T* out) {
  for (int64_t i = 0; i < n; i++) out[i] = relu_value(in[i]);
}

template <class T>
void relu_backward(int64_t n, const T* grad_out, const T* out, T* grad_in) {
  for (int64_t i = 0; i < n; i++) grad_in[i] = relu_grad(grad_out[i], out[i]);
}

}  // namespace s4j::cpu
