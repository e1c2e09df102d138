// The Quantizer (quantization.hpp): the Python course's class API is the same
// operations as the free functions — checked value for value — plus
// compare_models, which puts the size and accuracy reports side by side.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/data/synthetic.hpp"
#include "tinytorch/perf/quantization.hpp"

namespace tinytorch {
namespace {

TINYTORCH_CONCEPT(Quantizer, "the Quantizer class (the Python course's API) is the free functions under other names",
                  "Quantizer::quantize_tensor = quantize_int8, dequantize_tensor = dequantize_int8, quantize_model = "
                  "quantize_model, compare_models = analyze_model_sizes + validate_quantized_model");

TEST(Quantizer, QuantizeTensorIsQuantizeInt8) {
  Generator generator(1571);
  const Tensor x = Tensor::randn({3, 17}, 0, 2, generator);
  const Int8Quantized via_class = Quantizer::quantize_tensor(x);
  const Int8Quantized via_function = quantize_int8(x);
  EXPECT_EQ(via_class.values.dtype(), DType::Int8);
  EXPECT_EQ(via_class.values.shape(), x.shape());
  EXPECT_EQ(via_class.values.to_int32_vector(), via_function.values.to_int32_vector());
  EXPECT_EQ(via_class.scale, via_function.scale);
  EXPECT_EQ(via_class.zero_point, via_function.zero_point);
  EXPECT_EQ(Quantizer::dequantize_tensor(via_class.values, via_class.scale, via_class.zero_point).to_vector(),
            dequantize_int8(via_function.values, via_function.scale, via_function.zero_point).to_vector());
}

TINYTORCH_TEST_FORMULA(Quantizer, Int8RoundTripOnHandComputedValues,
                       "scale = (max - min) / 255, zero_point = -128 - round(min / scale); q = clamp(round(x / scale) "
                       "+ zero_point, -128, 127); x_hat = scale * (q - zero_point), |x_hat - x| <= scale / 2");
TEST(Quantizer, Int8RoundTripOnHandComputedValues) {
  // x = [−1, 0, 1, 2]: range [−1, 2], scale = 3/255, zero_point = −128 − round(−1 / scale) = −128 + 85 = −43;
  // q = round(x / scale) + zero_point = [−85, 0, 85, 170] − 43 = [−128, −43, 42, 127]; each x̂ within scale/2 of x.
  const Tensor x = Tensor::from_values({-1, 0, 1, 2});
  const Int8Quantized q = Quantizer::quantize_tensor(x);
  EXPECT_FLOAT_EQ(q.scale, 3.0f / 255.0f);
  EXPECT_EQ(q.zero_point, -43);
  EXPECT_EQ(q.values.to_int32_vector(), (std::vector<int32_t>{-128, -43, 42, 127}));
  const std::vector<float> x_hat = Quantizer::dequantize_tensor(q.values, q.scale, q.zero_point).to_vector();
  const std::vector<float> want = x.to_vector();
  for (std::size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(x_hat[i], want[i], q.scale / 2) << i;
  EXPECT_EQ(x_hat[1], 0.0f) << "0 is exactly representable: q = zero_point";
}

TEST(Quantizer, QuantizeModelIsTheFreeFunction) {
  Generator generator(1572);
  Sequential by_class(Linear(6, 9, true, generator), ReLU(), Linear(9, 3, true, generator));
  const std::shared_ptr<Sequential> by_function = std::dynamic_pointer_cast<Sequential>(by_class.clone());
  const std::vector<Tensor> batches = {Tensor::randn({8, 6}, 0, 1, generator), Tensor::randn({8, 6}, 0, 1, generator)};
  const QuantizationSummary class_summary = Quantizer::quantize_model(by_class, batches);
  const QuantizationSummary function_summary = quantize_model(*by_function, batches);
  EXPECT_EQ(class_summary.quantized_layers, function_summary.quantized_layers);
  EXPECT_EQ(class_summary.calibration_samples, function_summary.calibration_samples);
  const Tensor x = Tensor::randn({5, 6}, 0, 1, generator);
  EXPECT_EQ(by_class(x).to_vector(), (*by_function)(x).to_vector()) << "the same quantized model, bit for bit";
}

TINYTORCH_TEST_FORMULA(Quantizer, CompareModelsIsSizesPlusValidation,
                       "comparison = analyze_model_sizes + validate_quantized_model; FP32 4 * (N*K + N) bytes, int8 "
                       "N*K + 12*N + 8 (+8 for a layer handing uint8 on); printed as \"R.RRx smaller\", R = original "
                       "/ quantized");
TEST(Quantizer, CompareModelsIsSizesPlusValidation) {
  const TensorDataset data = make_blobs(120, 3, 10, 1.5f, 1573);
  Generator generator(1574);
  Sequential model(Linear(10, 32, true, generator), ReLU(), Linear(32, 3, true, generator));
  const std::shared_ptr<Sequential> quantized = std::dynamic_pointer_cast<Sequential>(model.clone());
  Quantizer::quantize_model(*quantized, {data.features()});
  DataLoader loader(data, 40);
  const ModelComparison comparison = Quantizer::compare_models(model, *quantized, loader);
  const SizeReport sizes = analyze_model_sizes(model, *quantized);
  const ValidationReport accuracy = validate_quantized_model(model, *quantized, loader);
  EXPECT_EQ(comparison.sizes.original_bytes, sizes.original_bytes);
  EXPECT_EQ(comparison.sizes.quantized_bytes, sizes.quantized_bytes);
  EXPECT_EQ(comparison.accuracy.fp32_accuracy, accuracy.fp32_accuracy);
  EXPECT_EQ(comparison.accuracy.quantized_accuracy, accuracy.quantized_accuracy);
  EXPECT_EQ(comparison.accuracy.worst_layer, accuracy.worst_layer);
  // FP32: 4·(10·32 + 32 + 32·3 + 3) = 1,804 bytes; int8: (320 + 12·32 + 8 + 8) + (96 + 12·3 + 8) = 860 bytes
  // (layer 0 hands uint8 to layer 2: + its output scale and zero point, 8 bytes).
  EXPECT_EQ(sizes.original_bytes, 1804);
  EXPECT_EQ(sizes.quantized_bytes, 860);
  const std::string text = comparison.to_string();
  EXPECT_NE(text.find("2.10x smaller"), std::string::npos) << text;  // 1804 / 860 = 2.098
  EXPECT_NE(text.find(sizes.to_string()), std::string::npos) << "the size table is part of the comparison";
  EXPECT_NE(text.find("<- hurts most"), std::string::npos) << text;
}

}  // namespace
}  // namespace tinytorch
