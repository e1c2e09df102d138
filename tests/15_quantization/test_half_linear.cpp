// HalfLinear and its kernels (half_linear.hpp): weight-only FP16 / BF16 inference,
//
//   y[m, n] = Σ_k x[m, k] · f32(W16[n, k]) + b[n]                               (1)
//
// The reference kernel is checked against (1) in double, every SIMD path against
// the reference on odd shapes, the layer against a Linear holding f32(W16). The
// float bound, as in test_int4_linear.cpp: two sums of K + 1 rounded terms in
// different orders differ by at most 2 (K + 1) u · Σ|terms|, u = 2^-24.
// The rounded weights are hand-computed float16 / bfloat16 values.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/perf/half_linear.hpp"
#include "tinytorch/perf/half_precision.hpp"

#include "expect_error.hpp"

using namespace tinytorch;

namespace {

constexpr double kUnitRoundoff = 1.0 / (1 << 24);
constexpr double kOrderSlack = 1.01;

using tinytorch::testing::expect_error;

struct Problem {
  Tensor w16;               // (N, K) float16 / bfloat16
  std::vector<float> w;     // f32(W16)
  std::vector<float> x;     // (M, K)
  std::vector<float> bias;  // (N)
};

Problem make_problem(int64_t rows, int64_t N, int64_t K, DType format, uint64_t seed) {
  Generator generator(seed);
  Problem p;
  const Tensor weight = Tensor::randn({N, K}, 0, 0.2f, generator);
  p.w16 = format == DType::Float16 ? to_float16(weight) : to_bfloat16(weight);
  p.w = half_to_float32(p.w16).to_vector();
  p.x = Tensor::uniform({rows, K}, -1, 1, generator).to_vector();
  p.bias = Tensor::randn({N}, 0, 1, generator).to_vector();
  return p;
}

// Σ_k |x[m,k] · w[n,k]| + |b[n]|.
double magnitude(const Problem& p, int64_t K, int64_t m, int64_t n) {
  double total = std::fabs(p.bias[static_cast<std::size_t>(n)]);
  for (int64_t k = 0; k < K; ++k) {
    total += std::fabs(static_cast<double>(p.x[static_cast<std::size_t>(m * K + k)]) * p.w[static_cast<std::size_t>(n * K + k)]);
  }
  return total;
}

}  // namespace

// ---- kernels ---------------------------------------------------------------------------------------

TINYTORCH_CONCEPT(HalfLinearKernel, "the FP16 / BF16 weight-only matmul kernels",
                  "y[m, n] = sum_k x[m, k] * f32(W16[n, k]) + b[n]; a float sum of K + 1 terms is within (K + 1) * u "
                  "* sum |terms| of the exact one (u = 2^-24), two such sums within twice that");

TINYTORCH_TEST_FORMULA(HalfLinearKernel, ReferenceMatchesTheFormulaInDouble,
                       "|y_ref - y_double| <= (K + 1) * u * (sum_k |x * f32(W16)| + |b|), u = 2^-24");
TEST(HalfLinearKernel, ReferenceMatchesTheFormulaInDouble) {
  for (DType format : {DType::Float16, DType::BFloat16}) {
    const int64_t rows = 3, N = 5, K = 41;
    const Problem p = make_problem(rows, N, K, format, 2);
    std::vector<float> y(static_cast<std::size_t>(rows * N));
    half_linear_ref(p.x.data(), rows, p.w16.data<uint16_t>(), format, N, K, p.bias.data(), y.data());
    for (int64_t m = 0; m < rows; ++m) {
      for (int64_t n = 0; n < N; ++n) {
        double exact = p.bias[static_cast<std::size_t>(n)];
        for (int64_t k = 0; k < K; ++k) {
          exact += static_cast<double>(p.x[static_cast<std::size_t>(m * K + k)]) * p.w[static_cast<std::size_t>(n * K + k)];
        }
        EXPECT_LE(std::fabs(y[static_cast<std::size_t>(m * N + n)] - exact),
                  kOrderSlack * (K + 1) * kUnitRoundoff * magnitude(p, K, m, n));
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(HalfLinearKernel, EveryPathMatchesTheReferenceOnOddShapes,
                       "|y_simd - y_ref| <= 2 * (K + 1) * u * (sum_k |x * f32(W16)| + |b|), u = 2^-24");
TEST(HalfLinearKernel, EveryPathMatchesTheReferenceOnOddShapes) {
  std::vector<KernelIsa> paths;
  for (KernelIsa isa : {KernelIsa::Avx2, KernelIsa::Avx512Vnni}) {
    if (kernel_isa_supported(isa)) paths.push_back(isa);
  }
  if (paths.empty()) GTEST_SKIP() << "no SIMD path on this CPU";
  for (DType format : {DType::Float16, DType::BFloat16}) {
    for (int64_t rows : {1, 3, 17, 64, 65, 257}) {
      for (int64_t K : {1, 15, 17, 63, 784}) {
        for (int64_t N : {1, 3, 17, 65}) {
          const Problem p = make_problem(rows, N, K, format, static_cast<uint64_t>(rows * 1000 + K * 10 + N));
          std::vector<float> expected(static_cast<std::size_t>(rows * N));
          half_linear_ref(p.x.data(), rows, p.w16.data<uint16_t>(), format, N, K, p.bias.data(), expected.data());
          for (KernelIsa isa : paths) {
            std::vector<float> y(expected.size());
            half_linear_kernel(isa)(p.x.data(), rows, p.w16.data<uint16_t>(), format, N, K, p.bias.data(), y.data());
            for (int64_t m = 0; m < rows; ++m) {
              for (int64_t n = 0; n < N; ++n) {
                const auto i = static_cast<std::size_t>(m * N + n);
                ASSERT_LE(std::fabs(y[i] - expected[i]), 2 * kOrderSlack * (K + 1) * kUnitRoundoff * magnitude(p, K, m, n))
                    << half_linear_kernel_name(isa) << " " << dtype_name(format) << " M×N×K " << rows << "×" << N << "×"
                    << K << " at (" << m << ", " << n << ")";
              }
            }
          }
        }
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(HalfLinearKernel, RefusesOtherFormats,
                       "format must be float16 or bfloat16 (else ValueError); names Scalar -> \"half_ref\", "
                       "Avx512Vnni -> \"half_avx512\"");
TEST(HalfLinearKernel, RefusesOtherFormats) {
  const float x = 1.0f;
  const uint16_t w = 0;
  float y = 0.0f;
  for (KernelIsa isa : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512Vnni}) {
    if (!kernel_isa_supported(isa)) continue;
    expect_error<ValueError>([&] { half_linear_kernel(isa)(&x, 1, &w, DType::Int8, 1, 1, nullptr, &y); },
                             {"int8", "expected float16 or bfloat16"});
  }
  EXPECT_STREQ(half_linear_kernel_name(KernelIsa::Avx512Vnni), "half_avx512");
  EXPECT_STREQ(half_linear_kernel_name(KernelIsa::Scalar), "half_ref");
}

// ---- the layer -------------------------------------------------------------------------------------------

TINYTORCH_CONCEPT(HalfLinear, "the weight-only FP16 / BF16 Linear layer",
                  "W16 = W rounded to nearest even in float16 or bfloat16; y = x * f32(W16)^T + b (float32 bias and "
                  "sum); a weight that overflows float16 (|W| >= 65520) is refused");

TINYTORCH_TEST_FORMULA(HalfLinear, WeightsAreRoundedToNearestEven,
                       "f32(W16) = W rounded to 11 (float16) or 8 (bfloat16) significant bits, ties to even: 1/3 -> "
                       "0.333251953125 (fp16) or 0.333984375 (bf16); 70000 -> 70144 (bf16); 65519 -> 65504 (fp16)");
TEST(HalfLinear, WeightsAreRoundedToNearestEven) {
  // 1/3: float16 keeps 10 mantissa bits: 0x3555 = 0.333251953125 (1/3 − 8.1e-5);
  //      bfloat16 keeps 7: 0x3EAB = 0.333984375 (rounded up, 1/3 + 6.5e-4).
  // 70000 overflows nothing in bfloat16: between 69632 and 70144 (step 512), nearer 70144.
  const Linear fp32(Tensor::from_values({1.0f / 3.0f, 70000.0f}, {1, 2}), Tensor());
  const HalfLinear bf16(fp32, DType::BFloat16);
  EXPECT_EQ(bf16.weight16().dtype(), DType::BFloat16);
  EXPECT_EQ(bf16.dequantized_weight().to_vector(), (std::vector<float>{0.333984375f, 70144.0f}));
  const HalfLinear fp16(Linear(Tensor::from_values({1.0f / 3.0f, 65519.0f}, {1, 2}), Tensor()), DType::Float16);
  // 65519 < 65520 (halfway to the next, non-existent step) rounds down to 65504.
  EXPECT_EQ(fp16.dequantized_weight().to_vector(), (std::vector<float>{0.333251953125f, 65504.0f}));
  EXPECT_EQ(fp16.weight16().data<uint16_t>()[0], 0x3555);
}

TINYTORCH_TEST_FORMULA(HalfLinear, Float16OverflowIsRefusedNamingTheWeight,
                       "a weight rounding to float16 Inf (>= 65520) -> ValueError naming weight[n, k] and suggesting "
                       "bfloat16; a NaN weight -> ValueError");
TEST(HalfLinear, Float16OverflowIsRefusedNamingTheWeight) {
  // 65520 rounds up past 65504: float16 Inf.
  const Linear fp32(Tensor::from_values({0.5f, 1.0f, 2.0f, 65520.0f}, {2, 2}), Tensor());
  expect_error<ValueError>([&] { HalfLinear(fp32, DType::Float16); },
                           {"HalfLinear", "weight[1, 1]", "65520", "overflows float16", "bfloat16"});
  EXPECT_NO_THROW(HalfLinear(fp32, DType::BFloat16));
  const Linear nan_layer(Tensor::from_values({std::nanf(""), 1.0f}, {1, 2}), Tensor());
  expect_error<ValueError>([&] { HalfLinear(nan_layer, DType::BFloat16); }, {"weight[0, 0]", "nan"});
}

TINYTORCH_TEST_FORMULA(HalfLinear, ForwardMatchesALinearWithTheWidenedWeight,
                       "HalfLinear(x) = Linear(f32(W16), b)(x) within 2 * (K + 1) * u * sum |terms| (fused path for 1 "
                       "and 3 rows, block path for 65)");
TEST(HalfLinear, ForwardMatchesALinearWithTheWidenedWeight) {
  Generator generator(41);
  const Linear fp32(37, 19, true, generator);
  const NoGradGuard no_grad;
  for (DType format : {DType::Float16, DType::BFloat16}) {
    HalfLinear layer(fp32, format);
    Linear reference(layer.dequantized_weight(), fp32.bias().detach());
    for (int64_t rows : {1, 3, 65}) {  // the fused kernel (1, 3) and the block path (65)
      Problem p;
      p.w = layer.dequantized_weight().to_vector();
      p.bias = fp32.bias().to_vector();
      const Tensor x = Tensor::uniform({rows, 37}, -1, 1, generator);
      p.x = x.to_vector();
      const std::vector<float> got = layer(x).to_vector();
      const std::vector<float> expected = reference(x).to_vector();
      for (int64_t m = 0; m < rows; ++m) {
        for (int64_t n = 0; n < 19; ++n) {
          const auto i = static_cast<std::size_t>(m * 19 + n);
          ASSERT_LE(std::fabs(got[i] - expected[i]), 2 * kOrderSlack * 38 * kUnitRoundoff * magnitude(p, 37, m, n))
              << dtype_name(format) << " rows " << rows;
        }
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(HalfLinear, EveryKernelPathGivesTheSameLayerOutput,
                       "every supported kernel path = the scalar path within 1e-4");
TEST(HalfLinear, EveryKernelPathGivesTheSameLayerOutput) {
  Generator generator(42);
  HalfLinear layer(Linear(63, 17, true, generator), DType::BFloat16);
  const Tensor x = Tensor::uniform({2, 63}, -1, 1, generator);
  layer.set_kernel_isa(KernelIsa::Scalar);
  const std::vector<float> reference = layer(x).to_vector();
  for (KernelIsa isa : {KernelIsa::Avx2, KernelIsa::Avx512Vnni}) {
    if (!kernel_isa_supported(isa)) continue;
    layer.set_kernel_isa(isa);
    const std::vector<float> got = layer(x).to_vector();
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], reference[i], 1e-4) << kernel_isa_name(isa);
  }
}

TINYTORCH_TEST_FORMULA(HalfLinear, MemoryUsageOfTheMnistFirstLayer,
                       "original = 4 * (N*K + N); quantized = 2 * N*K + 4 * N; ratio = original / quantized");
TEST(HalfLinear, MemoryUsageOfTheMnistFirstLayer) {
  // FP32: 4·784·256 + 4·256 = 803,840 bytes; 16-bit weights: 2·784·256 = 401,408 + bias 1,024
  // = 402,432; ratio 803,840 / 402,432 = 1.99745.
  Generator generator(43);
  const HalfLinear layer(Linear(784, 256, true, generator), DType::Float16);
  const MemoryUsage usage = layer.memory_usage();
  EXPECT_EQ(usage.original_bytes, 803840);
  EXPECT_EQ(usage.quantized_bytes, 402432);
  EXPECT_NEAR(usage.ratio, 1.99745, 1e-5);
}

TINYTORCH_TEST_FORMULA(HalfLinear, BuffersFormatAndRepr,
                       "buffers weight 16-bit (N, K) and bias F32 (N) when there is one; extra_repr \"in_features=K, "
                       "out_features=N, weights <format>\"");
TEST(HalfLinear, BuffersFormatAndRepr) {
  Generator generator(44);
  const HalfLinear layer(Linear(9, 4, true, generator), DType::BFloat16);
  const NamedParameters buffers = layer.named_buffers();
  ASSERT_EQ(buffers.size(), 2u);
  EXPECT_EQ(buffers[0].first, "weight");
  EXPECT_EQ(buffers[0].second.shape(), (Shape{4, 9}));
  EXPECT_EQ(buffers[1].first, "bias");
  EXPECT_EQ(layer.format(), DType::BFloat16);
  EXPECT_EQ(layer.extra_repr(), "in_features=9, out_features=4, weights bfloat16");
  const HalfLinear no_bias(Linear(9, 4, false, generator), DType::Float16);
  EXPECT_FALSE(no_bias.bias().defined());
  EXPECT_EQ(no_bias.named_buffers().size(), 1u);
}

TINYTORCH_TEST_FORMULA(HalfLinear, FromPartsRoundTripAndCloneIndependence,
                       "HalfLinear(weight16, bias) gives the same outputs; a clone owns its buffers");
TEST(HalfLinear, FromPartsRoundTripAndCloneIndependence) {
  Generator generator(45);
  HalfLinear layer(Linear(12, 5, true, generator), DType::Float16);
  HalfLinear copy(layer.weight16(), layer.bias());
  const Tensor x = Tensor::uniform({2, 12}, -1, 1, generator);
  const std::vector<float> before = layer(x).to_vector();
  EXPECT_EQ(copy(x).to_vector(), before);
  auto clone = std::static_pointer_cast<HalfLinear>(layer.clone());
  clone->named_buffers()[1].second.fill_(100.0f);  // the clone's bias
  EXPECT_EQ(layer(x).to_vector(), before);
  EXPECT_NE((*clone)(x).to_vector(), before);
}

TINYTORCH_TEST_FORMULA(HalfLinear, BadInputsAreRefusedWithTheirShapes,
                       "last axis != in_features -> ShapeError; a non-float32 input -> DTypeError; a format other "
                       "than float16 / bfloat16 -> ValueError; parts of the wrong dtype or shape -> DTypeError / "
                       "ShapeError");
TEST(HalfLinear, BadInputsAreRefusedWithTheirShapes) {
  Generator generator(46);
  HalfLinear layer(Linear(4, 3, true, generator), DType::Float16);
  expect_error<ShapeError>([&] { layer(Tensor::zeros({2, 5})); }, {"HalfLinear::forward", "(2, 5)", "in_features = 4"});
  expect_error<DTypeError>([&] { layer(Tensor::from_int32({1, 2, 3, 4}, {1, 4})); }, {"HalfLinear::forward", "int32"});
  expect_error<ValueError>([&] { HalfLinear(Linear(4, 3, true, generator), DType::Int8); },
                           {"HalfLinear", "int8", "float16 or bfloat16"});
  expect_error<DTypeError>([] { HalfLinear(Tensor::zeros({2, 2}), Tensor()); }, {"weight is float32", "(2, 2)"});
  expect_error<ShapeError>([] { HalfLinear(to_float16(Tensor::zeros({4})), Tensor()); }, {"weight is (4,)"});
  expect_error<ShapeError>([] { HalfLinear(to_float16(Tensor::zeros({2, 2})), Tensor::zeros({3})); },
                           {"bias is (3,)", "(2) = (out_features)"});
  expect_error<DTypeError>([] { HalfLinear(to_float16(Tensor::zeros({2, 2})), Tensor::from_int32({1, 2}, {2})); },
                           {"bias is int32"});
}
