// Strided copies with every dtype conversion, fills, and relu with its backward, against the
// reference loops, bit for bit. Buffers are exactly as large as the layouts reach, so that an
// access one element out is an AddressSanitizer report, and gaps between elements must keep
// their bytes.
#include <math.h>

#include <algorithm>
#include <vector>

#include "reference.h"

using namespace s4jt;

namespace {

// One side of a strided index space: element strides (possibly negative or, for a source, 0)
// and the buffer they need.
struct Side {
  std::vector<int64_t> strides;
  int64_t lowest = 0, highest = 0;  // element offsets from the base, over the whole index space
  int64_t elements() const { return highest - lowest + 1; }
};

struct Layout {
  std::vector<int64_t> sizes;
  Side dst, src;
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t s : sizes) n *= s;
    return n;
  }
};

// Strides that visit every element once (a permutation of the dimensions, with gaps and reversed
// dimensions); a source may also broadcast (stride 0).
Side random_side(Random& r, const std::vector<int64_t>& sizes, bool source) {
  const int ndim = (int)sizes.size();
  std::vector<int> order(ndim);
  for (int d = 0; d < ndim; d++) order[d] = ndim - 1 - d;  // innermost first
  if (r.below(3) == 0) {
    for (int d = ndim - 1; d > 0; d--) std::swap(order[d], order[r.below(d + 1)]);
  }
  Side side;
  side.strides.assign(ndim, 0);
  int64_t running = 1 + (r.below(4) == 0 ? r.below(3) : 0);
  for (int d : order) {
    if (source && r.below(8) == 0) continue;  // broadcast: stride 0
    side.strides[d] = r.below(6) == 0 ? -running : running;
    running *= sizes[d] + (r.below(4) == 0 ? r.below(3) : 0);
  }
  for (int d = 0; d < ndim; d++) {
    int64_t reach = side.strides[d] * (sizes[d] - 1);
    (reach < 0 ? side.lowest : side.highest) += reach;
  }
  return side;
}

Layout random_layout(Random& r, int64_t max_numel) {
  Layout l;
  const int ndim = r.below(10) == 0 ? (int)r.below(S4J_MAX_DIMS + 1) : (int)r.below(5);
  int64_t numel = 1;
  for (int d = 0; d < ndim; d++) {
    int64_t size = r.below(5) == 0 ? 1 : 1 + r.below(ndim <= 2 ? 97 : 9);
    if (numel * size > max_numel) size = 1;
    l.sizes.push_back(size);
    numel *= size;
  }
  l.dst = random_side(r, l.sizes, false);
  l.src = random_side(r, l.sizes, true);
  return l;
}

// Calls f(dst_offset, src_offset) for every index of the layout.
template <class F>
void for_each_index(const Layout& l, F&& f) {
  const int ndim = (int)l.sizes.size();
  const int64_t n = l.numel();
  std::vector<int64_t> index(ndim, 0);
  for (int64_t k = 0; k < n; k++) {
    int64_t d = 0, s = 0;
    for (int i = 0; i < ndim; i++) {
      d += index[i] * l.dst.strides[i];
      s += index[i] * l.src.strides[i];
    }
    f(d, s);
    for (int i = ndim - 1; i >= 0; i--) {
      if (++index[i] < l.sizes[i]) break;
      index[i] = 0;
    }
  }
}

std::string describe(const Layout& l) {
  std::string s = "sizes [";
  for (size_t d = 0; d < l.sizes.size(); d++) s += format("%s%lld", d ? "," : "", (long long)l.sizes[d]);
  s += "] dst strides [";
  for (size_t d = 0; d < l.sizes.size(); d++) s += format("%s%lld", d ? "," : "", (long long)l.dst.strides[d]);
  s += "] src strides [";
  for (size_t d = 0; d < l.sizes.size(); d++) s += format("%s%lld", d ? "," : "", (long long)l.src.strides[d]);
  return s + "]";
}

void check_copy(Random& r, const Layout& l, int dst_dtype, int src_dtype) {
  const size_t ds = size_of(dst_dtype), ss = size_of(src_dtype);
  Bytes src = random_bytes(r, src_dtype, l.src.elements());
  Bytes actual = random_bytes(r, dst_dtype, l.dst.elements());
  Bytes expected = actual;
  uint8_t* src_base = src.data() - l.src.lowest * (int64_t)ss;
  uint8_t* actual_base = actual.data() - l.dst.lowest * (int64_t)ds;
  uint8_t* expected_base = expected.data() - l.dst.lowest * (int64_t)ds;
  for_each_index(l, [&](int64_t d, int64_t s) { convert_element(dst_dtype, expected_base, d, src_dtype, src_base, s); });
  const int ndim = (int)l.sizes.size();
  CHECK_OK(s4j_copy_strided(S4J_HOST, nullptr, ndim, ndim ? l.sizes.data() : nullptr, actual_base, dst_dtype,
                            ndim ? l.dst.strides.data() : nullptr, src_base, src_dtype,
                            ndim ? l.src.strides.data() : nullptr));
  CHECK_ELEMENTS(dst_dtype, expected.data(), actual.data(), l.dst.elements(), false,
                 format("copy %s -> %s, %s", name_of(src_dtype), name_of(dst_dtype), describe(l).c_str()));
}

Layout contiguous(int64_t n) {
  Layout l;
  l.sizes = {n};
  l.dst.strides = l.src.strides = {1};
  l.dst.highest = l.src.highest = n - 1;
  return l;
}

}  // namespace

TEST(copy_every_conversion_on_random_layouts) {
  Random r(10);
  for (int dst : kDtypes) {
    for (int src : kDtypes) {
      for (int trial = 0; trial < 12 && failures() == 0; trial++) check_copy(r, random_layout(r, 6000), dst, src);
      // The contiguous loops (memcpy for one dtype), odd lengths.
      check_copy(r, contiguous(1), dst, src);
      check_copy(r, contiguous(30011), dst, src);
    }
  }
}

TEST(copy_rounding_of_every_half) {
  // Every fp16 and bf16 value widens exactly, and rounds back to itself (NaNs to the canonical one).
  Bytes halves(65536 * 2), widened(65536 * 4), back(65536 * 2), expected(65536 * 2);
  for (int i = 0; i < 65536; i++) memcpy(&halves[i * 2], &i, 2);
  for (int half : {S4J_F16, S4J_BF16}) {
    Layout l = contiguous(65536);
    CHECK_OK(s4j_copy_strided(S4J_HOST, nullptr, 1, l.sizes.data(), widened.data(), S4J_F32, l.dst.strides.data(),
                              halves.data(), half, l.src.strides.data()));
    CHECK_OK(s4j_copy_strided(S4J_HOST, nullptr, 1, l.sizes.data(), back.data(), half, l.dst.strides.data(),
                              widened.data(), S4J_F32, l.src.strides.data()));
    for (int i = 0; i < 65536; i++) {
      float f = half == S4J_F16 ? ref_f16_to_float((uint16_t)i) : ref_bf16_to_float((uint16_t)i);
      uint16_t round_trip = half == S4J_F16 ? ref_f16(f) : ref_bf16(f);
      CHECK_MSG(isnan(f) || round_trip == i, "%s %#x: reference round trip gives %#x", name_of(half), i, round_trip);
      memcpy(&expected[i * 2], &round_trip, 2);
    }
    CHECK_ELEMENTS(half, expected.data(), back.data(), 65536, false, format("%s round trip", name_of(half)));
  }
}

TEST(copy_zero_dimensions_is_one_element) {
  double src = -2.75;
  uint16_t dst = 0;
  CHECK_OK(s4j_copy_strided(S4J_HOST, nullptr, 0, nullptr, &dst, S4J_BF16, nullptr, &src, S4J_F64, nullptr));
  CHECK(dst == ref_bf16(-2.75f));
}

// An integer clamped to an integer dtype's range.
static int64_t saturated_to(int dtype, int64_t v) {
  int64_t lo = INT64_MIN, hi = INT64_MAX;
  switch (dtype) {
    case S4J_I8: lo = -128; hi = 127; break;
    case S4J_U8: lo = 0; hi = 255; break;
    case S4J_I32: lo = INT32_MIN; hi = INT32_MAX; break;
    default: break;
  }
  return v < lo ? lo : v > hi ? hi : v;
}

TEST(fill_every_dtype_on_random_layouts) {
  Random r(11);
  for (int dtype : kDtypes) {
    for (int trial = 0; trial < 30 && failures() == 0; trial++) {
      Layout l = trial == 0 ? contiguous(10007) : random_layout(r, 6000);
      double float_value;
      fill_random(r, S4J_F64, &float_value, 1);
      const int64_t int_value = (int64_t)r.next();
      Bytes actual = random_bytes(r, dtype, l.dst.elements());
      Bytes expected = actual;
      const int64_t offset = -l.dst.lowest * (int64_t)size_of(dtype);
      Bytes value(size_of(dtype));
      // Integer fills saturate to the dtype's range, as casts from floats do.
      store(dtype, value.data(), 0, is_float(dtype) ? Scalar::f64(float_value)
                                                    : Scalar::integer(saturated_to(dtype, int_value)));
      for_each_index(l, [&](int64_t d, int64_t) { memcpy(expected.data() + offset + d * (int64_t)value.size(), value.data(), value.size()); });
      const int ndim = (int)l.sizes.size();
      CHECK_OK(s4j_fill(S4J_HOST, nullptr, ndim, l.sizes.data(), actual.data() + offset, dtype, l.dst.strides.data(),
                        float_value, int_value));
      CHECK_ELEMENTS(dtype, expected.data(), actual.data(), l.dst.elements(), false,
                     format("fill %s with %g / %lld, %s", name_of(dtype), float_value, (long long)int_value,
                            describe(l).c_str()));
    }
  }
}

TEST(relu_forward_and_backward) {
  Random r(12);
  for (int dtype : kFloatDtypes) {
    const size_t size = size_of(dtype);
    for (int64_t n : {int64_t{1}, int64_t{17}, int64_t{100003}}) {
      Bytes in = random_bytes(r, dtype, n), grad_out = random_bytes(r, dtype, n);
      Bytes expected_out(in.size()), expected_grad(in.size());
      for (int64_t k = 0; k < n; k++) {
        // NaN stays, positive values stay, everything else (-0 included) is +0.
        double x = as_double(load(dtype, in.data(), k));
        if (isnan(x) || x > 0) memcpy(&expected_out[k * size], &in[k * size], size);
        else memset(&expected_out[k * size], 0, size);
        // The gradient passes where the output is not <= 0 (NaN included).
        double y = as_double(load(dtype, expected_out.data(), k));
        if (!(y <= 0)) memcpy(&expected_grad[k * size], &grad_out[k * size], size);
        else memset(&expected_grad[k * size], 0, size);
      }
      Bytes out(in.size()), grad_in(in.size());
      CHECK_OK(s4j_relu(S4J_HOST, nullptr, dtype, n, in.data(), out.data()));
      CHECK_ELEMENTS(dtype, expected_out.data(), out.data(), n, false, format("relu %s n=%lld", name_of(dtype), (long long)n));
      CHECK_OK(s4j_relu_backward(S4J_HOST, nullptr, dtype, n, grad_out.data(), out.data(), grad_in.data()));
      CHECK_ELEMENTS(dtype, expected_grad.data(), grad_in.data(), n, false, format("relu backward %s", name_of(dtype)));
      // In place: relu over its input, the gradient over the incoming one.
      CHECK_OK(s4j_relu(S4J_HOST, nullptr, dtype, n, in.data(), in.data()));
      CHECK_ELEMENTS(dtype, expected_out.data(), in.data(), n, false, format("relu %s in place", name_of(dtype)));
      CHECK_OK(s4j_relu_backward(S4J_HOST, nullptr, dtype, n, grad_out.data(), in.data(), grad_out.data()));
      CHECK_ELEMENTS(dtype, expected_grad.data(), grad_out.data(), n, false, format("relu backward %s in place", name_of(dtype)));
    }
  }
}
