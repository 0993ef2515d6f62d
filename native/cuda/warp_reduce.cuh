// Reductions across the 32 lanes of a warp, for the kernels that give one row to a warp; every
// lane gets the result. The butterfly order is fixed, so the result does not depend on timing.
#pragma once

namespace s4j::cuda {

__device__ __forceinline__ float warp_sum(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_xor_sync(0xFFFFFFFFu, v, offset);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int offset = 16; offset > 0; offset >>= 1) v = fmaxf(v, __shfl_xor_sync(0xFFFFFFFFu, v, offset));
  return v;
}

}  // namespace s4j::cuda
