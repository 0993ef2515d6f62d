// Reference element math for the native tests, written apart from native/common: half
// precision rounding from the definition (nearest multiple of the format's quantum, ties to even)
// rather than from bit tricks, so that a mistake shared by the CPU and CUDA kernels still shows.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <string>
#include <vector>

#include "harness.h"

namespace s4jt {

// Every dtype of shard4j.h, and the float ones.
extern const int kDtypes[8];
extern const int kFloatDtypes[4];

size_t size_of(int dtype);
const char* name_of(int dtype);
bool is_float(int dtype);

// One element as the kernels see it: an integer, an fp32 value (F32 and the halves, widened
// exactly, NaN payloads kept) or an fp64 value.
struct Scalar {
  enum Kind { kInteger, kF32, kF64 } kind;
  int64_t i;
  float f;
  double d;
  static Scalar integer(int64_t v) { return {kInteger, v, 0.0f, 0.0}; }
  static Scalar f32(float v) { return {kF32, 0, v, 0.0}; }
  static Scalar f64(double v) { return {kF64, 0, 0.0f, v}; }
};

Scalar load(int dtype, const void* base, int64_t index);
// Writes s converted to dtype by shard4j.h's rules: floats to integers truncate and saturate
// (NaN -> 0), integers wrap, fp64 narrows through fp32, halves round to nearest even.
void store(int dtype, void* base, int64_t index, Scalar s);
// dst[di] = convert(src[si]); the same dtype copies the bits.
void convert_element(int dst_dtype, void* dst, int64_t di, int src_dtype, const void* src, int64_t si);

// fp32 -> bf16 / fp16 bits by the definition; NaN -> the canonical quiet NaN with the sign kept.
uint16_t ref_bf16(float f);
uint16_t ref_f16(float f);
float ref_bf16_to_float(uint16_t bits);
float ref_f16_to_float(uint16_t bits);

// The value in the compute type of a kernel: fp64 when `wide`, else fp32 (integers: int64).
Scalar widen(Scalar s, bool wide);
double as_double(Scalar s);

// Random elements of a dtype: ordinary values, rounding ties, random bit patterns and specials
// (signed zeros, infinities, NaNs with payloads, subnormals, values at the integer limits).
// finite: no NaN or infinity (for arithmetic whose NaN bits the hardware may choose).
void fill_random(Random& r, int dtype, void* base, int64_t count, bool finite = false);

// Raw bytes of exactly the size asked for, so that AddressSanitizer sees any access past the end.
using Bytes = std::vector<uint8_t>;
Bytes random_bytes(Random& r, int dtype, int64_t count, bool finite = false);

// Compares count elements bit for bit; nan_equal accepts any NaN for any NaN (arithmetic, where
// the hardware picks the payload of two NaN operands). Reports the first difference.
bool same_elements(int dtype, const void* expected, const void* actual, int64_t count, bool nan_equal,
                   const char* file, int line, const std::string& what);

#define CHECK_ELEMENTS(dtype, expected, actual, count, nan_equal, what) \
  ::s4jt::same_elements(dtype, expected, actual, count, nan_equal, __FILE__, __LINE__, what)

// The host loop builds this CPU runs ("base", and "avx2", "avx512" where built and supported).
std::vector<std::string> cpu_isas();

std::string format(const char* format, ...) __attribute__((format(printf, 1, 2)));

}  // namespace s4jt
