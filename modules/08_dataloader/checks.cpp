// checks.cpp — Module 08's inline checks: run these first while you write the data pipeline.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tinytorch/core/inline_checks.hpp"
#include "tinytorch/data/dataloader.hpp"
#include "tinytorch/data/fashion_mnist.hpp"
#include "tinytorch/data/idx_reader.hpp"
#include "tinytorch/data/synthetic.hpp"

using namespace tinytorch;
using inline_checks::expect;
using inline_checks::expect_near;

namespace {
// 10 examples of 2 features: row i = (10i, 10i + 1), label i.
TensorDataset ten_examples() {
  std::vector<float> features;
  std::vector<int32_t> labels;
  for (int i = 0; i < 10; ++i) {
    features.insert(features.end(), {10.0f * i, 10.0f * i + 1});
    labels.push_back(i);
  }
  return TensorDataset(Tensor::from_values(features, {10, 2}), Tensor::from_int32(labels, {10}));
}
}  // namespace

int main() {
  return inline_checks::run("08_dataloader", {
    {"TensorDataset::get(3) is row 3 and label 3", [] {
       Example example = ten_examples().get(3);
       expect(example.features.to_vector() == std::vector<float>{30, 31}, "features[3] = (30, 31)");
       expect(example.label == 3, "labels[3] = 3");
     }},
    {"10 examples in batches of 4: ceil(10/4) = 3 batches, floor(10/4) = 2 with drop_last", [] {
       expect(DataLoader(ten_examples(), 4).num_batches() == 3, "ceil(10 / 4) = 3");
       expect(DataLoader(ten_examples(), 4, false, 0, true).num_batches() == 2, "floor(10 / 4) = 2");
     }},
    {"without shuffle, batch 1 of size 4 is examples 4..7", [] {
       DataLoader loader(ten_examples(), 4);
       Batch batch = loader.make_batch(loader.epoch_order(0), 1);
       expect(batch.labels.to_int32_vector() == std::vector<int32_t>{4, 5, 6, 7}, "labels 4 5 6 7");
       expect(batch.inputs.shape() == Shape{4, 2}, "inputs (4, 2)");
     }},
    {"a shuffled epoch visits every example exactly once", [] {
       DataLoader loader(ten_examples(), 3, /*shuffle=*/true, /*seed=*/7);
       std::vector<int32_t> seen;
       for (const Batch& batch : loader) {
         for (int32_t label : batch.labels.to_int32_vector()) seen.push_back(label);
       }
       std::sort(seen.begin(), seen.end());
       expect(seen == std::vector<int32_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, "sorted labels = 0..9");
     }},
    {"IDX sizes are big-endian: 00 00 EA 60 = 60000", [] {
       const uint8_t bytes[4] = {0x00, 0x00, 0xEA, 0x60};
       expect(read_big_endian_u32(bytes) == 60000, "0xEA * 256 + 0x60 = 60000");
     }},
    {"pixels 0, 51, 255 -> 0, 0.2, 1 (p / 255)", [] {
       Tensor pixels = Tensor::from_int32({0, 51, 255}, {1, 3}).to(DType::UInt8);
       std::vector<float> x = pixels_to_features(pixels, PixelScale::UnitRange).to_vector();
       expect_near(x[0], 0.0, 0, "0 / 255");
       expect_near(x[1], 0.2, 1e-7, "51 / 255");
       expect_near(x[2], 1.0, 0, "255 / 255");
     }},
    {"spiral point i of n lies at radius (i + 1) / n", [] {
       Tensor xy = make_spirals(5, 3, 0.2f, 1).features();
       expect_near(std::hypot(xy.at({2, 0}), xy.at({2, 1})), 3.0 / 5.0, 1e-6, "radius of point 2 = 3/5");
     }},
  });
}
