// The fused AdamW step against torch.optim.AdamW's rule in fp64 (within a millionth), its copy of
// the updated parameters exactly the updated shard rounded, and every build of the host loops
// (and any split among threads) computing the same bits.
#include <math.h>

#include <vector>

#include "reference.h"

using namespace s4jt;

namespace {

struct Hyper {
  double lr = 3e-3, beta1 = 0.9, beta2 = 0.95, eps = 1e-8, weight_decay = 0.1;
};

std::vector<float> uniform(Random& r, int64_t n, double scale) {
  std::vector<float> v(n);
  for (float& x : v) x = (float)((r.uniform() * 2 - 1) * scale);
  return v;
}

// Five steps from the same start; returns the parameters and moments as bytes, and checks each
// step against the fp64 rule (the moments too) and its copy against the rounded parameters.
Bytes run_steps(const Hyper& h, int64_t count, const std::string& isa) {
  Random r(40);
  std::vector<float> param = uniform(r, count, 1.0), m(count, 0.0f), v(count, 0.0f);
  std::vector<double> ref_p(param.begin(), param.end()), ref_m(count, 0.0), ref_v(count, 0.0);
  // The first moment with every term's magnitude: the scale of its rounding errors, history included
  // (its terms may cancel). The second moment has no cancellation.
  std::vector<double> m_magnitude(count, 0.0);
  const int copy_dtypes[] = {S4J_BF16, S4J_F16, S4J_F32, -1, S4J_BF16};
  for (int step = 1; step <= 5; step++) {
    const bool bf16_grad = step % 2 == 0;
    const double grad_scale = step == 3 ? 0.5 : 1.0;
    std::vector<float> g32 = uniform(r, count, 0.1);
    Bytes grad(count * (bf16_grad ? 2 : 4));
    for (int64_t k = 0; k < count; k++) {
      store(bf16_grad ? S4J_BF16 : S4J_F32, grad.data(), k, Scalar::f32(g32[k]));
      g32[k] = load(bf16_grad ? S4J_BF16 : S4J_F32, grad.data(), k).f;  // what the kernel reads
    }
    const int copy_dtype = copy_dtypes[step - 1];
    Bytes copy(copy_dtype < 0 ? 0 : count * size_of(copy_dtype));
    CHECK_OK(s4j_adamw(S4J_HOST, nullptr, param.data(), grad.data(), bf16_grad ? S4J_BF16 : S4J_F32, m.data(),
                       v.data(), copy_dtype < 0 ? nullptr : copy.data(), copy_dtype < 0 ? 0 : copy_dtype, count, h.lr,
                       h.beta1, h.beta2, h.eps, h.weight_decay, step, grad_scale));
    const double bc1 = 1 - pow(h.beta1, step), bc2 = 1 - pow(h.beta2, step);
    bool reported = false;
    for (int64_t k = 0; k < count; k++) {
      const double gk = g32[k] * grad_scale, before = ref_p[k];
      ref_p[k] *= 1 - h.lr * h.weight_decay;
      ref_m[k] = h.beta1 * ref_m[k] + (1 - h.beta1) * gk;
      m_magnitude[k] = h.beta1 * m_magnitude[k] + (1 - h.beta1) * fabs(gk);
      ref_v[k] = h.beta2 * ref_v[k] + (1 - h.beta2) * gk * gk;
      ref_p[k] -= (h.lr / bc1) * ref_m[k] / (sqrt(ref_v[k]) / sqrt(bc2) + h.eps);
      const double tolerance = 1e-6 * (fabs(ref_p[k]) + fabs(before) + h.lr / bc1);
      if (!reported && (fabs(param[k] - ref_p[k]) > tolerance || fabs(m[k] - ref_m[k]) > 1e-6 * m_magnitude[k] ||
                        fabs(v[k] - ref_v[k]) > 1e-6 * ref_v[k])) {
        reported = true;
        CHECK_MSG(false, "%s step %d element %lld: p %.9g m %.9g v %.9g, expected %.9g %.9g %.9g", isa.c_str(), step,
                  (long long)k, param[k], m[k], v[k], ref_p[k], ref_m[k], ref_v[k]);
      }
    }
    if (copy_dtype >= 0) {
      Bytes expected(copy.size());
      for (int64_t k = 0; k < count; k++) store(copy_dtype, expected.data(), k, Scalar::f32(param[k]));
      CHECK_ELEMENTS(copy_dtype, expected.data(), copy.data(), count, false,
                     format("%s step %d: the %s copy is the updated shard", isa.c_str(), step, name_of(copy_dtype)));
    }
  }
  Bytes state(count * 12);
  memcpy(state.data(), param.data(), count * 4);
  memcpy(state.data() + count * 4, m.data(), count * 4);
  memcpy(state.data() + count * 8, v.data(), count * 4);
  return state;
}

}  // namespace

TEST(adamw_follows_torch_and_every_build_agrees) {
  const Hyper h;
  const int threads = s4j_cpu_threads();
  for (int64_t count : {int64_t{1}, int64_t{37}, int64_t{100003}}) {
    CHECK_OK(s4j_cpu_use_isa("base"));
    CHECK_OK(s4j_cpu_serial(1));
    const Bytes reference = run_steps(h, count, "base, serial");
    CHECK_OK(s4j_cpu_serial(0));
    for (const std::string& isa : cpu_isas()) {
      CHECK_OK(s4j_cpu_use_isa(isa.c_str()));
      CHECK_OK(s4j_cpu_set_threads(3));
      Bytes state = run_steps(h, count, isa);
      CHECK_MSG(state == reference, "%s differs from base for %lld elements", isa.c_str(), (long long)count);
    }
    CHECK_OK(s4j_cpu_set_threads(threads));
  }
  CHECK_OK(s4j_cpu_use_isa("auto"));
}

TEST(adamw_without_decay_and_with_zero_betas) {
  // beta 0 keeps no history: m = g and v = g^2, and the step is lr * g / (|g| + eps).
  Random r(41);
  const int64_t count = 1001;
  std::vector<float> p = uniform(r, count, 1.0), g = uniform(r, count, 1.0), m(count, 7.0f), v(count, 7.0f);
  std::vector<float> before = p;
  CHECK_OK(s4j_adamw(S4J_HOST, nullptr, p.data(), g.data(), S4J_F32, m.data(), v.data(), nullptr, 0, count, 0.01, 0.0,
                     0.0, 0.0, 0.0, 3, 1.0));
  for (int64_t k = 0; k < count; k++) {
    CHECK(m[k] == g[k] && v[k] == g[k] * g[k]);
    const double expected = before[k] - 0.01 * (g[k] > 0 ? 1 : g[k] < 0 ? -1 : 0);
    CHECK_MSG(fabs(p[k] - expected) <= 1e-6, "element %lld: %.9g, expected %.9g", (long long)k, p[k], expected);
    if (failures() > 0) break;
  }
}
