// checks.cpp — Module 15's inline checks: run these first while you write
// qparams.cpp, quantize.cpp, the observers and QuantizedLinear.
#include <cmath>
#include <vector>

#include "tinytorch/core/inline_checks.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/perf/quantization.hpp"

using namespace tinytorch;
using inline_checks::expect;
using inline_checks::expect_near;

int main() {
  return inline_checks::run("15_quantization", {
    {"quantize_int8 of [-1, 0, 0.5, 3]: scale 4/255, zero point -64, q = [-128, -64, -32, 127]", [] {
       const Int8Quantized q = quantize_int8(Tensor::from_values({-1.0f, 0.0f, 0.5f, 3.0f}));
       expect_near(q.scale, 4.0 / 255.0, 1e-9, "scale = (max - min) / 255");
       expect(q.zero_point == -64, "zero_point = -128 - round(min / scale) = -128 + 64");
       expect(q.values.to_int32_vector() == std::vector<int32_t>{-128, -64, -32, 127},
              "q = clamp(round(x / scale) + zero_point, -128, 127)");
     }},
    {"dequantize_int8 brings every value back within scale/2", [] {
       const Tensor x = Tensor::from_values({-1.0f, -0.3f, 0.0f, 0.77f, 3.0f});
       const Int8Quantized q = quantize_int8(x);
       const std::vector<float> back = dequantize_int8(q.values, q.scale, q.zero_point).to_vector();
       const std::vector<float> original = x.to_vector();
       for (std::size_t i = 0; i < back.size(); ++i) {
         expect_near(back[i], original[i], q.scale / 2 + 1e-6, "x_hat = scale * (q - zero_point)");
       }
       expect(back[2] == 0.0f, "the real value 0 comes back exactly");
     }},
    {"symmetric int8 narrow range of [-2, 1]: scale 2/127, zero point 0", [] {
       const QParams p = choose_qparams(-2.0f, 1.0f, QuantSpec{QDType::Int8, QScheme::Symmetric, true, false, 0});
       expect_near(p.scale[0], 2.0 / 127.0, 1e-9, "scale = max|x| / 127");
       expect(p.zero_point[0] == 0, "symmetric: zero point 0");
     }},
    {"min-max observer over two batches covers both", [] {
       MinMaxObserver observer;
       observer.observe(Tensor::from_values({0.0f, 1.0f}));
       observer.observe(Tensor::from_values({-3.0f, 0.5f}));
       expect(observer.min_seen() == -3.0f && observer.max_seen() == 1.0f, "min and max over every batch");
     }},
    {"QuantizedLinear(784 -> 256) stores about 4x fewer bytes", [] {
       QuantizedLinear layer(Linear(784, 256), [] {
         QuantConfig config;
         config.mode = QuantMode::Dynamic;
         return config;
       }());
       const MemoryUsage usage = layer.memory_usage();
       expect(usage.original_bytes == 4 * (784 * 256 + 256), "FP32: 4 bytes per weight and bias");
       expect(usage.ratio > 3.9, "int8 weights: 1 byte each");
     }},
  });
}
