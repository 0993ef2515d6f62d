// Turns a runtime dtype code into a C++ element type for templated kernels.
#pragma once

#include <stdint.h>

#include <limits>

#include "elements.h"
#include "shard4j.h"

namespace s4j {

template <class T>
struct type_tag {
  using type = T;
};

static inline bool float_dtype(int dtype) {
  return dtype == S4J_F32 || dtype == S4J_F64 || dtype == S4J_F16 || dtype == S4J_BF16;
}

static inline bool valid_dtype(int dtype) {
  switch (dtype) {
    case S4J_I8: case S4J_U8: case S4J_I32: case S4J_I64:
    case S4J_F16: case S4J_BF16: case S4J_F32: case S4J_F64:
      return true;
    default:
      return false;
  }
}

static inline size_t dtype_size(int dtype) {
  switch (dtype) {
    case S4J_I8: case S4J_U8: return 1;
    case S4J_F16: case S4J_BF16: return 2;
    case S4J_I32: case S4J_F32: return 4;
    default: return 8;
  }
}

// Calls f(type_tag<T>{}) for the element type of `dtype`; the caller has validated dtype.
template <class F>
static inline void dispatch_dtype(int dtype, F&& f) {
  switch (dtype) {
    case S4J_I8: f(type_tag<int8_t>{}); break;
    case S4J_U8: f(type_tag<uint8_t>{}); break;
    case S4J_I32: f(type_tag<int32_t>{}); break;
    case S4J_I64: f(type_tag<int64_t>{}); break;
    case S4J_F16: f(type_tag<f16>{}); break;
    case S4J_BF16: f(type_tag<bf16>{}); break;
    case S4J_F32: f(type_tag<float>{}); break;
    case S4J_F64: f(type_tag<double>{}); break;
    default: break;
  }
}

// The fill value in the element type: floats convert float_value; integers take int_value,
// saturated to the type's range (as a cast from a float saturates) rather than wrapped.
template <class T>
static inline T fill_value(double float_value, int64_t int_value) {
  if constexpr (is_floating<T>::value) {
    return convert<T>(float_value);
  } else {
    constexpr int64_t lo = (int64_t)std::numeric_limits<T>::lowest();
    constexpr int64_t hi = std::is_same<T, int64_t>::value ? INT64_MAX : (int64_t)std::numeric_limits<T>::max();
    return (T)(int_value < lo ? lo : int_value > hi ? hi : int_value);
  }
}

}  // namespace s4j
