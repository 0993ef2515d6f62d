// Reduce (every op, every source and destination dtype, several outputs, outputs that are
// inputs, more inputs and outputs than fit on the stack, large counts that split among threads
// and take streaming stores) and accumulate, against reference loops, on every build of the
// host loops.
#include <math.h>

#include <vector>

#include "reference.h"

using namespace s4jt;

namespace {

const char* op_name(int op) {
  static const char* names[] = {"sum", "prod", "max", "min"};
  return names[op];
}

// The accumulation of the kernels: integers in int64, wrapping.
int64_t combine_integer(int op, int64_t a, int64_t b) {
  switch (op) {
    case S4J_OP_SUM: return (int64_t)((uint64_t)a + (uint64_t)b);
    case S4J_OP_PROD: return (int64_t)((uint64_t)a * (uint64_t)b);
    case S4J_OP_MAX: return a > b ? a : b;
    default: return a < b ? a : b;
  }
}

template <class F>
F combine_float(int op, F a, F b) {
  switch (op) {
    case S4J_OP_SUM: return a + b;
    case S4J_OP_PROD: return a * b;
    case S4J_OP_MAX: return a > b ? a : b;
    default: return a < b ? a : b;
  }
}

// An integer reduction's factor: truncated and saturated to int64 like any float to integer.
int64_t integer_factor(double f) {
  int64_t v;
  store(S4J_I64, &v, 0, Scalar::f64(f));
  return v;
}

// r[k] = postmul * op(premul * in[0][k], ...), in input order: fp32 for F32 and the halves,
// fp64 for F64, int64 for integers; a plain copy keeps the bits.
void reference_reduce(const std::vector<const Bytes*>& in, int src_dtype, Bytes& out, int dst_dtype, int64_t count,
                      int op, double premul, double postmul) {
  const bool pre = premul != 1.0, post = postmul != 1.0;
  const bool copy = in.size() == 1 && src_dtype == dst_dtype && op == S4J_OP_SUM && !pre && !post;
  for (int64_t k = 0; k < count; k++) {
    if (copy) {
      convert_element(dst_dtype, out.data(), k, src_dtype, in[0]->data(), k);
      continue;
    }
    Scalar acc = load(src_dtype, in[0]->data(), 0);
    for (size_t i = 0; i < in.size(); i++) {
      Scalar x = widen(load(src_dtype, in[i]->data(), k), src_dtype == S4J_F64);
      switch (x.kind) {
        case Scalar::kInteger:
          if (pre) x.i = combine_integer(S4J_OP_PROD, x.i, integer_factor(premul));
          acc.i = i == 0 ? x.i : combine_integer(op, acc.i, x.i);
          break;
        case Scalar::kF32:
          if (pre) x.f *= (float)premul;
          acc.f = i == 0 ? x.f : combine_float(op, acc.f, x.f);
          break;
        case Scalar::kF64:
          if (pre) x.d *= premul;
          acc.d = i == 0 ? x.d : combine_float(op, acc.d, x.d);
          break;
      }
      acc.kind = x.kind;
    }
    if (post) {
      if (acc.kind == Scalar::kInteger) acc.i = combine_integer(S4J_OP_PROD, acc.i, integer_factor(postmul));
      else if (acc.kind == Scalar::kF32) acc.f *= (float)postmul;
      else acc.d *= postmul;
    }
    store(dst_dtype, out.data(), k, acc);
  }
}

struct Case {
  int n, n_dst, src_dtype, dst_dtype, op;
  int64_t count;
  double premul, postmul;
  int64_t out_offset = 0;  // elements into its buffer the first output starts (alignment)
  int in_place = 0;        // outputs that are inputs (the first ones), before the others
};

void run_case(Random& r, const Case& c, const std::string& isa) {
  std::vector<Bytes> inputs;
  for (int i = 0; i < c.n; i++) inputs.push_back(random_bytes(r, c.src_dtype, c.count));
  std::vector<Bytes> outputs;
  for (int j = c.in_place; j < c.n_dst; j++) {
    outputs.push_back(random_bytes(r, c.dst_dtype, c.count + (j == c.in_place ? c.out_offset : 0)));
  }
  std::vector<const Bytes*> in;
  for (const Bytes& b : inputs) in.push_back(&b);
  Bytes expected(c.count * size_of(c.dst_dtype));
  reference_reduce(in, c.src_dtype, expected, c.dst_dtype, c.count, c.op, c.premul, c.postmul);
  std::vector<uint64_t> srcs, dsts;
  for (const Bytes& b : inputs) srcs.push_back(reinterpret_cast<uint64_t>(b.data()));
  for (int j = 0; j < c.in_place; j++) dsts.push_back(srcs[j]);
  for (size_t j = 0; j < outputs.size(); j++) {
    int64_t skip = j == 0 ? c.out_offset * (int64_t)size_of(c.dst_dtype) : 0;
    dsts.push_back(reinterpret_cast<uint64_t>(outputs[j].data() + skip));
  }
  CHECK_OK(s4j_reduce(S4J_HOST, nullptr, c.n, srcs.data(), c.src_dtype, c.n_dst, dsts.data(), c.dst_dtype, c.count,
                      c.op, c.premul, c.postmul));
  for (int j = 0; j < c.n_dst && failures() == 0; j++) {
    CHECK_ELEMENTS(c.dst_dtype, expected.data(), reinterpret_cast<const void*>(dsts[j]), c.count, true,
                   format("%s: %s of %d %s into %s, output %d of %d (%d in place), count %lld, pre %g post %g",
                          isa.c_str(), op_name(c.op), c.n, name_of(c.src_dtype), name_of(c.dst_dtype), j, c.n_dst,
                          c.in_place, (long long)c.count, c.premul, c.postmul));
  }
}

// Factors for a dtype: for integer reductions small integers, fractions (truncated) and values
// beyond int64 (saturated).
double factor(Random& r, int src_dtype) {
  if (r.coin()) return 1.0;
  if (!is_float(src_dtype)) {
    const double odd[] = {2.75, -1.5, 1e30, -1e30};
    return r.coin() ? (double)(r.below(7) - 3) : odd[r.below(4)];
  }
  return r.coin() ? 0.5 + r.uniform() : -1.0 / 3;
}

// Runs body once per host loop build, then goes back to the widest.
template <class F>
void for_each_isa(F&& body) {
  for (const std::string& isa : cpu_isas()) {
    CHECK_OK(s4j_cpu_use_isa(isa.c_str()));
    body(isa);
  }
  CHECK_OK(s4j_cpu_use_isa("auto"));
}

}  // namespace

TEST(reduce_every_op_and_dtype_pair) {
  Random r(30);
  for_each_isa([&](const std::string& isa) {
    for (int src : kDtypes) {
      for (int dst : kDtypes) {
        for (int op = S4J_OP_SUM; op <= S4J_OP_MIN && failures() == 0; op++) {
          Case c{1 + (int)r.below(9), 1 + (int)r.below(3), src, dst, op, 1 + r.below(r.coin() ? 9 : 3000),
                 factor(r, src), factor(r, src)};
          run_case(r, c, isa);
        }
      }
    }
  });
}

TEST(reduce_copies_keep_every_bit) {
  // One input summed unscaled into its own dtype is a copy: NaN payloads and all, to every output.
  Random r(31);
  for (int dtype : kDtypes) {
    for (int n_dst : {1, 3}) run_case(r, Case{1, n_dst, dtype, dtype, S4J_OP_SUM, 40001, 1.0, 1.0}, "auto");
    run_case(r, Case{1, 2, dtype, dtype, S4J_OP_SUM, 40001, 1.0, 1.0, 0, 1}, "auto");
  }
}

TEST(reduce_outputs_that_are_inputs) {
  Random r(32);
  for_each_isa([&](const std::string& isa) {
    for (int dtype : {S4J_F32, S4J_BF16, S4J_I32}) {
      for (int n : {1, 2, 3, 5, 8}) {
        for (int op : {S4J_OP_SUM, S4J_OP_MAX}) {
          run_case(r, Case{n, n + 1, dtype, dtype, op, 10007, 1.0, 1.0, 0, n}, isa);  // every input, and one more
          run_case(r, Case{n, 1, dtype, dtype, op, 10007, 1.0, n == 1 ? 1.0 : 0.5, 0, 1}, isa);
        }
      }
    }
  });
}

TEST(reduce_more_inputs_and_outputs_than_the_stack_holds) {
  Random r(33);
  run_case(r, Case{70, 66, S4J_F32, S4J_BF16, S4J_OP_SUM, 1001, 1.0, 1.0 / 70}, "auto");
  run_case(r, Case{65, 1, S4J_I8, S4J_I64, S4J_OP_PROD, 333, 1.0, 1.0}, "auto");
  run_case(r, Case{2, 65, S4J_F64, S4J_F64, S4J_OP_MIN, 77, 1.0, 1.0}, "auto");
}

TEST(reduce_large_counts_stream) {
  // Outputs of 1 MiB or more per call of the loop take streaming stores, f32 sums of 2, 3, 4 or 8
  // inputs a one-pass loop of their own when the outputs are aligned alike (5 inputs do not), and
  // a second output one element off the first's alignment makes it fall back. Serial, the whole
  // range is one call (as each rank's slice in the in-process collectives).
  Random r(34);
  CHECK_OK(s4j_cpu_serial(1));
  for_each_isa([&](const std::string& isa) {
    const int64_t count = (1 << 20) / 8 + 1 + r.below(7);  // two f32 outputs: 1 MiB
    for (int n : {2, 5, 8}) {
      run_case(r, Case{n, 2, S4J_F32, S4J_F32, S4J_OP_SUM, count, 1.0, 1.0}, isa);
      run_case(r, Case{n, 2, S4J_F32, S4J_F32, S4J_OP_SUM, count, 1.0, 1.0, 1}, isa);  // aligned unlike
    }
    run_case(r, Case{3, 1, S4J_F32, S4J_F32, S4J_OP_SUM, 2 * count, 1.0, 1.0}, isa);
    run_case(r, Case{2, 2, S4J_BF16, S4J_BF16, S4J_OP_SUM, 2 * count, 1.0, 0.25}, isa);
    run_case(r, Case{3, 2, S4J_BF16, S4J_BF16, S4J_OP_MAX, 2 * count, 1.0, 1.0}, isa);
    run_case(r, Case{1, 2, S4J_F32, S4J_F32, S4J_OP_SUM, count, 1.0, 1.0, 1}, isa);  // a streamed copy
  });
  CHECK_OK(s4j_cpu_serial(0));
}

TEST(reduce_large_counts_split_among_threads) {
  // Over 64 Ki elements the pool splits the range into pieces, each a call of the loops.
  Random r(35);
  const int threads = s4j_cpu_threads();
  CHECK_OK(s4j_cpu_set_threads(4));
  for (int n : {2, 5}) {
    run_case(r, Case{n, 1, S4J_F32, S4J_F32, S4J_OP_SUM, 400003, 1.0, 1.0}, "auto");
    run_case(r, Case{n, 3, S4J_BF16, S4J_F32, S4J_OP_PROD, 200003, 0.5, 1.0}, "auto");
    run_case(r, Case{n, 2, S4J_I64, S4J_I64, S4J_OP_SUM, 200003, 1.0, 1.0, 0, 1}, "auto");
  }
  CHECK_OK(s4j_cpu_set_threads(threads));
}

TEST(accumulate_every_float_pair) {
  Random r(36);
  for_each_isa([&](const std::string& isa) {
    for (int dst : kFloatDtypes) {
      for (int src : kFloatDtypes) {
        for (int64_t count : {int64_t{1}, 1 + r.below(1000), 70001 + r.below(1000)}) {  // the last one splits
          const double scale = r.coin() ? 1.0 : r.uniform() * 4 - 2;
          Bytes d = random_bytes(r, dst, count), s = random_bytes(r, src, count);
          Bytes expected = d;
          const bool wide = dst == S4J_F64 || src == S4J_F64;
          for (int64_t k = 0; k < count; k++) {
            Scalar a = widen(load(dst, d.data(), k), wide), b = widen(load(src, s.data(), k), wide);
            store(dst, expected.data(), k, wide ? Scalar::f64(a.d + scale * b.d) : Scalar::f32(a.f + (float)scale * b.f));
          }
          CHECK_OK(s4j_accumulate(S4J_HOST, nullptr, d.data(), dst, s.data(), src, count, scale));
          CHECK_ELEMENTS(dst, expected.data(), d.data(), count, true,
                         format("%s: accumulate %s into %s, count %lld, scale %g", isa.c_str(), name_of(src),
                                name_of(dst), (long long)count, scale));
        }
      }
    }
  });
}
