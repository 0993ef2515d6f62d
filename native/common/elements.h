// Element types and conversions shared by the CPU and CUDA kernels: one definition of the
// element math, compiled for both, so the CPU tests check what the GPU runs.
#pragma once

#include <stdint.h>
#include <string.h>

#include <limits>
#include <type_traits>

// S4J_HD marks the free functions of the element math. On the host they are static: each
// translation unit keeps its own copy, so the per-instruction-set builds of cpu/loops.h can never
// lend an AVX-512 copy to code that runs on a CPU without it. S4J_HD_METHOD marks member functions.
#if defined(__CUDACC__)
#define S4J_HD __host__ __device__ __forceinline__
#define S4J_HD_METHOD __host__ __device__ __forceinline__
#else
#define S4J_HD static inline
#define S4J_HD_METHOD inline
#endif

namespace s4j {

// Half-precision values travel as their bits; arithmetic happens in fp32.
struct bf16 { uint16_t bits; };
struct f16 { uint16_t bits; };

S4J_HD uint32_t float_bits(float f) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(f);
#else
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
#endif
}

S4J_HD float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
#endif
}

// fp32 -> bf16, round to nearest even on the upper half; NaN -> 0x7FC0 with the sign kept.
S4J_HD bf16 bf16_from_float(float f) {
  uint32_t u = float_bits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return bf16{(uint16_t)(((u >> 16) & 0x8000u) | 0x7FC0u)};
  u += 0x7FFFu + ((u >> 16) & 1u);
  return bf16{(uint16_t)(u >> 16)};
}

S4J_HD float bf16_to_float(bf16 h) { return bits_float((uint32_t)h.bits << 16); }

// fp32 -> fp16, IEEE 754 round to nearest even with overflow to infinity and gradual underflow;
// NaN -> 0x7E00 with the sign kept. Integer arithmetic only, so no FPU mode (FTZ, DAZ) matters.
S4J_HD f16 f16_from_float(float f) {
  uint32_t x = float_bits(f);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t ax = x & 0x7FFFFFFFu;
  if (ax > 0x7F800000u) return f16{(uint16_t)(sign | 0x7E00u)};
  if (ax >= 0x477FF000u) return f16{(uint16_t)(sign | 0x7C00u)};  // >= 65520 rounds to inf
  if (ax >= 0x38800000u) {                                         // normal fp16 range
    ax += 0xC8000FFFu + ((ax >> 13) & 1u);                         // rebias 127 -> 15, round
    return f16{(uint16_t)(sign | (ax >> 13))};
  }
  // Subnormal fp16: the value in units of 2^-24, rounded to nearest even.
  uint32_t exponent = ax >> 23;
  if (exponent < 102) return f16{(uint16_t)sign};  // below 2^-25 (fp32 subnormals included)
  uint32_t mantissa = (ax & 0x7FFFFFu) | 0x800000u;
  uint32_t shift = 126 - exponent;  // 14 .. 24
  uint32_t q = mantissa >> shift;
  uint32_t rem = mantissa & ((1u << shift) - 1u);
  uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (q & 1u))) q++;
  return f16{(uint16_t)(sign | q)};
}

S4J_HD float f16_to_float(f16 h) {
  uint32_t sign = (uint32_t)(h.bits & 0x8000u) << 16;
  uint32_t exponent = (h.bits >> 10) & 0x1Fu;
  uint32_t mantissa = h.bits & 0x3FFu;
  if (exponent == 0x1F) return bits_float(sign | 0x7F800000u | (mantissa << 13));
  if (exponent != 0) return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
  if (mantissa == 0) return bits_float(sign);
  exponent = 113;  // normalise the subnormal
  while ((mantissa & 0x400u) == 0) {
    mantissa <<= 1;
    exponent--;
  }
  return bits_float(sign | (exponent << 23) | ((mantissa & 0x3FFu) << 13));
}

template <class T>
struct is_half : std::integral_constant<bool, std::is_same<T, bf16>::value || std::is_same<T, f16>::value> {};

template <class T>
struct is_floating : std::integral_constant<bool, is_half<T>::value || std::is_floating_point<T>::value> {};

// Any float type but double, widened exactly to fp32.
template <class S>
S4J_HD float to_float(S s) {
  if constexpr (std::is_same<S, bf16>::value) return bf16_to_float(s);
  else if constexpr (std::is_same<S, f16>::value) return f16_to_float(s);
  else return s;
}

// Truncate toward zero and saturate; NaN becomes 0. Defined for every input, on CPU and GPU alike.
template <class I>
S4J_HD I saturate(double d) {
  constexpr I lo = std::numeric_limits<I>::lowest();
  constexpr I hi = std::numeric_limits<I>::max();
  if (d != d) return (I)0;
  if (d <= (double)lo) return lo;
  if (d >= (double)hi) return hi;  // (double)INT64_MAX is 2^63, so the cast below never overflows
  return (I)d;
}

// dst = src converted: the one conversion every kernel uses.
template <class D, class S>
S4J_HD D convert(S s) {
  if constexpr (std::is_same<D, S>::value) {
    return s;
  } else if constexpr (std::is_same<D, double>::value) {
    if constexpr (is_floating<S>::value && !std::is_same<S, double>::value) return (double)to_float(s);
    else return (double)s;
  } else if constexpr (std::is_same<D, float>::value) {
    if constexpr (is_half<S>::value) return to_float(s);
    else return (float)s;
  } else if constexpr (std::is_same<D, bf16>::value) {
    return bf16_from_float(convert<float>(s));
  } else if constexpr (std::is_same<D, f16>::value) {
    return f16_from_float(convert<float>(s));
  } else if constexpr (std::is_same<S, double>::value) {
    return saturate<D>(s);
  } else if constexpr (is_floating<S>::value) {
    return saturate<D>((double)to_float(s));
  } else {
    return (D)s;  // integer to integer wraps
  }
}

}  // namespace s4j
