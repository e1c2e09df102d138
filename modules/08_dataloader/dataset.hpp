// dataset.hpp — Module 08: a Dataset is N examples, each a feature tensor and a label.
//
// Training never looks at one example at a time: it asks for a *batch* of B
// examples, stacked along a new first axis,
//
//   inputs:(B, ...) = stack(features[i_1], ..., features[i_B]),   labels:(B) int32.
//
// The abstract Dataset (size() and get(i)) is the general interface: any source
// of examples can implement it. But building a batch from B separate get(i)
// calls costs B small tensors. Most datasets fit in memory as one tensor, so
// TensorDataset keeps all features in one contiguous (N, ...) tensor and the
// DataLoader (dataloader.hpp) gathers a batch with one memcpy per row.
#pragma once

#include <cstdint>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

// One example: its features (shape = the dataset's example shape) and its class.
struct Example {
  Tensor features;
  int32_t label = 0;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  // Number of examples N.
  virtual int64_t size() const = 0;
  // Example `index`, 0 <= index < size() (IndexError otherwise).
  virtual Example get(int64_t index) const = 0;
};

// All examples in memory: features:(N, ...) of any dtype, labels:(N) int32.
// Both are stored contiguous (copied once here if they were not), so row i of
// the features is one block of example_numel() elements.
class TensorDataset final : public Dataset {
 public:
  TensorDataset(Tensor features, Tensor labels);

  int64_t size() const override { return features_.size(0); }
  // A view of row `index` (no copy): features:(...), label.
  Example get(int64_t index) const override;

  const Tensor& features() const { return features_; }
  const Tensor& labels() const { return labels_; }
  // Shape of one example: features.shape()[1:].
  Shape example_shape() const;
  // Examples [begin, end) as a dataset of views (no copy): a validation split,
  // or the first few hundred examples for a quick check.
  TensorDataset slice(int64_t begin, int64_t end) const;

 private:
  Tensor features_;
  Tensor labels_;
};

}  // namespace tinytorch
