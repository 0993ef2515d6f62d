// A strided index space shared by a destination and a source, with adjacent dimensions merged
// where both sides allow it, so that kernels see as few (and as long) dimensions as possible.
#pragma once

#include <stdint.h>

#include "elements.h"
#include "shard4j.h"

namespace s4j {

struct StridedLayout {
  int ndim;                         // 0 means one element
  int64_t sizes[S4J_MAX_DIMS];
  int64_t dst_strides[S4J_MAX_DIMS];
  int64_t src_strides[S4J_MAX_DIMS];

  S4J_HD_METHOD int64_t numel() const {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++) n *= sizes[d];
    return n;
  }

  S4J_HD_METHOD bool contiguous() const {
    return ndim == 0 || (ndim == 1 && dst_strides[0] == 1 && src_strides[0] == 1);
  }

  // Drops dimensions of size 1 and merges dimension d into d+1 when both strides allow it.
  // Fills have no source and pass the destination strides for both.
  static StridedLayout collapse(int ndim, const int64_t* sizes, const int64_t* dst_strides,
                                const int64_t* src_strides) {
    StridedLayout l{};
    for (int d = 0; d < ndim; d++) {
      if (sizes[d] == 1) continue;
      int64_t ss = src_strides[d];
      if (l.ndim > 0) {
        int last = l.ndim - 1;
        // The previous (outer) dimension steps over exactly one run of this one on both sides.
        if (l.dst_strides[last] == dst_strides[d] * sizes[d] &&
            l.src_strides[last] == ss * sizes[d]) {
          l.sizes[last] *= sizes[d];
          l.dst_strides[last] = dst_strides[d];
          l.src_strides[last] = ss;
          continue;
        }
      }
      l.sizes[l.ndim] = sizes[d];
      l.dst_strides[l.ndim] = dst_strides[d];
      l.src_strides[l.ndim] = ss;
      l.ndim++;
    }
    return l;
  }
};

}  // namespace s4j
