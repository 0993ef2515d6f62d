// Copy plans as the multi-tensor kernels build them (pack, unpack, chunk-cat): every segment
// converted and scaled like the reference loop, padding written as zeros, on every build of the
// host loops, with plans large enough to split into tiles and to take streaming stores.
#include <math.h>

#include <memory>
#include <vector>

#include "reference.h"

using namespace s4jt;

namespace {

struct Segments {
  std::vector<uint64_t> src, dst;
  std::vector<int64_t> count;
  std::vector<int32_t> src_dtype, dst_dtype;
  // An empty segment still names a destination (the plan refuses a null one); nothing is written.
  void add(const void* from, int from_dtype, void* to, int to_dtype, int64_t n) {
    static uint8_t nowhere;
    src.push_back(reinterpret_cast<uint64_t>(from));
    dst.push_back(reinterpret_cast<uint64_t>(n == 0 && to == nullptr ? &nowhere : to));
    count.push_back(n);
    src_dtype.push_back(from_dtype);
    dst_dtype.push_back(to_dtype);
  }
};

// What the plan writes: dst = convert(src * scale) in fp32 (fp64 when either side is F64), the
// exact conversion for scale 1, zeros where the source is null.
void reference_run(const Segments& s, double scale) {
  for (size_t i = 0; i < s.count.size(); i++) {
    void* dst = reinterpret_cast<void*>(s.dst[i]);
    const void* src = reinterpret_cast<const void*>(s.src[i]);
    const int dt = s.dst_dtype[i], st = s.src_dtype[i];
    for (int64_t k = 0; k < s.count[i]; k++) {
      if (src == nullptr) {
        memset(static_cast<char*>(dst) + k * (int64_t)size_of(dt), 0, size_of(dt));
      } else if (scale == 1.0) {
        convert_element(dt, dst, k, st, src, k);
      } else {
        const bool wide = dt == S4J_F64 || st == S4J_F64;
        Scalar x = widen(load(st, src, k), wide);
        store(dt, dst, k, wide ? Scalar::f64(x.d * scale) : Scalar::f32(x.f * (float)scale));
      }
    }
  }
}

// Runs the plan of `s` (whose destinations lie in the buffers `outs`) and compares every output
// buffer with the reference. The segment arrays are gone before the plan runs: it keeps its own.
void check_plan(Segments s, std::vector<Bytes*> outs, const std::vector<int>& out_dtypes, double scale,
                bool nan_equal, const std::string& what) {
  std::vector<Bytes> expected;
  for (Bytes* o : outs) expected.push_back(*o);
  s4j_plan_t plan = nullptr;
  {
    std::unique_ptr<Segments> copy(new Segments(s));
    CHECK_OK(s4j_plan_create(S4J_HOST, (int)copy->count.size(), copy->src.data(), copy->dst.data(), copy->count.data(),
                             copy->src_dtype.data(), copy->dst_dtype.data(), &plan));
  }
  CHECK_OK(s4j_plan_run(plan, scale, nullptr));
  CHECK_OK(s4j_plan_destroy(plan));
  // The reference writes where the plan did: move the plan's results aside first.
  std::vector<Bytes> actual;
  for (size_t j = 0; j < outs.size(); j++) {
    actual.push_back(*outs[j]);
    *outs[j] = expected[j];
  }
  reference_run(s, scale);
  for (size_t j = 0; j < outs.size() && failures() == 0; j++) {
    CHECK_ELEMENTS(out_dtypes[j], outs[j]->data(), actual[j].data(),
                   (int64_t)(outs[j]->size() / size_of(out_dtypes[j])), nan_equal,
                   format("%s, output %zu, scale %g", what.c_str(), j, scale));
  }
}

int random_float_dtype(Random& r) { return kFloatDtypes[r.below(4)]; }

int64_t random_count(Random& r) {
  switch (r.below(10)) {
    case 0: return 0;
    case 1: case 2: return 1 + r.below(5);
    case 3: return 65536 + r.below(3) - 1;  // one tile, or just over
    case 4: return 131072 + 1 + r.below(20000);
    default: return 1 + r.below(5000);
  }
}

void check_pack_unpack(Random& r, int segments, double scale, const std::string& isa) {
  const int flat_dtype = random_float_dtype(r);
  std::vector<Bytes> tensors;
  std::vector<int> dtypes;
  std::vector<int64_t> offsets, padding;
  int64_t flat_count = 0;
  for (int i = 0; i < segments; i++) {
    int dtype = random_float_dtype(r);
    int64_t n = random_count(r);
    tensors.push_back(random_bytes(r, dtype, n));
    dtypes.push_back(dtype);
    offsets.push_back(flat_count);
    padding.push_back(r.below(3) == 0 ? 1 + r.below(9) : 0);
    flat_count += n + padding.back();
  }
  Bytes flat = random_bytes(r, flat_dtype, flat_count);
  Segments pack;
  for (int i = 0; i < segments; i++) {
    const int64_t n = (int64_t)(tensors[i].size() / size_of(dtypes[i]));
    uint8_t* at = flat.data() + offsets[i] * (int64_t)size_of(flat_dtype);
    pack.add(tensors[i].data(), dtypes[i], at, flat_dtype, n);
    if (padding[i] > 0) pack.add(nullptr, dtypes[i], at + n * (int64_t)size_of(flat_dtype), flat_dtype, padding[i]);
  }
  const std::string what = format("%s: %d segments into %s", isa.c_str(), segments, name_of(flat_dtype));
  check_plan(pack, {&flat}, {flat_dtype}, scale, scale != 1.0, "pack " + what);
  // Unpack: the flat buffer back into the tensors (the padding stays behind).
  Segments unpack;
  std::vector<Bytes*> outs;
  for (int i = 0; i < segments; i++) {
    const int64_t n = (int64_t)(tensors[i].size() / size_of(dtypes[i]));
    unpack.add(flat.data() + offsets[i] * (int64_t)size_of(flat_dtype), flat_dtype, tensors[i].data(), dtypes[i], n);
    outs.push_back(&tensors[i]);
  }
  check_plan(unpack, outs, dtypes, scale, scale != 1.0, "unpack " + what);
}

// Reduce-scatter copy-in: gradient p split into world chunks of ceil(numel / world) elements,
// row r of the [world][shard] output holding the r-th chunk of every gradient, zero padded.
void check_chunk_cat(Random& r, int world, const std::string& isa) {
  const int out_dtype = random_float_dtype(r);
  const int grads = 1 + (int)r.below(5);
  std::vector<Bytes> g;
  std::vector<int> dtypes;
  std::vector<int64_t> numel, chunk, shard_offset;
  int64_t shard = 0;
  for (int p = 0; p < grads; p++) {
    dtypes.push_back(random_float_dtype(r));
    numel.push_back(1 + r.below(40000));
    g.push_back(random_bytes(r, dtypes[p], numel[p]));
    chunk.push_back((numel[p] + world - 1) / world);
    shard_offset.push_back(shard);
    shard += chunk[p];
  }
  Bytes out = random_bytes(r, out_dtype, world * shard);
  Segments s;
  const size_t os = size_of(out_dtype);
  for (int rank = 0; rank < world; rank++) {
    for (int p = 0; p < grads; p++) {
      int64_t first = rank * chunk[p];
      int64_t count = numel[p] - first < chunk[p] ? numel[p] - first : chunk[p];
      if (count < 0) count = 0;
      uint8_t* to = out.data() + (rank * shard + shard_offset[p]) * (int64_t)os;
      if (count > 0) s.add(g[p].data() + first * (int64_t)size_of(dtypes[p]), dtypes[p], to, out_dtype, count);
      if (chunk[p] > count) s.add(nullptr, out_dtype, to + count * (int64_t)os, out_dtype, chunk[p] - count);
    }
  }
  double scale = r.coin() ? 1.0 : 1.0 / world;
  check_plan(s, {&out}, {out_dtype}, scale, scale != 1.0,
             format("chunk-cat %s: %d grads, world %d into %s", isa.c_str(), grads, world, name_of(out_dtype)));
}

}  // namespace

TEST(plan_pack_and_unpack) {
  Random r(20);
  for (const std::string& isa : cpu_isas()) {
    CHECK_OK(s4j_cpu_use_isa(isa.c_str()));
    for (int trial = 0; trial < 6 && failures() == 0; trial++) {
      check_pack_unpack(r, 1 + (int)r.below(9), 1.0, isa);
      check_pack_unpack(r, 1 + (int)r.below(9), r.coin() ? 0.37 : -1.7, isa);
    }
  }
  CHECK_OK(s4j_cpu_use_isa("auto"));
}

TEST(plan_chunk_cat) {
  Random r(21);
  for (const std::string& isa : cpu_isas()) {
    CHECK_OK(s4j_cpu_use_isa(isa.c_str()));
    for (int world : {1, 2, 3, 8}) check_chunk_cat(r, world, isa);
  }
  CHECK_OK(s4j_cpu_use_isa("auto"));
}

TEST(plan_streaming_stores) {
  // Plans writing 8 MiB or more take streaming stores: plain copies (as wide as each build has
  // them) and converted blocks, exact and scaled, from sources and into destinations one element
  // off their alignment.
  Random r(22);
  const int pairs[][2] = {{S4J_F64, S4J_F64}, {S4J_F64, S4J_BF16}, {S4J_F32, S4J_F16}};
  for (const std::string& isa : cpu_isas()) {
    CHECK_OK(s4j_cpu_use_isa(isa.c_str()));
    for (const auto& pair : pairs) {
      const int dst = pair[0], src = pair[1];
      // Plain copies (as wide as each build has them) on every build, converted blocks on one.
      if (dst != src && isa != "base") continue;
      const int64_t n = (8 << 20) / (int64_t)size_of(dst) + 1 + r.below(100);
      Bytes in = random_bytes(r, src, n + 1), out = random_bytes(r, dst, n + 1);
      Segments s;
      s.add(in.data() + size_of(src), src, out.data() + size_of(dst), dst, n);
      const double scale = dst == src ? 1.0 : 0.75;
      check_plan(s, {&out}, {dst}, scale, scale != 1.0,
                 format("%s streaming %s -> %s", isa.c_str(), name_of(src), name_of(dst)));
    }
  }
  CHECK_OK(s4j_cpu_use_isa("auto"));
}
