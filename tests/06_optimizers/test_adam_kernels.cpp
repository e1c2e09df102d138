// The SIMD Adam kernels against the scalar reference: bit-identical, on every
// length from 0 to 70 (all tails of 8 and 16 lanes) and on the milestone's sizes.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/adam_kernels.hpp"
#include "tinytorch/core/cpu_features.hpp"
#include "tinytorch/core/random.hpp"

using namespace tinytorch;

namespace {

struct State {
  std::vector<float> param, grad, m, v;
};

State random_state(int64_t n, uint64_t seed) {
  Generator generator(seed);
  State s;
  for (int64_t i = 0; i < n; ++i) {
    s.param.push_back(generator.normal(0, 1));
    s.grad.push_back(generator.normal(0, 0.1f));
    s.m.push_back(generator.normal(0, 0.01f));
    s.v.push_back(generator.uniform(0, 1e-3f));
  }
  return s;
}

// Both weight-decay flavours, at a later step (non-trivial bias correction).
std::vector<AdamStepScalars> step_settings() {
  AdamStepScalars adam_l2;
  adam_l2.l2 = 0.01f;
  adam_l2.step_size = 1e-3f / (1 - 0.9f * 0.9f * 0.9f);
  adam_l2.bias_correction2_sqrt = 0.0547f;
  AdamStepScalars adamw = adam_l2;
  adamw.l2 = 0.0f;
  adamw.decay = 1.0f - 1e-3f * 0.01f;
  return {adam_l2, adamw};
}

void expect_bit_identical(AdamKernel kernel, const char* name) {
  std::vector<int64_t> lengths;
  for (int64_t n = 0; n <= 70; ++n) lengths.push_back(n);
  for (int64_t n : {200704, 32768, 1280}) lengths.push_back(n);  // 784·256, 256·128, 128·10
  for (const AdamStepScalars& s : step_settings()) {
    for (int64_t n : lengths) {
      State want = random_state(n, 100 + static_cast<uint64_t>(n));
      State got = want;
      adam_update_f32_ref(s, want.param.data(), want.grad.data(), want.m.data(), want.v.data(), n);
      kernel(s, got.param.data(), got.grad.data(), got.m.data(), got.v.data(), n);
      const size_t bytes = static_cast<size_t>(n) * sizeof(float);
      if (bytes == 0) continue;  // n = 0: the kernels ran on null pointers without touching them
      ASSERT_EQ(std::memcmp(got.param.data(), want.param.data(), bytes), 0)
          << name << " param, n = " << n << ", l2 " << s.l2;
      ASSERT_EQ(std::memcmp(got.m.data(), want.m.data(), bytes), 0) << name << " m, n = " << n;
      ASSERT_EQ(std::memcmp(got.v.data(), want.v.data(), bytes), 0) << name << " v, n = " << n;
    }
  }
}

}  // namespace

TINYTORCH_CONCEPT(AdamKernels, "the Adam update on raw float arrays: scalar reference and its SIMD twins",
                  "g = grad + l2 theta; theta = theta decay; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; "
                  "theta -= step_size m / (sqrt(v) / bias_correction2_sqrt + eps); "
                  "SIMD results bit-identical to the reference");

TINYTORCH_TEST_FORMULA(AdamKernels, ReferenceMatchesTheFormulaOnOneElement,
                       "theta = 1, g = 0.5, m = 0.1, v = 0.04: m = 0.9 * 0.1 + 0.1 * 0.5 = 0.14; "
                       "v = 0.999 * 0.04 + 0.001 * 0.25 = 0.04021; "
                       "theta = 1 - 0.01 * 0.14 / (sqrt(0.04021) / 0.5) (+- 1e-7)");
TEST(AdamKernels, ReferenceMatchesTheFormulaOnOneElement) {
  // θ = 1, g = 0.5, m = 0.1, v = 0.04, β = (0.9, 0.999), step_size 0.01, √(1-β2^t) = 0.5, ε = 0, no decay:
  //   m = 0.09 + 0.05 = 0.14;  v = 0.03996 + 0.00025 = 0.04021;  denom = √0.04021 / 0.5
  //   θ = 1 - 0.01 · 0.14 / denom
  AdamStepScalars s;
  s.step_size = 0.01f;
  s.bias_correction2_sqrt = 0.5f;
  s.eps = 0.0f;
  float param = 1.0f, grad = 0.5f, m = 0.1f, v = 0.04f;
  adam_update_f32_ref(s, &param, &grad, &m, &v, 1);
  EXPECT_NEAR(m, 0.14, 1e-7);
  EXPECT_NEAR(v, 0.04021, 1e-7);
  EXPECT_NEAR(param, 1.0 - 0.01 * 0.14 / (std::sqrt(0.04021) / 0.5), 1e-7);
}

TINYTORCH_TEST_FORMULA(AdamKernels, Avx2IsBitIdenticalToReference,
                       "avx2 kernel(theta, m, v) == adam_update_f32_ref(theta, m, v) bit for bit, "
                       "for n = 0..70 and n = 1280, 32768, 200704, "
                       "with Adam and AdamW settings (skipped without AVX2)");
TEST(AdamKernels, Avx2IsBitIdenticalToReference) {
  if (!cpu_features().avx2) GTEST_SKIP() << "CPU without AVX2";
  expect_bit_identical(adam_update_f32_avx2, "avx2");
}

TINYTORCH_TEST_FORMULA(AdamKernels, Avx512IsBitIdenticalToReference,
                       "avx512 kernel(theta, m, v) == adam_update_f32_ref(theta, m, v) bit for bit, "
                       "for n = 0..70 and n = 1280, 32768, 200704, "
                       "with Adam and AdamW settings (skipped without AVX-512)");
TEST(AdamKernels, Avx512IsBitIdenticalToReference) {
  if (!cpu_features().avx512()) GTEST_SKIP() << "CPU without AVX-512";
  expect_bit_identical(adam_update_f32_avx512, "avx512");
}

TINYTORCH_TEST_FORMULA(AdamKernels, DispatchPicksASupportedKernel,
                       "adam_kernel_name() is avx512 only if the CPU has AVX-512, avx2 only if it has AVX2, "
                       "else ref");
TEST(AdamKernels, DispatchPicksASupportedKernel) {
  const std::string name = adam_kernel_name();
  if (name == "avx512") EXPECT_TRUE(cpu_features().avx512());
  else if (name == "avx2") EXPECT_TRUE(cpu_features().avx2);
  else EXPECT_EQ(name, "ref");
}
