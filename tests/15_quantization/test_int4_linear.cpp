// Int4Linear and its kernels (int4_linear.hpp), and the weight-only driver they run on
// (weight_only_matmul.hpp):
//
//   y[m, n] = Σ_k x[m, k] · Ŵ[n, k] + b[n],   Ŵ = s[n, g(k)] · q[n, k]          (1)
//
// The reference kernel is checked against (1) computed in double; every SIMD path
// (fused kernel and block converter) against the reference on odd shapes. Float
// sums in different orders differ; the bound is the textbook one for a sum of
// K + 1 rounded terms: |fl(Σ) − Σ| <= γ · Σ|terms|, γ = (K + 1)·u, u = 2^-24, so two
// such sums differ by at most 2γ · Σ|terms| (kOrderSlack on top of it for safety).
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
#include "tinytorch/perf/int4_linear.hpp"
#include "tinytorch/perf/weight_only_matmul.hpp"

#include "expect_error.hpp"

using namespace tinytorch;

namespace {

constexpr double kUnitRoundoff = 1.0 / (1 << 24);  // float32 u = 2^-24
constexpr double kOrderSlack = 1.01;

using tinytorch::testing::expect_error;

// Σ_k |x[m,k] · Ŵ[n,k]| + |b[n]|: the scale of the rounding error of output (m, n).
double magnitude(const std::vector<float>& x, const std::vector<float>& w, const float* bias, int64_t K, int64_t m,
                 int64_t n) {
  double total = bias != nullptr ? std::fabs(bias[n]) : 0.0;
  for (int64_t k = 0; k < K; ++k) {
    total += std::fabs(static_cast<double>(x[static_cast<std::size_t>(m * K + k)]) * w[static_cast<std::size_t>(n * K + k)]);
  }
  return total;
}

struct Problem {
  Int4GroupedWeights weights;
  std::vector<float> w_hat;  // (3), (N, K)
  std::vector<float> x;      // (M, K)
  std::vector<float> bias;   // (N)
};

Problem make_problem(int64_t rows, int64_t N, int64_t K, int64_t group, uint64_t seed) {
  Generator generator(seed);
  Problem p;
  p.weights = quantize_int4_grouped(Tensor::randn({N, K}, 0, 0.2f, generator), group);
  p.w_hat = dequantize_int4_grouped(p.weights).to_vector();
  p.x = Tensor::uniform({rows, K}, -1, 1, generator).to_vector();
  p.bias = Tensor::randn({N}, 0, 1, generator).to_vector();
  return p;
}

std::vector<KernelIsa> supported_simd_paths() {
  std::vector<KernelIsa> paths;
  for (KernelIsa isa : {KernelIsa::Avx2, KernelIsa::Avx512Vnni}) {
    if (kernel_isa_supported(isa)) paths.push_back(isa);
  }
  return paths;
}

}  // namespace

// ---- kernels ---------------------------------------------------------------------------------------

TINYTORCH_CONCEPT(Int4LinearKernel, "the INT4 weight-only matmul kernels",
                  "y[m, n] = sum_k x[m, k] * W_hat[n, k] + b[n], W_hat = s[n, g(k)] * q[n, k]; a float sum of K + 1 "
                  "terms is within (K + 1) * u * sum |terms| of the exact one (u = 2^-24), two such sums within twice "
                  "that");

TINYTORCH_TEST_FORMULA(Int4LinearKernel, ReferenceMatchesTheFormulaInDouble,
                       "|y_ref - y_double| <= (K + 1) * u * (sum_k |x * W_hat| + |b|), u = 2^-24");
TEST(Int4LinearKernel, ReferenceMatchesTheFormulaInDouble) {
  for (const auto& [rows, N, K, group] : std::vector<std::tuple<int64_t, int64_t, int64_t, int64_t>>{
           {1, 1, 1, 16}, {3, 5, 17, 16}, {2, 7, 100, 32}, {4, 3, 257, 128}}) {
    const Problem p = make_problem(rows, N, K, group, 1);
    std::vector<float> y(static_cast<std::size_t>(rows * N));
    int4_linear_ref(p.x.data(), rows, p.weights, p.bias.data(), y.data());
    for (int64_t m = 0; m < rows; ++m) {
      for (int64_t n = 0; n < N; ++n) {
        double exact = p.bias[static_cast<std::size_t>(n)];
        for (int64_t k = 0; k < K; ++k) {
          exact += static_cast<double>(p.x[static_cast<std::size_t>(m * K + k)]) * p.w_hat[static_cast<std::size_t>(n * K + k)];
        }
        const double bound = kOrderSlack * (K + 1) * kUnitRoundoff * magnitude(p.x, p.w_hat, p.bias.data(), K, m, n);
        EXPECT_LE(std::fabs(y[static_cast<std::size_t>(m * N + n)] - exact), bound)
            << "M×N×K " << rows << "×" << N << "×" << K << " at (" << m << ", " << n << ")";
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(Int4LinearKernel, EveryPathMatchesTheReferenceOnOddShapes,
                       "|y_simd - y_ref| <= 2 * (K + 1) * u * (sum_k |x * W_hat| + |b|), u = 2^-24");
TEST(Int4LinearKernel, EveryPathMatchesTheReferenceOnOddShapes) {
  const std::vector<KernelIsa> paths = supported_simd_paths();
  if (paths.empty()) GTEST_SKIP() << "no SIMD path on this CPU";
  for (int64_t group : {16, 32}) {  // 16: two groups per 32-weight chunk (the AVX-512 two-table case)
    for (int64_t rows : {1, 3, 17, 64, 65, 257}) {
      for (int64_t K : {1, 15, 17, 63, 784}) {
        for (int64_t N : {1, 3, 17, 65}) {
          const Problem p = make_problem(rows, N, K, group, static_cast<uint64_t>(rows * 1000 + K * 10 + N));
          std::vector<float> expected(static_cast<std::size_t>(rows * N));
          int4_linear_ref(p.x.data(), rows, p.weights, p.bias.data(), expected.data());
          for (KernelIsa isa : paths) {
            std::vector<float> y(expected.size());
            int4_linear_kernel(isa)(p.x.data(), rows, p.weights, p.bias.data(), y.data());
            for (int64_t m = 0; m < rows; ++m) {
              for (int64_t n = 0; n < N; ++n) {
                const auto i = static_cast<std::size_t>(m * N + n);
                const double bound =
                    2 * kOrderSlack * (K + 1) * kUnitRoundoff * magnitude(p.x, p.w_hat, p.bias.data(), K, m, n);
                ASSERT_LE(std::fabs(y[i] - expected[i]), bound)
                    << int4_linear_kernel_name(isa) << " M×N×K " << rows << "×" << N << "×" << K << " group " << group
                    << " at (" << m << ", " << n << ")";
              }
            }
          }
        }
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(Int4LinearKernel, NullBiasAddsNothing,
                       "the bias is added last: y(bias) = fl(y(no bias) + b[n])");
TEST(Int4LinearKernel, NullBiasAddsNothing) {
  const Problem p = make_problem(2, 3, 40, 16, 4);
  for (KernelIsa isa : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512Vnni}) {
    if (!kernel_isa_supported(isa)) continue;
    std::vector<float> with_bias(6), without(6);
    int4_linear_kernel(isa)(p.x.data(), 2, p.weights, p.bias.data(), with_bias.data());
    int4_linear_kernel(isa)(p.x.data(), 2, p.weights, nullptr, without.data());
    // The same sum, the bias added last: with = fl(without + b).
    for (int i = 0; i < 6; ++i) EXPECT_EQ(with_bias[i], without[i] + p.bias[static_cast<std::size_t>(i % 3)]);
  }
}

TINYTORCH_TEST_FORMULA(Int4LinearKernel, ConvertersEqualTheReferenceToTheBit,
                       "s * q is exact in float32: every converter's rows = dequantize_int4_rows_ref bit for bit");
TEST(Int4LinearKernel, ConvertersEqualTheReferenceToTheBit) {
  // s · q is exact in float32, so every converter must give the reference's bits.
  for (int64_t group : {16, 32, 48, 128}) {
    for (int64_t K : {1, 7, 15, 17, 63, 784}) {
      const Problem p = make_problem(1, 5, K, group, static_cast<uint64_t>(K + group));
      std::vector<float> expected(static_cast<std::size_t>(3 * K)), got(expected.size());
      dequantize_int4_rows_ref(p.weights, 1, 4, expected.data());
      if (kernel_isa_supported(KernelIsa::Avx2)) {
        dequantize_int4_rows_avx2(p.weights, 1, 4, got.data());
        ASSERT_EQ(got, expected) << "avx2, K " << K << " group " << group;
      }
      if (kernel_isa_supported(KernelIsa::Avx512Vnni)) {
        dequantize_int4_rows_avx512(p.weights, 1, 4, got.data());
        ASSERT_EQ(got, expected) << "avx512, K " << K << " group " << group;
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(Int4LinearKernel, NamesSayTheirPath,
                       "Scalar -> \"int4_ref\" (int4_linear_ref), Avx2 -> \"int4_avx2\", Avx512Vnni -> "
                       "\"int4_avx512\"");
TEST(Int4LinearKernel, NamesSayTheirPath) {
  EXPECT_STREQ(int4_linear_kernel_name(KernelIsa::Scalar), "int4_ref");
  EXPECT_STREQ(int4_linear_kernel_name(KernelIsa::Avx2), "int4_avx2");
  EXPECT_STREQ(int4_linear_kernel_name(KernelIsa::Avx512Vnni), "int4_avx512");
  EXPECT_EQ(int4_linear_kernel(KernelIsa::Scalar), &int4_linear_ref);
}

// ---- the driver ----------------------------------------------------------------------------------------

TINYTORCH_CONCEPT(WeightOnlyMatmul,
                  "the weight-only driver: a fused kernel for few rows, block conversion + sgemm for many",
                  "rows <= 32: the fused kernel; more: blocks of block_rows weight rows converted to float32, then "
                  "sgemm; fit = floor(512 KiB / (4 * K) / 16) * 16 (at least 16), blocks = ceil(N / fit), block_rows "
                  "= min(round_up_16(ceil(N / blocks)), N)");

TEST(WeightOnlyMatmul, BlockRowsFitTheScratch) {
  // 512 KiB / (4 · 784) = 167.2 rows -> at most 160 (a multiple of 16): 256 rows need 2 blocks,
  // spread evenly: 128 each. Never below 16, never above N.
  ASSERT_EQ(kWeightOnlyScratchBytes, 512 * 1024);
  EXPECT_EQ(weight_only_block_rows(256, 784), 128);
  EXPECT_EQ(weight_only_block_rows(300, 784), 160);  // 2 blocks: ceil(300 / 2) = 150 -> 160
  EXPECT_EQ(weight_only_block_rows(10, 128), 10);
  EXPECT_EQ(weight_only_block_rows(1000, 100000), 16);
}

TINYTORCH_TEST_FORMULA(WeightOnlyMatmul, FewRowsRunFusedManyRowsConvertBlocks,
                       "rows <= 32: one fused call, no conversion; 33 rows: ceil(N / block_rows) conversions; with "
                       "W_hat[n, k] = n + k / 8 and b = 0.5: y = sum_k (n + k / 8) + 0.5 = 9n + 5");
TEST(WeightOnlyMatmul, FewRowsRunFusedManyRowsConvertBlocks) {
  // Ŵ[n, k] = n + k/8 (exact), converted on request; the fused function only counts its calls.
  const int64_t N = 200, K = 9;
  int fused_calls = 0;
  std::vector<std::pair<int64_t, int64_t>> blocks;
  const WeightOnlyOperand operand{
      N, K, [&](const float*, int64_t, const float*, float*) { ++fused_calls; },
      [&](int64_t n0, int64_t n1, float* out) {
        blocks.emplace_back(n0, n1);
        for (int64_t n = n0; n < n1; ++n) {
          for (int64_t k = 0; k < K; ++k) out[(n - n0) * K + k] = static_cast<float>(n) + static_cast<float>(k) / 8;
        }
      }};
  const int64_t rows = kWeightOnlyFusedMaxRows + 1;
  std::vector<float> x(static_cast<std::size_t>(rows * K), 1.0f), bias(N, 0.5f), y(static_cast<std::size_t>(rows * N));
  weight_only_matmul(x.data(), kWeightOnlyFusedMaxRows, operand, bias.data(), y.data());
  EXPECT_EQ(fused_calls, 1);
  EXPECT_TRUE(blocks.empty());
  weight_only_matmul(x.data(), rows, operand, bias.data(), y.data());
  EXPECT_EQ(fused_calls, 1);
  const int64_t block = weight_only_block_rows(N, K);  // 200: K is small, one block holds every row
  ASSERT_EQ(blocks.size(), static_cast<std::size_t>((N + block - 1) / block));
  // y[m, n] = Σ_k (n + k/8) + 0.5 = 9n + 36/8 + 0.5 = 9n + 5, exact in float32.
  for (int64_t m = 0; m < rows; ++m) {
    for (int64_t n = 0; n < N; ++n) ASSERT_EQ(y[static_cast<std::size_t>(m * N + n)], 9.0f * n + 5.0f);
  }
}

TINYTORCH_TEST_FORMULA(WeightOnlyMatmul, BlockedPathMatchesTheReferenceAcrossSeveralBlocks,
                       "N = 300, K = 784: blocks of 160 and 140 rows; |y_blocked - y_ref| <= 2 * (K + 1) * u * sum "
                       "|terms|");
TEST(WeightOnlyMatmul, BlockedPathMatchesTheReferenceAcrossSeveralBlocks) {
  // N = 300, K = 784: blocks of 160 and 140 rows (BlockRowsFitTheScratch).
  const int64_t rows = 9, N = 300, K = 784;
  const Problem p = make_problem(rows, N, K, 32, 8);
  std::vector<float> expected(static_cast<std::size_t>(rows * N)), y(expected.size());
  int4_linear_ref(p.x.data(), rows, p.weights, p.bias.data(), expected.data());
  const WeightOnlyOperand operand{
      N, K, nullptr, [&](int64_t n0, int64_t n1, float* out) { dequantize_int4_rows_ref(p.weights, n0, n1, out); }};
  weight_only_matmul_blocked(p.x.data(), rows, operand, p.bias.data(), y.data());
  for (int64_t m = 0; m < rows; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      const auto i = static_cast<std::size_t>(m * N + n);
      ASSERT_LE(std::fabs(y[i] - expected[i]),
                2 * kOrderSlack * (K + 1) * kUnitRoundoff * magnitude(p.x, p.w_hat, p.bias.data(), K, m, n));
    }
  }
}

// ---- the layer -------------------------------------------------------------------------------------------

TINYTORCH_CONCEPT(Int4Linear, "the weight-only INT4 Linear layer",
                  "y = x * W_hat^T + b with W_hat[n, k] = s[n, g(k)] * q[n, k] (int4_weights.hpp) and a float32 bias; "
                  "buffers weight U8 (N, ceil(K/2)), weight_scale F16 (N, ceil(K/group)), bias F32 (N)");

TINYTORCH_TEST_FORMULA(Int4Linear, ForwardMatchesALinearWithTheDequantizedWeight,
                       "Int4Linear(x) = Linear(W_hat, b)(x) within 2 * (K + 1) * u * sum |terms| (fused path for 1 "
                       "and 3 rows, block path for 65)");
TEST(Int4Linear, ForwardMatchesALinearWithTheDequantizedWeight) {
  Generator generator(31);
  const Linear fp32(37, 19, true, generator);
  Int4Linear layer(fp32, 32);
  Linear reference(layer.dequantized_weight(), fp32.bias().detach());
  const NoGradGuard no_grad;
  for (int64_t rows : {1, 3, 65}) {  // the fused kernel (1, 3) and the block path (65)
    const Tensor x = Tensor::uniform({rows, 37}, -1, 1, generator);
    const std::vector<float> got = layer(x).to_vector();
    const std::vector<float> expected = reference(x).to_vector();
    const std::vector<float> w_hat = layer.dequantized_weight().to_vector();
    const std::vector<float> xs = x.to_vector();
    const std::vector<float> bias = fp32.bias().to_vector();
    for (int64_t m = 0; m < rows; ++m) {
      for (int64_t n = 0; n < 19; ++n) {
        const auto i = static_cast<std::size_t>(m * 19 + n);
        ASSERT_LE(std::fabs(got[i] - expected[i]),
                  2 * kOrderSlack * 38 * kUnitRoundoff * magnitude(xs, w_hat, bias.data(), 37, m, n))
            << "rows " << rows;
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(Int4Linear, EveryKernelPathGivesTheSameLayerOutput,
                       "every supported kernel path = the scalar path within 1e-4");
TEST(Int4Linear, EveryKernelPathGivesTheSameLayerOutput) {
  Generator generator(32);
  const Linear fp32(63, 17, true, generator);
  Int4Linear layer(fp32, 16);
  const Tensor x = Tensor::uniform({3, 63}, -1, 1, generator);
  layer.set_kernel_isa(KernelIsa::Scalar);
  const std::vector<float> reference = layer(x).to_vector();
  for (KernelIsa isa : supported_simd_paths()) {
    layer.set_kernel_isa(isa);
    const std::vector<float> got = layer(x).to_vector();
    for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], reference[i], 1e-4) << kernel_isa_name(isa);
  }
}

TINYTORCH_TEST_FORMULA(Int4Linear, KeepsLeadingAxes,
                       "x:(..., K) -> (..., N), the same values as x reshaped to (rows, K)");
TEST(Int4Linear, KeepsLeadingAxes) {
  Generator generator(33);
  const Linear fp32(20, 6, false, generator);
  Int4Linear layer(fp32);
  const Tensor x = Tensor::uniform({2, 3, 20}, -1, 1, generator);
  const Tensor y = layer(x);
  EXPECT_EQ(y.shape(), (Shape{2, 3, 6}));
  EXPECT_EQ(y.to_vector(), layer(x.reshape({6, 20})).to_vector());
}

TINYTORCH_TEST_FORMULA(Int4Linear, BuffersAreNibblesFloat16ScalesAndBias,
                       "buffers weight U8 (N, ceil(K/2)), weight_scale F16 (N, ceil(K/group)), bias F32 (N); "
                       "extra_repr \"in_features=K, out_features=N, int4 symmetric, group G\"");
TEST(Int4Linear, BuffersAreNibblesFloat16ScalesAndBias) {
  Generator generator(34);
  const Linear fp32(33, 5, true, generator);
  const Int4Linear layer(fp32, 16);
  const NamedParameters buffers = layer.named_buffers();
  ASSERT_EQ(buffers.size(), 3u);
  EXPECT_EQ(buffers[0].first, "weight");
  EXPECT_EQ(buffers[0].second.dtype(), DType::UInt8);
  EXPECT_EQ(buffers[0].second.shape(), (Shape{5, 17}));  // ceil(33 / 2)
  EXPECT_EQ(buffers[1].first, "weight_scale");
  EXPECT_EQ(buffers[1].second.dtype(), DType::Float16);
  EXPECT_EQ(buffers[1].second.shape(), (Shape{5, 3}));  // ceil(33 / 16)
  EXPECT_EQ(buffers[2].first, "bias");
  EXPECT_EQ(buffers[2].second.dtype(), DType::Float32);
  EXPECT_EQ(layer.extra_repr(), "in_features=33, out_features=5, int4 symmetric, group 16");
}

TINYTORCH_TEST_FORMULA(Int4Linear, MemoryUsageOfTheMnistFirstLayer,
                       "original = 4 * (N*K + N); quantized = N * ceil(K/2) + 2 * N * ceil(K/g) + 4 * N; ratio = "
                       "original / quantized");
TEST(Int4Linear, MemoryUsageOfTheMnistFirstLayer) {
  // FP32: 4·784·256 + 4·256 = 803,840 bytes. INT4 group 32: 256·392 nibble bytes = 100,352,
  // 256·25 scales · 2 = 12,800, bias 1,024 -> 114,176; ratio 803,840 / 114,176 = 7.0403.
  Generator generator(35);
  const Int4Linear layer(Linear(784, 256, true, generator), 32);
  const MemoryUsage usage = layer.memory_usage();
  EXPECT_EQ(usage.original_bytes, 803840);
  EXPECT_EQ(usage.quantized_bytes, 114176);
  EXPECT_NEAR(usage.ratio, 7.0403, 1e-4);
}

TINYTORCH_TEST_FORMULA(Int4Linear, PartsRoundTrip,
                       "Int4Linear(layer.parts()) holds the same nibbles and scales and gives the same outputs; "
                       "without a bias it has 2 buffers");
TEST(Int4Linear, PartsRoundTrip) {
  Generator generator(36);
  const Linear fp32(45, 7, true, generator);
  Int4Linear layer(fp32, 16);
  Int4Linear copy(layer.parts());
  EXPECT_EQ(copy.weights().packed, layer.weights().packed);
  EXPECT_EQ(copy.weights().scales, layer.weights().scales);
  EXPECT_EQ(copy.group_size(), 16);
  const Tensor x = Tensor::uniform({2, 45}, -1, 1, generator);
  EXPECT_EQ(copy(x).to_vector(), layer(x).to_vector());
  Int4Linear no_bias(Int4Linear::Parts{layer.weights(), Tensor()});
  EXPECT_FALSE(no_bias.has_bias());
  EXPECT_EQ(no_bias.named_buffers().size(), 2u);
}

TINYTORCH_TEST_FORMULA(Int4Linear, CloneIsIndependent,
                       "a clone owns its buffers: changing its bias leaves the original's output unchanged");
TEST(Int4Linear, CloneIsIndependent) {
  Generator generator(37);
  Int4Linear layer(Linear(16, 4, true, generator), 16);
  const Tensor x = Tensor::uniform({1, 16}, -1, 1, generator);
  const std::vector<float> before = layer(x).to_vector();
  auto copy = std::static_pointer_cast<Int4Linear>(layer.clone());
  copy->named_buffers()[2].second.fill_(100.0f);  // the clone's bias
  EXPECT_EQ(layer(x).to_vector(), before);
  EXPECT_NE((*copy)(x).to_vector(), before);
}

TINYTORCH_TEST_FORMULA(Int4Linear, BadInputsAreRefusedWithTheirShapes,
                       "last axis != in_features -> ShapeError; a non-float32 input -> DTypeError; group_size not a "
                       "multiple of 16 -> ValueError");
TEST(Int4Linear, BadInputsAreRefusedWithTheirShapes) {
  Generator generator(38);
  Int4Linear layer(Linear(4, 3, true, generator), 16);
  expect_error<ShapeError>([&] { layer(Tensor::zeros({2, 5})); }, {"Int4Linear::forward", "(2, 5)", "in_features = 4"});
  expect_error<DTypeError>([&] { layer(Tensor::from_int32({1, 2, 3, 4}, {1, 4})); },
                           {"Int4Linear::forward", "int32", "float32"});
  expect_error<ValueError>([&] { Int4Linear(Linear(4, 3, true, generator), 20); }, {"group_size 20"});
}

TINYTORCH_TEST_FORMULA(Int4Linear, BadPartsAreRefusedByName,
                       "parts need N * ceil(K/2) nibble bytes and N * ceil(K/group) scales (else ShapeError), finite "
                       "positive scales and nibbles != 0 (q in [-7, 7]) (else ValueError), a float32 (N) bias: each "
                       "error names the part");
TEST(Int4Linear, BadPartsAreRefusedByName) {
  Generator generator(39);
  const Int4Linear layer(Linear(20, 3, true, generator), 16);
  Int4Linear::Parts short_weight = layer.parts();
  short_weight.weight.packed.pop_back();
  expect_error<ShapeError>([&] { Int4Linear{short_weight}; }, {"Int4Linear(parts)", "29 bytes", "expected 30"});
  Int4Linear::Parts few_scales = layer.parts();
  few_scales.weight.scales.pop_back();
  expect_error<ShapeError>([&] { Int4Linear{few_scales}; }, {"weight_scale holds 5", "expected 6"});
  Int4Linear::Parts zero_scale = layer.parts();
  zero_scale.weight.scales[1] = 0;
  expect_error<ValueError>([&] { Int4Linear{zero_scale}; }, {"weight_scale element 1"});
  Int4Linear::Parts minus_eight = layer.parts();
  minus_eight.weight.packed[0] &= 0xF0;  // low nibble 0 = q −8, outside [−7, 7]
  expect_error<ValueError>([&] { Int4Linear{minus_eight}; }, {"weight[0, 0]", "q = -8"});
  Int4Linear::Parts wrong_bias = layer.parts();
  wrong_bias.bias = Tensor::zeros({4});
  expect_error<ShapeError>([&] { Int4Linear{wrong_bias}; }, {"bias is (4,)", "(3)"});
  Int4Linear::Parts int_bias = layer.parts();
  int_bias.bias = Tensor::from_int32({1, 2, 3}, {3});
  expect_error<DTypeError>([&] { Int4Linear{int_bias}; }, {"bias is int32"});
}
