// QuantizedLinear (quantized_linear.hpp): the integer path checked exactly on a
// hand-computed layer, the output against float references within bounds
// derived from the scales, the int32 bias at scale s_x·s_w, every weight scheme
// (per tensor / per channel, symmetric / affine, int4), static vs dynamic,
// memory, the profiler's row, the file parts, clone and every error.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/perf/observer.hpp"
#include "tinytorch/perf/quantized_linear.hpp"
#include "tinytorch/profiling/profiler.hpp"

namespace tinytorch {
namespace {

// x̂, Ŵ, s_x·s_w, the int -> float conversion and the final products each round
// once to float32 (relative error 2^-24 each); 8·2^-24 covers them with margin.
constexpr double kFloatRounding = 8.0 / 16777216.0;

QuantConfig static_config() { return QuantConfig{}; }  // int8 symmetric per-channel weights, uint8 affine inputs
QuantConfig dynamic_config() {
  QuantConfig config;
  config.mode = QuantMode::Dynamic;
  return config;
}
QuantConfig with_weights(QuantConfig config, QDType dtype, QScheme scheme, bool narrow_range, bool per_channel) {
  config.weights = QuantSpec{dtype, scheme, narrow_range, per_channel, 0};
  return config;
}

Tensor buffer_named(const Module& layer, const std::string& name) {
  for (const auto& [buffer_name, tensor] : layer.named_buffers()) {
    if (buffer_name == name) return tensor;
  }
  return Tensor();
}

std::vector<std::string> buffer_names(const Module& layer) {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : layer.named_buffers()) names.push_back(name);
  return names;
}

// A Linear with N(0, 1) weights and bias (a non-zero bias exercises q_b).
Linear random_linear(int64_t in, int64_t out, Generator& generator, bool bias = true) {
  return Linear(Tensor::randn({out, in}, 0, 1, generator),
                bias ? Tensor::randn({out}, 0, 1, generator) : Tensor());
}

float weight_scale(const QParams& weight_params, int64_t n) {
  return weight_params.scale[weight_params.per_channel() ? static_cast<std::size_t>(n) : 0];
}

// The input parameters the layer uses for `x`: fixed (static), or the batch's min-max (dynamic).
QParams input_params_for(const QuantizedLinear& layer, const Tensor& x) {
  if (layer.config().mode == QuantMode::Static) return layer.input_params();
  MinMaxObserver observer;
  observer.observe(x);
  return observer.compute_qparams(layer.config().activations);
}

TINYTORCH_CONCEPT(QuantizedLinear, "a Linear layer with int8 weights whose multiply-adds run in integers",
                  "acc[m, n] = sum_k (q_x - z_x)(q_w[n, k] - z_w[n]); static: y = s_x * s_w[n] * (acc + q_b[n]), "
                  "q_b[n] = round(b[n] / (s_x * s_w[n])); dynamic: y = s_x * s_w[n] * acc + b[n], (s_x, "
                  "z_x) from each batch's min-max");

TINYTORCH_TEST_FORMULA(QuantizedLinear, IntegerPathMatchesHandComputedAccumulator,
                       "s_w = 1.27 / 127 = 0.01, q_w = W / 0.01; s_x = 3 / 255, z_x = 85, q_x - z_x = [85, 170, -85]; "
                       "acc = [170, 21335], q_b = b / (s_x * s_w) = [4250, -2125]; "
                       "y[n] = fl(s_x * s_w[n]) * float(acc[n] + q_b[n]) = [0.52, 2.26]");
TEST(QuantizedLinear, IntegerPathMatchesHandComputedAccumulator) {
  // W rows [1.27, −0.5, 0.25], [0.64, 0.3, −1.27]: max |w| = 1.27 per row, so symmetric
  // narrow int8 gives s_w = 1.27 / 127 = 0.01 and q_w = W / 0.01.
  // x = [1, 2, −1]: range [−1, 2], uint8 affine s_x = 3/255, z_x = 0 − round(−1 / s_x) = 85,
  // q_x = x / s_x + 85 = [170, 255, 0], q_x − z_x = [85, 170, −85].
  //   acc[0] = 85·127 + 170·(−50) + (−85)·25    = 10795 − 8500 − 2125   = 170
  //   acc[1] = 85·64  + 170·30    + (−85)·(−127) = 5440 + 5100 + 10795  = 21335
  // b = [0.5, −0.25]: q_b = b / (s_x·s_w) = b · 255·100/3 = [4250, −2125].
  Linear fp32(Tensor::from_values({1.27f, -0.5f, 0.25f, 0.64f, 0.3f, -1.27f}, {2, 3}),
              Tensor::from_values({0.5f, -0.25f}));
  QuantizedLinear layer(fp32);
  const Tensor x = Tensor::from_values({1, 2, -1}, {1, 3});
  layer.calibrate({x});

  EXPECT_EQ(layer.weight_int8().to_int32_vector(), (std::vector<int32_t>{127, -50, 25, 64, 30, -127}));
  EXPECT_FLOAT_EQ(layer.weight_params().scale[0], 0.01f);
  EXPECT_FLOAT_EQ(layer.weight_params().scale[1], 0.01f);
  const float input_scale = layer.input_params().scale[0];
  EXPECT_FLOAT_EQ(input_scale, 3.0f / 255.0f);
  EXPECT_EQ(layer.input_params().zero_point[0], 85);
  EXPECT_EQ(buffer_named(layer, "bias").to_int32_vector(), (std::vector<int32_t>{4250, -2125}));

  // y[n] = fl(s_x · s_w[n]) · (acc[n] + q_b[n]) — the same float operations, so equal bit for bit.
  const std::vector<int64_t> acc_plus_bias = {170 + 4250, 21335 - 2125};
  const std::vector<float> y = layer(x).to_vector();
  for (int64_t n = 0; n < 2; ++n) {
    const float output_scale = input_scale * layer.weight_params().scale[static_cast<std::size_t>(n)];
    EXPECT_EQ(y[static_cast<std::size_t>(n)], output_scale * static_cast<float>(acc_plus_bias[static_cast<std::size_t>(n)]))
        << "output " << n;
  }
  // Every value above sits on the grids, so the result is the FP32 one: 1.27 − 1 − 0.25 + 0.5 and 0.64 + 0.6 + 1.27 − 0.25.
  EXPECT_NEAR(y[0], 0.52, 1e-6);
  EXPECT_NEAR(y[1], 2.26, 1e-6);
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, BiasIsQuantizedAtScaleInputTimesWeight,
                       "q_b[n] = round_half_even(b[n] / fl(s_x * s_w[n])), per channel and per tensor");
TEST(QuantizedLinear, BiasIsQuantizedAtScaleInputTimesWeight) {
  // q_b[n] = round_half_even(b[n] / (s_x · s_w[n])) with the float product s_x·s_w[n], for both granularities.
  Generator generator(1511);
  for (bool per_channel : {true, false}) {
    Linear fp32 = random_linear(17, 9, generator);
    QuantizedLinear layer(fp32, with_weights(static_config(), QDType::Int8, QScheme::Symmetric, true, per_channel));
    layer.calibrate({Tensor::randn({5, 17}, 0, 1, generator)});
    const std::vector<int32_t> q_b = buffer_named(layer, "bias").to_int32_vector();
    const std::vector<float> b = fp32.bias().to_vector();
    ASSERT_EQ(q_b.size(), 9u);
    for (int64_t n = 0; n < 9; ++n) {
      const float bias_scale = layer.input_params().scale[0] * weight_scale(layer.weight_params(), n);
      EXPECT_EQ(q_b[static_cast<std::size_t>(n)],
                static_cast<int32_t>(std::nearbyint(double(b[static_cast<std::size_t>(n)]) / double(bias_scale))))
          << "per_channel " << per_channel << ", output " << n;
    }
  }
}

// Every configuration the layer supports, with a name for failure messages.
struct NamedConfig {
  std::string name;
  QuantConfig config;
};

std::vector<NamedConfig> supported_configs() {
  QuantConfig int8_activations = static_config();
  int8_activations.activations = QuantSpec{QDType::Int8, QScheme::Symmetric, false, false, 0};
  QuantConfig dynamic_per_tensor = with_weights(dynamic_config(), QDType::Int8, QScheme::Symmetric, true, false);
  return {
      {"static int8 symmetric per-channel", static_config()},
      {"static int8 affine per-tensor", with_weights(static_config(), QDType::Int8, QScheme::Affine, false, false)},
      {"static int8 affine per-channel", with_weights(static_config(), QDType::Int8, QScheme::Affine, false, true)},
      {"static int4 symmetric per-channel", with_weights(static_config(), QDType::Int4, QScheme::Symmetric, false, true)},
      {"static, int8 symmetric activations", int8_activations},
      {"dynamic int8 symmetric per-channel", dynamic_config()},
      {"dynamic int8 symmetric per-tensor", dynamic_per_tensor},
  };
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, OutputMatchesDequantizedReferenceWithinBiasRounding,
                       "|y - (sum_k x_hat[m, k] * W_hat[n, k] + b[n])| <= s_x * s_w[n] / 2 (static bias rounding; "
                       "0 dynamic) + 8 * 2^-24 * (sum_k |x_hat W_hat| + |b|), x_hat = dequantize(quantize(x)), "
                       "W_hat = dequantized_weight()");
TEST(QuantizedLinear, OutputMatchesDequantizedReferenceWithinBiasRounding) {
  // Reference: y_ref[m,n] = Σ_k x̂[m,k] Ŵ[n,k] + b[n] in double, x̂ = dequantize(quantize(x)), Ŵ = dequantized_weight().
  // The layer computes Σ (q_x − z_x)(q_w − z_w) exactly in int32, so the only differences are
  //   the bias rounding |s_x s_w[n] q_b[n] − b[n]| ≤ s_x·s_w[n]/2 (static; 0 dynamic: b is added in float)
  //   and float rounding ≤ kFloatRounding · (Σ_k |x̂ Ŵ| + |b|).
  Generator generator(1512);
  const std::vector<std::vector<int64_t>> shapes = {{1, 1, 1}, {17, 63, 3}, {3, 257, 65}, {65, 17, 1}};  // M, K, N
  for (const NamedConfig& named : supported_configs()) {
    for (const auto& shape : shapes) {
      const int64_t M = shape[0], K = shape[1], N = shape[2];
      const Linear fp32 = random_linear(K, N, generator);
      QuantizedLinear layer(fp32, named.config);
      const Tensor x = Tensor::randn({M, K}, 0, 1, generator);
      if (named.config.mode == QuantMode::Static) layer.calibrate({x});
      const std::vector<float> y = layer(x).to_vector();

      const QParams input = input_params_for(layer, x);
      const std::vector<float> x_hat = dequantize(quantize(x, input), input).to_vector();
      const std::vector<float> w_hat = layer.dequantized_weight().to_vector();
      const std::vector<float> b = fp32.bias().to_vector();
      const bool bias_rounded = named.config.mode == QuantMode::Static;
      for (int64_t m = 0; m < M; ++m) {
        for (int64_t n = 0; n < N; ++n) {
          double reference = b[static_cast<std::size_t>(n)], magnitude = std::abs(b[static_cast<std::size_t>(n)]);
          for (int64_t k = 0; k < K; ++k) {
            const double term = double(x_hat[static_cast<std::size_t>(m * K + k)]) * w_hat[static_cast<std::size_t>(n * K + k)];
            reference += term;
            magnitude += std::abs(term);
          }
          const double output_scale = double(input.scale[0]) * weight_scale(layer.weight_params(), n);
          const double bound = (bias_rounded ? output_scale / 2 : 0.0) + kFloatRounding * magnitude;
          ASSERT_NEAR(y[static_cast<std::size_t>(m * N + n)], reference, bound)
              << named.name << ", M=" << M << " K=" << K << " N=" << N << ", output (" << m << ", " << n << ")";
        }
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, OutputStaysWithinTheQuantizationErrorOfTheFP32Layer,
                       "|y - (x W^T + b)| <= sum_k (s_x / 2 * |W[n, k]| + s_w[n] / 2 * |x[m, "
                       "k]| + s_x * s_w[n] / 4) + s_x * s_w[n] / 2 + float rounding");
TEST(QuantizedLinear, OutputStaysWithinTheQuantizationErrorOfTheFP32Layer) {
  // With x̂ = x + e_x, |e_x| ≤ s_x/2 (x inside the calibrated range) and Ŵ = W + e_w, |e_w| ≤ s_w[n]/2:
  //   |x̂Ŵ − xW| = |e_x W + x e_w + e_x e_w| ≤ s_x/2 |W| + s_w/2 |x| + s_x s_w/4   per term, so
  //   |y − (xWᵀ + b)| ≤ Σ_k (s_x/2 |W[n,k]| + s_w[n]/2 |x[m,k]| + s_x s_w[n]/4) + s_x s_w[n]/2 (bias) + float rounding.
  Generator generator(1513);
  const int64_t M = 17, K = 65, N = 33;
  for (const NamedConfig& named : supported_configs()) {
    const Linear fp32 = random_linear(K, N, generator);
    QuantizedLinear layer(fp32, named.config);
    const Tensor x = Tensor::randn({M, K}, 0, 1, generator);
    if (named.config.mode == QuantMode::Static) layer.calibrate({x});
    const std::vector<float> y = layer(x).to_vector();
    const QParams input = input_params_for(layer, x);
    const float s_x = input.scale[0];
    const std::vector<float> xs = x.to_vector(), w = fp32.weight().to_vector(), b = fp32.bias().to_vector();
    for (int64_t m = 0; m < M; ++m) {
      for (int64_t n = 0; n < N; ++n) {
        const double s_w = weight_scale(layer.weight_params(), n);
        double exact = b[static_cast<std::size_t>(n)], bound = s_x * s_w / 2, magnitude = std::abs(b[static_cast<std::size_t>(n)]);
        for (int64_t k = 0; k < K; ++k) {
          const double xk = xs[static_cast<std::size_t>(m * K + k)], wk = w[static_cast<std::size_t>(n * K + k)];
          exact += xk * wk;
          magnitude += std::abs(xk * wk);
          bound += s_x / 2 * std::abs(wk) + s_w / 2 * std::abs(xk) + s_x * s_w / 4;
        }
        ASSERT_NEAR(y[static_cast<std::size_t>(m * N + n)], exact, bound + kFloatRounding * 2 * magnitude)
            << named.name << ", output (" << m << ", " << n << ")";
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, BuffersAreNamedTypedAndShapedAsTheFileFormat,
                       "buffers weight int8 (N, K), weight_scale float32 (N or 1), weight_zero_point int32 (N or 1), "
                       "bias (int32 (N) once calibrated, else float32), then input_scale float32 (1), "
                       "input_zero_point int32 (1); no trainable parameters");
TEST(QuantizedLinear, BuffersAreNamedTypedAndShapedAsTheFileFormat) {
  Generator generator(1514);
  const Linear fp32 = random_linear(7, 5, generator);
  QuantizedLinear layer(fp32);
  // Static before calibration: the bias is still the float one, no input parameters yet.
  EXPECT_EQ(buffer_names(layer), (std::vector<std::string>{"weight", "weight_scale", "weight_zero_point", "bias"}));
  EXPECT_EQ(buffer_named(layer, "bias").dtype(), DType::Float32);
  layer.calibrate({Tensor::randn({3, 7}, 0, 1, generator)});
  EXPECT_EQ(buffer_names(layer), (std::vector<std::string>{"weight", "weight_scale", "weight_zero_point", "bias",
                                                           "input_scale", "input_zero_point"}));
  const std::vector<std::pair<std::string, std::pair<DType, Shape>>> expected = {
      {"weight", {DType::Int8, {5, 7}}},          {"weight_scale", {DType::Float32, {5}}},
      {"weight_zero_point", {DType::Int32, {5}}}, {"bias", {DType::Int32, {5}}},
      {"input_scale", {DType::Float32, {1}}},     {"input_zero_point", {DType::Int32, {1}}}};
  for (const auto& [name, type] : expected) {
    const Tensor stored = buffer_named(layer, name);
    EXPECT_EQ(stored.dtype(), type.first) << name;
    EXPECT_EQ(stored.shape(), type.second) << name;
  }
  EXPECT_TRUE(layer.parameters().empty()) << "nothing of a quantized layer is trainable";

  // Dynamic: a float bias and no input parameters; per tensor: one scale and zero point.
  QuantizedLinear dynamic(fp32, with_weights(dynamic_config(), QDType::Int8, QScheme::Symmetric, true, false));
  EXPECT_EQ(buffer_names(dynamic), (std::vector<std::string>{"weight", "weight_scale", "weight_zero_point", "bias"}));
  EXPECT_EQ(buffer_named(dynamic, "bias").dtype(), DType::Float32);
  EXPECT_EQ(buffer_named(dynamic, "weight_scale").shape(), (Shape{1}));
  EXPECT_EQ(buffer_named(dynamic, "weight_zero_point").shape(), (Shape{1}));
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, RecalibrationReplacesInputParametersAndBias,
                       "calibrate again on a 10x wider range: s_x grows (> 5x), "
                       "q_b[n] = round(b[n] / (s_x * s_w[n])) recomputed from the float bias, still 6 buffers");
TEST(QuantizedLinear, RecalibrationReplacesInputParametersAndBias) {
  Generator generator(1515);
  const Linear fp32 = random_linear(6, 4, generator);
  QuantizedLinear layer(fp32);
  layer.calibrate({Tensor::uniform({8, 6}, -1, 1, generator)});
  const float first_scale = buffer_named(layer, "input_scale").item();
  // A range 10x wider: s_x grows about 10x, so every q_b shrinks about 10x — recomputed from the float bias.
  layer.calibrate({Tensor::uniform({8, 6}, -10, 10, generator)});
  const float second_scale = buffer_named(layer, "input_scale").item();
  EXPECT_EQ(second_scale, layer.input_params().scale[0]);
  EXPECT_GT(second_scale, 5 * first_scale);
  EXPECT_EQ(buffer_names(layer).size(), 6u) << "replaced, not registered twice";
  const std::vector<int32_t> q_b = buffer_named(layer, "bias").to_int32_vector();
  const std::vector<float> b = fp32.bias().to_vector();
  for (int64_t n = 0; n < 4; ++n) {
    const float bias_scale = second_scale * weight_scale(layer.weight_params(), n);
    EXPECT_EQ(q_b[static_cast<std::size_t>(n)], int32_t(std::nearbyint(double(b[static_cast<std::size_t>(n)]) / bias_scale)));
  }
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, PerChannelKeepsSmallRowsPreciseWherePerTensorCannot,
                       "per channel s_w[n] = max|W[n]| / 127, per tensor s_w = max|W| / 127; |W_hat - W| <= s / 2, "
                       "so the small row's error is > 10x smaller per channel");
TEST(QuantizedLinear, PerChannelKeepsSmallRowsPreciseWherePerTensorCannot) {
  // Row 0 has weights ~100x larger than row 1. Per tensor, one scale max|W|/127 serves both rows
  // and row 1 is crushed to a handful of levels; per channel, row 1 gets its own scale max|W_1|/127.
  Generator generator(1516);
  Tensor weight = Tensor::randn({2, 64}, 0, 1, generator);
  float* w = weight.data<float>();
  for (int64_t k = 0; k < 64; ++k) w[64 + k] *= 0.01f;
  const Linear fp32(weight, Tensor::zeros({2}));
  const QuantizedLinear per_channel(fp32, with_weights(static_config(), QDType::Int8, QScheme::Symmetric, true, true));
  const QuantizedLinear per_tensor(fp32, with_weights(static_config(), QDType::Int8, QScheme::Symmetric, true, false));
  EXPECT_EQ(per_channel.weight_params().channels(), 2);
  EXPECT_EQ(per_tensor.weight_params().channels(), 1);

  const auto row_max = [&](int64_t row) {
    double max = 0;
    for (int64_t k = 0; k < 64; ++k) max = std::max(max, double(std::abs(w[row * 64 + k])));
    return max;
  };
  const auto row_error = [&](const QuantizedLinear& layer, int64_t row) {
    const std::vector<float> w_hat = layer.dequantized_weight().to_vector();
    double max = 0;
    for (int64_t k = 0; k < 64; ++k) max = std::max(max, double(std::abs(w_hat[static_cast<std::size_t>(row * 64 + k)] - w[row * 64 + k])));
    return max;
  };
  // Scales by (4) of qparams.hpp, narrow int8: s = max|w| / 127.
  EXPECT_NEAR(per_channel.weight_params().scale[1], row_max(1) / 127, 1e-9);
  EXPECT_NEAR(per_tensor.weight_params().scale[0], std::max(row_max(0), row_max(1)) / 127, 1e-7);
  // Each round trip is within half its scale; per channel is therefore ≥ 10x finer on the small row.
  EXPECT_LE(row_error(per_channel, 1), per_channel.weight_params().scale[1] / 2 * (1 + 1e-5));
  EXPECT_LE(row_error(per_tensor, 1), per_tensor.weight_params().scale[0] / 2 * (1 + 1e-5));
  EXPECT_LT(10 * row_error(per_channel, 1), row_error(per_tensor, 1));
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, SymmetricWeightsHaveZeroZeroPointAffineUseTheFullRange,
                       "weights in [0.1, 2]: symmetric narrow s = 2 / 127, z = 0; affine s = 2 / 255, "
                       "z = -128 - round(0 / s) = -128; 2 -> q = 127 in both; affine |W_hat - W| <= s / 2 = 1 / 255");
TEST(QuantizedLinear, SymmetricWeightsHaveZeroZeroPointAffineUseTheFullRange) {
  // A row of only positive weights in [0.1, 2]: symmetric narrow int8 spends half its levels on
  // negatives (s = 2/127, z = 0); affine widens the range to [0, 2] and uses all 255 steps
  // (s = 2/255, z = −128 − round(0/s) = −128), so it is twice as fine.
  Tensor weight = Tensor::from_values({0.1f, 0.5f, 1.0f, 2.0f, 1.5f, 0.25f}, {1, 6});
  const Linear fp32(weight, Tensor::zeros({1}));
  const QuantizedLinear symmetric(fp32, with_weights(static_config(), QDType::Int8, QScheme::Symmetric, true, true));
  const QuantizedLinear affine(fp32, with_weights(static_config(), QDType::Int8, QScheme::Affine, false, true));
  EXPECT_EQ(symmetric.weight_params().zero_point[0], 0);
  EXPECT_FLOAT_EQ(symmetric.weight_params().scale[0], 2.0f / 127);
  EXPECT_EQ(affine.weight_params().zero_point[0], -128);
  EXPECT_FLOAT_EQ(affine.weight_params().scale[0], 2.0f / 255);
  // The largest weight lands on the top level in both: 2 / (2/127) = 127;  2 / (2/255) − 128 = 127.
  EXPECT_EQ(symmetric.weight_int8().to_int32_vector()[3], 127);
  EXPECT_EQ(affine.weight_int8().to_int32_vector()[3], 127);
  const std::vector<float> w = weight.to_vector();
  const std::vector<float> w_affine = affine.dequantized_weight().to_vector();
  for (std::size_t k = 0; k < w.size(); ++k) EXPECT_NEAR(w_affine[k], w[k], 1.0 / 255 * (1 + 1e-5)) << k;  // ≤ s/2
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, Int4WeightsStayWithinTheirSixteenLevels,
                       "int4 q_w in [-8, 7] ([-7, 7] narrow); per row s_w[n] = max|W[n]| / 7.5 (full) or / 7 (narrow)");
TEST(QuantizedLinear, Int4WeightsStayWithinTheirSixteenLevels) {
  // int4 [−8, 7]; symmetric scale s = max|w| / 7.5 (full range) or max|w| / 7 (narrow, [−7, 7]).
  Generator generator(1517);
  const Linear fp32 = random_linear(63, 17, generator);
  for (bool narrow : {false, true}) {
    const QuantizedLinear layer(fp32, with_weights(static_config(), QDType::Int4, QScheme::Symmetric, narrow, true));
    const std::vector<int32_t> q = layer.weight_int8().to_int32_vector();
    const int32_t low = narrow ? -7 : -8;
    int32_t seen_min = 127, seen_max = -128;
    for (int32_t v : q) {
      seen_min = std::min(seen_min, v);
      seen_max = std::max(seen_max, v);
    }
    EXPECT_GE(seen_min, low) << "narrow " << narrow;
    EXPECT_LE(seen_max, 7) << "narrow " << narrow;
    EXPECT_GE(seen_max - seen_min, 13) << "the 17 rows of N(0,1) weights use (nearly) the whole int4 range";
    const std::vector<float> w = fp32.weight().to_vector();
    for (int64_t n = 0; n < 17; ++n) {
      double row_max = 0;
      for (int64_t k = 0; k < 63; ++k) row_max = std::max(row_max, double(std::abs(w[static_cast<std::size_t>(n * 63 + k)])));
      EXPECT_NEAR(layer.weight_params().scale[static_cast<std::size_t>(n)], row_max / (narrow ? 7.0 : 7.5), 1e-6) << n;
    }
  }
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, DynamicEqualsStaticCalibratedOnTheSameBatchWithoutBias,
                       "no bias and static calibrated (min-max) on the same batch: same (s_x, z_x), "
                       "so y_dynamic == y_static; a batch 100x smaller: dynamic error < static error / 10; "
                       "calibrate / input_params on a dynamic layer -> ValueError");
TEST(QuantizedLinear, DynamicEqualsStaticCalibratedOnTheSameBatchWithoutBias) {
  // With no bias, the two modes differ only in where s_x, z_x come from; a static layer
  // calibrated (min-max) on exactly this batch has the batch's own parameters -> identical outputs.
  Generator generator(1518);
  const Linear fp32 = random_linear(33, 12, generator, /*bias=*/false);
  QuantizedLinear dynamic(fp32, dynamic_config());
  QuantizedLinear fixed(fp32, static_config());
  const Tensor x = Tensor::randn({9, 33}, 0, 1, generator);
  fixed.calibrate({x});
  EXPECT_EQ(dynamic(x).to_vector(), fixed(x).to_vector());
  // A batch 100x smaller: dynamic re-scales to it; static keeps the wide grid and loses most of its levels.
  const Tensor small = ops::mul_scalar(Tensor::randn({9, 33}, 0, 1, generator), 0.01f);
  const std::vector<float> exact = Linear(fp32.weight(), Tensor()).forward(small).to_vector();
  const auto max_error = [&](const std::vector<float>& y) {
    double max = 0;
    for (std::size_t i = 0; i < y.size(); ++i) max = std::max(max, double(std::abs(y[i] - exact[i])));
    return max;
  };
  EXPECT_LT(10 * max_error(dynamic(small).to_vector()), max_error(fixed(small).to_vector()));
  EXPECT_THROW(dynamic.calibrate({x}), ValueError) << "a dynamic layer has nothing to calibrate";
  EXPECT_THROW(dynamic.input_params(), ValueError);
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, LeadingAxesAreFlattenedAndRestored,
                       "x:(2, 4, 5) -> y:(2, 4, 3), equal to the layer on x.reshape(8, 5); x:(5) -> y:(3)");
TEST(QuantizedLinear, LeadingAxesAreFlattenedAndRestored) {
  Generator generator(1519);
  const Linear fp32 = random_linear(5, 3, generator);
  for (const QuantConfig& config : {static_config(), dynamic_config()}) {
    QuantizedLinear layer(fp32, config);
    const Tensor x = Tensor::randn({2, 4, 5}, 0, 1, generator);
    if (config.mode == QuantMode::Static) layer.calibrate({x});
    const Tensor y = layer(x);
    ASSERT_EQ(y.shape(), (Shape{2, 4, 3}));
    EXPECT_EQ(y.to_vector(), layer(x.reshape({8, 5})).to_vector()) << "row (i, j) is the layer on that row";
    EXPECT_EQ(layer(Tensor::zeros({5})).shape(), (Shape{3}));
  }
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, MemoryIsAboutFourTimesSmaller,
                       "FP32 4*N*K + 4*N = 803840 for 784x256; static per channel N*K + 12*N + 8 = 203784 (ratio "
                       "~3.94); per tensor N*K + 8 + 4*N + 8 = 201744; dynamic N*K + 12*N = 203776");
TEST(QuantizedLinear, MemoryIsAboutFourTimesSmaller) {
  // FP32 784x256: 4·784·256 + 4·256 = 803,840 bytes.
  // Static per-channel: 784·256 (int8 weights) + 4·256 (scales) + 4·256 (zero points) + 4·256 (int32 bias)
  //   + 4 + 4 (input scale and zero point) = 203,784 bytes -> ratio 3.94.
  Generator generator(1520);
  const Linear fp32(784, 256, true, generator);
  QuantizedLinear layer(fp32);
  layer.calibrate({Tensor::randn({4, 784}, 0, 1, generator)});
  const MemoryUsage usage = layer.memory_usage();
  EXPECT_EQ(usage.original_bytes, 803840);
  EXPECT_EQ(usage.quantized_bytes, 203784);
  EXPECT_DOUBLE_EQ(usage.ratio, 803840.0 / 203784.0);
  EXPECT_NEAR(usage.ratio, 4.0, 0.06);
  // Per tensor: 784·256 + 4 + 4 + 4·256 + 8 = 201,744.
  QuantizedLinear per_tensor(fp32, with_weights(static_config(), QDType::Int8, QScheme::Symmetric, true, false));
  per_tensor.calibrate({Tensor::randn({4, 784}, 0, 1, generator)});
  EXPECT_EQ(per_tensor.memory_usage().quantized_bytes, 201744);
  // Dynamic: no input parameters, float bias of the same 4 bytes: 784·256 + 3·4·256 = 203,776.
  EXPECT_EQ(QuantizedLinear(fp32, dynamic_config()).memory_usage().quantized_bytes, 203776);
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, ProfilerCountsItsOpsAndStoredBytes,
                       "ops = {K * N multiply-adds, N bias adds, 0}; bytes: int8 K * N, int32 4 * (N + N + 1), "
                       "float32 4 * (N + 1)");
TEST(QuantizedLinear, ProfilerCountsItsOpsAndStoredBytes) {
  // The row registered by the constructor: the multiply-adds of the FP32 layer (784·256 per sample, 256
  // bias adds); stored bytes by dtype from the buffers: int8 784·256, int32 4·(256 + 256 + 1)
  // (zero points, bias, input zero point), float32 4·(256 + 1) (scales, input scale).
  Generator generator(1521);
  QuantizedLinear layer(Linear(784, 256, true, generator));
  layer.calibrate({Tensor::randn({2, 784}, 0, 1, generator)});
  const std::vector<LayerProfile> rows = profile_layers(layer, {1, 784});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].counted);
  EXPECT_EQ(rows[0].ops, (OpCounts{784 * 256, 256, 0}));
  EXPECT_EQ(rows[0].parameter_bytes.at(DType::Int8), 784 * 256);
  EXPECT_EQ(rows[0].parameter_bytes.at(DType::Int32), 4 * (256 + 256 + 1));
  EXPECT_EQ(rows[0].parameter_bytes.at(DType::Float32), 4 * (256 + 1));
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, PartsRebuildABitIdenticalLayer,
                       "QuantizedLinear(layer.parts()) gives the same outputs, buffers and weight params for every "
                       "config; an uncalibrated static layer keeps its float bias and calibrates like the original");
TEST(QuantizedLinear, PartsRebuildABitIdenticalLayer) {
  Generator generator(1522);
  const Linear fp32 = random_linear(19, 7, generator);
  const Tensor x = Tensor::randn({5, 19}, 0, 1, generator);
  for (const NamedConfig& named : supported_configs()) {
    QuantizedLinear layer(fp32, named.config);
    if (named.config.mode == QuantMode::Static) layer.calibrate({x});
    QuantizedLinear rebuilt(layer.parts());
    EXPECT_EQ(rebuilt(x).to_vector(), layer(x).to_vector()) << named.name;
    EXPECT_EQ(buffer_names(rebuilt), buffer_names(layer)) << named.name;
    EXPECT_EQ(rebuilt.weight_params(), layer.weight_params()) << named.name;
  }
  // An uncalibrated static layer keeps its float bias, and can be calibrated after loading.
  QuantizedLinear uncalibrated(fp32);
  QuantizedLinear::Parts parts = uncalibrated.parts();
  EXPECT_FALSE(parts.calibrated);
  EXPECT_TRUE(parts.bias_fp32.defined());
  EXPECT_FALSE(parts.bias_int32.defined());
  QuantizedLinear loaded(parts);
  loaded.calibrate({x});
  uncalibrated.calibrate({x});
  EXPECT_EQ(loaded(x).to_vector(), uncalibrated(x).to_vector());
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, PartsWithWrongShapesDtypesOrValuesAreRejected,
                       "float weight -> DTypeError; bias or scale count != N -> ShapeError; "
                       "float bias when calibrated, scale <= 0, int4 values outside [-8, 7], "
                       "a calibrated dynamic layer -> ValueError");
TEST(QuantizedLinear, PartsWithWrongShapesDtypesOrValuesAreRejected) {
  Generator generator(1523);
  QuantizedLinear layer(random_linear(6, 4, generator));
  layer.calibrate({Tensor::randn({3, 6}, 0, 1, generator)});
  const QuantizedLinear::Parts good = layer.parts();

  QuantizedLinear::Parts float_weight = good;
  float_weight.weight.values = Tensor::zeros({4, 6});
  EXPECT_THROW(QuantizedLinear{float_weight}, DTypeError);

  QuantizedLinear::Parts short_bias = good;
  short_bias.bias_int32 = Tensor::zeros({3}, DType::Int32);
  EXPECT_THROW(QuantizedLinear{short_bias}, ShapeError);

  QuantizedLinear::Parts float_bias_when_calibrated = good;
  float_bias_when_calibrated.bias_int32 = Tensor();
  float_bias_when_calibrated.bias_fp32 = Tensor::zeros({4});
  EXPECT_THROW(QuantizedLinear{float_bias_when_calibrated}, ValueError);

  QuantizedLinear::Parts missing_scales = good;
  missing_scales.weight.params.scale.pop_back();
  EXPECT_THROW(QuantizedLinear{missing_scales}, ShapeError);

  QuantizedLinear::Parts negative_scale = good;
  negative_scale.weight.params.scale[0] = -1.0f;
  EXPECT_THROW(QuantizedLinear{negative_scale}, ValueError);

  QuantizedLinear::Parts int4_out_of_range = good;
  int4_out_of_range.config.weights.dtype = QDType::Int4;
  int4_out_of_range.weight.params.dtype = QDType::Int4;  // but the values are int8's, up to ±127
  EXPECT_THROW(QuantizedLinear{int4_out_of_range}, ValueError);

  QuantizedLinear::Parts calibrated_dynamic = good;
  calibrated_dynamic.config.mode = QuantMode::Dynamic;
  EXPECT_THROW(QuantizedLinear{calibrated_dynamic}, ValueError);
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, CloneIsADeepCopyWithTheSameOutputs,
                       "clone(): same name, eval mode and outputs; every buffer in its own storage");
TEST(QuantizedLinear, CloneIsADeepCopyWithTheSameOutputs) {
  Generator generator(1524);
  QuantizedLinear layer(random_linear(8, 3, generator));
  const Tensor x = Tensor::randn({4, 8}, 0, 1, generator);
  layer.calibrate({x});
  layer.eval();
  const std::shared_ptr<Module> copy = layer.clone();
  ASSERT_EQ(copy->name(), "QuantizedLinear");
  EXPECT_FALSE(copy->is_training());
  EXPECT_EQ(copy->forward(x).to_vector(), layer(x).to_vector());
  const auto original_buffers = layer.named_buffers(), copied_buffers = copy->named_buffers();
  ASSERT_EQ(original_buffers.size(), copied_buffers.size());
  for (std::size_t i = 0; i < original_buffers.size(); ++i) {
    EXPECT_NE(original_buffers[i].second.storage(), copied_buffers[i].second.storage()) << original_buffers[i].first;
  }
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, ExtraReprNamesModeAndWeightScheme,
                       "\"in_features=K, out_features=N, <mode>, <dtype> <scheme> <granularity>\" + \", "
                       "not calibrated\" before calibrate()");
TEST(QuantizedLinear, ExtraReprNamesModeAndWeightScheme) {
  Generator generator(1525);
  QuantizedLinear layer(random_linear(784 / 28, 10, generator));
  EXPECT_EQ(layer.extra_repr(), "in_features=28, out_features=10, static, int8 symmetric per-channel, not calibrated");
  layer.calibrate({Tensor::randn({2, 28}, 0, 1, generator)});
  EXPECT_EQ(layer.extra_repr(), "in_features=28, out_features=10, static, int8 symmetric per-channel");
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, StaticForwardBeforeCalibrationSaysToCalibrate,
                       "static forward() or input_params() before calibrate() throws ValueError mentioning "
                       "\"calibrate\"");
TEST(QuantizedLinear, StaticForwardBeforeCalibrationSaysToCalibrate) {
  Generator generator(1526);
  QuantizedLinear layer(random_linear(4, 2, generator));
  try {
    layer(Tensor::zeros({1, 4}));
    FAIL() << "expected ValueError";
  } catch (const ValueError& error) {
    EXPECT_NE(std::string(error.what()).find("calibrate"), std::string::npos) << error.what();
  }
  EXPECT_THROW(layer.input_params(), ValueError);
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, WrongLastAxisIsAShapeErrorNamingBothSizes,
                       "x.size(-1) != K throws ShapeError naming x's shape (2, 783) and K = 784 (forward and "
                       "calibrate); int32 input -> DTypeError");
TEST(QuantizedLinear, WrongLastAxisIsAShapeErrorNamingBothSizes) {
  Generator generator(1527);
  QuantizedLinear layer(random_linear(784, 2, generator), dynamic_config());
  try {
    layer(Tensor::zeros({2, 783}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("(2, 783)"), std::string::npos) << message;
    EXPECT_NE(message.find("784"), std::string::npos) << message;
  }
  QuantizedLinear fixed(random_linear(5, 2, generator));
  EXPECT_THROW(fixed.calibrate({Tensor::zeros({2, 4})}), ShapeError);
  EXPECT_THROW(layer(Tensor::zeros({2, 784}, DType::Int32)), DTypeError);
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, NaNOrInfInputIsAValueError,
                       "a NaN/Inf in forward() (static or dynamic) or in a calibration batch throws ValueError; "
                       "the layer stays uncalibrated");
TEST(QuantizedLinear, NaNOrInfInputIsAValueError) {
  Generator generator(1528);
  const Linear fp32 = random_linear(3, 2, generator);
  QuantizedLinear dynamic(fp32, dynamic_config());
  QuantizedLinear fixed(fp32);
  fixed.calibrate({Tensor::ones({1, 3})});
  const Tensor with_nan = Tensor::from_values({1, std::nanf(""), 0}, {1, 3});
  const Tensor with_inf = Tensor::from_values({1, 0, INFINITY}, {1, 3});
  EXPECT_THROW(dynamic(with_nan), ValueError);
  EXPECT_THROW(fixed(with_inf), ValueError);
  QuantizedLinear uncalibrated(fp32);
  EXPECT_THROW(uncalibrated.calibrate({Tensor::ones({1, 3}), with_inf}), ValueError);
  EXPECT_FALSE(uncalibrated.is_calibrated());
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, EmptyCalibrationListIsAValueError,
                       "calibrate({}) throws ValueError and the layer stays uncalibrated");
TEST(QuantizedLinear, EmptyCalibrationListIsAValueError) {
  Generator generator(1529);
  QuantizedLinear layer(random_linear(3, 2, generator));
  EXPECT_THROW(layer.calibrate({}), ValueError);
  EXPECT_FALSE(layer.is_calibrated());
}

TINYTORCH_TEST_FORMULA(QuantizedLinear, UnsupportedConfigurationsAreRejected,
                       "uint8 weights (the GEMM is u8 x s8), weight axis != 0, per-channel activations, "
                       "input params of another dtype or per channel -> ValueError");
TEST(QuantizedLinear, UnsupportedConfigurationsAreRejected) {
  Generator generator(1530);
  const Linear fp32 = random_linear(3, 2, generator);
  EXPECT_THROW(QuantizedLinear(fp32, with_weights(static_config(), QDType::UInt8, QScheme::Affine, false, true)),
               ValueError);  // uint8 weights: the GEMM is u8 x s8
  QuantConfig column_channels = static_config();
  column_channels.weights.axis = 1;
  EXPECT_THROW(QuantizedLinear(fp32, column_channels), ValueError);
  QuantConfig per_channel_inputs = static_config();
  per_channel_inputs.activations.per_channel = true;
  EXPECT_THROW(QuantizedLinear(fp32, per_channel_inputs), ValueError);
  // Input parameters of another type than the config's activations, or per channel.
  QuantizedLinear layer(fp32);
  EXPECT_THROW(layer.set_input_params(choose_qparams(-1, 1, QuantSpec{QDType::Int8, QScheme::Symmetric})), ValueError);
  EXPECT_THROW(layer.set_input_params(choose_qparams_per_channel({-1, -1}, {1, 1}, QuantSpec{QDType::UInt8, QScheme::Affine, false, true, 0})),
               ValueError);
}

}  // namespace
}  // namespace tinytorch
