#include "reference.h"

#include <math.h>
#include <stdarg.h>

#include <limits>

namespace s4jt {

const int kDtypes[8] = {S4J_I8, S4J_U8, S4J_I32, S4J_I64, S4J_F16, S4J_BF16, S4J_F32, S4J_F64};
const int kFloatDtypes[4] = {S4J_F16, S4J_BF16, S4J_F32, S4J_F64};

size_t size_of(int dtype) {
  switch (dtype) {
    case S4J_I8: case S4J_U8: return 1;
    case S4J_F16: case S4J_BF16: return 2;
    case S4J_I32: case S4J_F32: return 4;
    default: return 8;
  }
}

const char* name_of(int dtype) {
  switch (dtype) {
    case S4J_I8: return "I8";
    case S4J_U8: return "U8";
    case S4J_I32: return "I32";
    case S4J_I64: return "I64";
    case S4J_F16: return "F16";
    case S4J_BF16: return "BF16";
    case S4J_F32: return "F32";
    case S4J_F64: return "F64";
    default: return "?";
  }
}

bool is_float(int dtype) {
  return dtype == S4J_F16 || dtype == S4J_BF16 || dtype == S4J_F32 || dtype == S4J_F64;
}

namespace {

template <class T>
T get(const void* base, int64_t index) {
  T v;
  memcpy(&v, static_cast<const char*>(base) + index * (int64_t)sizeof(T), sizeof v);
  return v;
}

template <class T>
void put(void* base, int64_t index, T v) {
  memcpy(static_cast<char*>(base) + index * (int64_t)sizeof(T), &v, sizeof v);
}

uint32_t bits_of(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

float float_of(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

// The value of a binary format nearest to x, ties to even: `fraction` stored mantissa bits, emin
// the smallest normal exponent (below it the quantum stays fixed: subnormals), infinity above
// max_finite. Every step is exact in fp64 except nearbyint, which rounds as the definition asks.
double round_to_format(double x, int fraction, int emin, double max_finite) {
  if (x == 0 || !isfinite(x)) return x;
  int e;
  frexp(x, &e);
  int lead = e - 1 < emin ? emin : e - 1;  // exponent of the leading bit, clamped for subnormals
  double quantum = ldexp(1.0, lead - fraction);
  double r = nearbyint(x / quantum) * quantum;
  return fabs(r) > max_finite ? copysign(INFINITY, x) : r;
}

// Integer of a float: truncate toward zero, saturate, NaN -> 0.
template <class I>
I saturate(double d) {
  if (isnan(d)) return 0;
  double t = trunc(d);
  if (t <= (double)std::numeric_limits<I>::lowest()) return std::numeric_limits<I>::lowest();
  if (t >= ldexp(1.0, std::numeric_limits<I>::digits)) return std::numeric_limits<I>::max();
  return (I)t;
}

template <class I>
void store_integer(void* base, int64_t index, const Scalar& s) {
  if (s.kind == Scalar::kInteger) put<I>(base, index, (I)(uint64_t)s.i);  // wraps
  else put<I>(base, index, saturate<I>(s.kind == Scalar::kF32 ? (double)s.f : s.d));
}

float as_float(const Scalar& s) {
  switch (s.kind) {
    case Scalar::kInteger: return (float)s.i;
    case Scalar::kF32: return s.f;
    default: return (float)s.d;
  }
}

}  // namespace

uint16_t ref_bf16(float f) {
  uint16_t sign = signbit(f) ? 0x8000 : 0;
  if (isnan(f)) return sign | 0x7FC0;
  double r = round_to_format(f, 7, -126, ldexp(255.0, 120));
  return (uint16_t)(bits_of((float)r) >> 16);  // r is a bf16 value, so exact in fp32
}

uint16_t ref_f16(float f) {
  uint16_t sign = signbit(f) ? 0x8000 : 0;
  if (isnan(f)) return sign | 0x7E00;
  double r = fabs(round_to_format(f, 10, -14, 65504.0));
  if (isinf(r)) return sign | 0x7C00;
  if (r < ldexp(1.0, -14)) return sign | (uint16_t)(r / ldexp(1.0, -24));  // subnormal (or zero)
  int e;
  double m = frexp(r, &e);  // r = m * 2^e, m in [0.5, 1)
  return sign | (uint16_t)((e - 1 + 15) << 10) | (uint16_t)((m * 2 - 1) * 1024);
}

float ref_bf16_to_float(uint16_t bits) { return float_of((uint32_t)bits << 16); }

float ref_f16_to_float(uint16_t bits) {
  uint32_t sign = (uint32_t)(bits & 0x8000) << 16;
  int exponent = (bits >> 10) & 0x1F;
  int mantissa = bits & 0x3FF;
  if (exponent == 0x1F) return float_of(sign | 0x7F800000u | ((uint32_t)mantissa << 13));
  double magnitude = exponent == 0 ? ldexp(mantissa, -24) : ldexp(1024 + mantissa, exponent - 25);
  return sign ? -(float)magnitude : (float)magnitude;
}

Scalar load(int dtype, const void* base, int64_t index) {
  switch (dtype) {
    case S4J_I8: return Scalar::integer(get<int8_t>(base, index));
    case S4J_U8: return Scalar::integer(get<uint8_t>(base, index));
    case S4J_I32: return Scalar::integer(get<int32_t>(base, index));
    case S4J_I64: return Scalar::integer(get<int64_t>(base, index));
    case S4J_F16: return Scalar::f32(ref_f16_to_float(get<uint16_t>(base, index)));
    case S4J_BF16: return Scalar::f32(ref_bf16_to_float(get<uint16_t>(base, index)));
    case S4J_F32: return Scalar::f32(get<float>(base, index));
    default: return Scalar::f64(get<double>(base, index));
  }
}

void store(int dtype, void* base, int64_t index, Scalar s) {
  switch (dtype) {
    case S4J_I8: store_integer<int8_t>(base, index, s); break;
    case S4J_U8: store_integer<uint8_t>(base, index, s); break;
    case S4J_I32: store_integer<int32_t>(base, index, s); break;
    case S4J_I64: store_integer<int64_t>(base, index, s); break;
    case S4J_F16: put<uint16_t>(base, index, ref_f16(as_float(s))); break;
    case S4J_BF16: put<uint16_t>(base, index, ref_bf16(as_float(s))); break;
    case S4J_F32: put<float>(base, index, as_float(s)); break;
    default:
      put<double>(base, index, s.kind == Scalar::kInteger ? (double)s.i : s.kind == Scalar::kF32 ? (double)s.f : s.d);
      break;
  }
}

void convert_element(int dst_dtype, void* dst, int64_t di, int src_dtype, const void* src, int64_t si) {
  if (dst_dtype == src_dtype) {
    size_t n = size_of(dst_dtype);
    memcpy(static_cast<char*>(dst) + di * (int64_t)n, static_cast<const char*>(src) + si * (int64_t)n, n);
  } else {
    store(dst_dtype, dst, di, load(src_dtype, src, si));
  }
}

Scalar widen(Scalar s, bool wide) {
  if (s.kind == Scalar::kInteger) return s;
  if (wide) return Scalar::f64(s.kind == Scalar::kF32 ? (double)s.f : s.d);
  return Scalar::f32(as_float(s));
}

double as_double(Scalar s) {
  return s.kind == Scalar::kInteger ? (double)s.i : s.kind == Scalar::kF32 ? (double)s.f : s.d;
}

namespace {

double gaussian(Random& r) {
  double u = r.uniform(), v = r.uniform();
  return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

// A value of one of the cases the conversions treat apart.
double special(Random& r, bool finite) {
  static const double finite_cases[] = {
      0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, 2.5, -2.5, 127.0, 127.5, 128.0, -128.0, -128.5, -129.0, 255.0,
      255.5, 256.0, 2147483647.0, 2147483648.0, -2147483648.0, -2147483649.0, 9.2233720368547758e18,
      -9.2233720368547758e18, 1e19, -1e30, 65504.0, 65519.0, 65520.0, 6.1035156e-5, 5.9604645e-8,
      2.9802322e-8, 1e-45, 1.17549435e-38, 3.3895314e38, 3.4028235e38, 1e300, -1e-300};
  static const double non_finite[] = {INFINITY, -INFINITY, NAN, -NAN};
  const int nf = sizeof finite_cases / sizeof finite_cases[0];
  if (!finite && r.below(4) == 0) return non_finite[r.below(4)];
  return finite_cases[r.below(nf)];
}

// A float whose low bits sit exactly half way between two bf16 or two fp16 values.
float tie(Random& r) {
  uint32_t exponent = 100 + (uint32_t)r.below(50);  // about 2^-27 .. 2^22
  uint32_t mantissa = (uint32_t)r.next() & 0x7FFFFF;
  mantissa = r.coin() ? (mantissa & ~0xFFFFu) | 0x8000u : (mantissa & ~0x1FFFu) | 0x1000u;
  return float_of((r.coin() ? 0x80000000u : 0) | (exponent << 23) | mantissa);
}

}  // namespace

void fill_random(Random& r, int dtype, void* base, int64_t count, bool finite) {
  for (int64_t k = 0; k < count; k++) {
    int64_t kind = r.below(20);
    if (!is_float(dtype)) {
      // Any value, small ones (products that stay in range), or a float at the limits, saturated.
      if (kind < 16) store(dtype, base, k, Scalar::integer(kind < 8 ? (int64_t)r.next() : r.below(7) - 3));
      else store(dtype, base, k, Scalar::f64(special(r, true)));
      continue;
    }
    if (kind < 3) {  // any bit pattern: every NaN, subnormal and exponent
      uint64_t bits = r.next();
      memcpy(static_cast<char*>(base) + k * (int64_t)size_of(dtype), &bits, size_of(dtype));
      if (!finite || isfinite(as_double(load(dtype, base, k)))) continue;
      kind = 19;  // not finite: an ordinary value instead
    }
    double v = kind < 5 ? (double)tie(r) : kind < 7 ? special(r, finite) : kind < 10 ? (double)(r.below(17) - 8)
                                                                                     : gaussian(r) * 3;
    store(dtype, base, k, dtype == S4J_F64 ? Scalar::f64(v) : Scalar::f32((float)v));
  }
}

Bytes random_bytes(Random& r, int dtype, int64_t count, bool finite) {
  Bytes b((size_t)count * size_of(dtype));
  fill_random(r, dtype, b.data(), count, finite);
  return b;
}

bool same_elements(int dtype, const void* expected, const void* actual, int64_t count, bool nan_equal,
                   const char* file, int line, const std::string& what) {
  const size_t n = size_of(dtype);
  for (int64_t k = 0; k < count; k++) {
    const char* e = static_cast<const char*>(expected) + k * (int64_t)n;
    const char* a = static_cast<const char*>(actual) + k * (int64_t)n;
    if (memcmp(e, a, n) == 0) continue;
    if (nan_equal && is_float(dtype) && isnan(as_double(load(dtype, e, 0))) && isnan(as_double(load(dtype, a, 0)))) {
      continue;
    }
    uint64_t eb = 0, ab = 0;
    memcpy(&eb, e, n);
    memcpy(&ab, a, n);
    fail_at(file, line, "%s: element %lld of %lld (%s) is %#llx (%.9g), expected %#llx (%.9g)", what.c_str(),
            (long long)k, (long long)count, name_of(dtype), (unsigned long long)ab, as_double(load(dtype, a, 0)),
            (unsigned long long)eb, as_double(load(dtype, e, 0)));
    return false;
  }
  return true;
}

std::vector<std::string> cpu_isas() {
  std::vector<std::string> isas;
  for (const char* isa : {"base", "avx2", "avx512"}) {
    if (s4j_cpu_use_isa(isa) == S4J_OK) isas.push_back(isa);
  }
  s4j_cpu_use_isa("auto");
  return isas;
}

std::string format(const char* fmt, ...) {
  char buffer[512];
  va_list args;
  va_start(args, fmt);
  vsnprintf(buffer, sizeof buffer, fmt, args);
  va_end(args);
  return buffer;
}

}  // namespace s4jt
