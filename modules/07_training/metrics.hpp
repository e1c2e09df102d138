// metrics.hpp — Module 07: how often is the classifier right?
//
// A classifier's prediction for example b is the class with the largest logit,
// and its accuracy is the fraction of predictions that match the label:
//
//   ŷ_b = argmax_c logits[b, c]          (the first maximum wins on ties)      (1)
//   accuracy = (1/B) Σ_b [ŷ_b == y_b]                                          (2)
//
// The loss is what training minimises (it is smooth, so it has gradients);
// accuracy is what we report (it counts, so it has none).
#pragma once

#include <cstdint>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

// Σ_b [argmax_c logits[b, c] == labels[b]] for logits:(B,C) float32, labels:(B) int32.
// ShapeError when the shapes do not fit, DTypeError for other element types.
int64_t count_correct(const Tensor& logits, const Tensor& labels);

// (2): count_correct / B, in [0, 1]. A batch of 0 examples is a ValueError.
double accuracy(const Tensor& logits, const Tensor& labels);

}  // namespace tinytorch
