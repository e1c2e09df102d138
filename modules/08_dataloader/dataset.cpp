// dataset.cpp — TensorDataset: N examples held as one features tensor and one labels tensor.
#include "tinytorch/data/dataset.hpp"

#include <string>
#include <utility>

namespace tinytorch {

TensorDataset::TensorDataset(Tensor features, Tensor labels) {
  if (!features.defined() || !labels.defined()) {
    throw ValueError("TensorDataset: features and labels must both be defined tensors");
  }
  if (features.dim() < 1) {
    throw ShapeError("TensorDataset: features have shape " + shape_str(features.shape()) +
                     "; expected (N, ...) with one row per example");
  }
  if (labels.dtype() != DType::Int32) {
    throw DTypeError("TensorDataset: labels are " + std::string(dtype_name(labels.dtype())) +
                     "; expected int32 class indices");
  }
  if (labels.shape() != Shape{features.size(0)}) {
    throw ShapeError("TensorDataset: labels have shape " + shape_str(labels.shape()) + " but features have shape " +
                     shape_str(features.shape()) + "; expected labels of shape " + shape_str({features.size(0)}));
  }
  // Contiguous once here, so that every batch is a memcpy per row later.
  features_ = features.contiguous();
  labels_ = labels.contiguous();
}

Example TensorDataset::get(int64_t index) const {
  if (index < 0 || index >= size()) {
    throw IndexError("TensorDataset::get: index " + std::to_string(index) + " out of range for " +
                     std::to_string(size()) + " examples");
  }
  // BEGIN SOLUTION
  // Row `index` of a contiguous (N, ...) tensor starts index * strides[0]
  // elements in; the example is a view with the remaining axes.
  const Shape& shape = features_.shape();
  const Shape& strides = features_.strides();
  Tensor row(features_.storage(), Shape(shape.begin() + 1, shape.end()), Shape(strides.begin() + 1, strides.end()),
             features_.offset() + index * strides[0], features_.dtype());
  return Example{std::move(row), labels_.data<int32_t>()[index]};
  // END SOLUTION
}

Shape TensorDataset::example_shape() const {
  const Shape& shape = features_.shape();
  return Shape(shape.begin() + 1, shape.end());
}

TensorDataset TensorDataset::slice(int64_t begin, int64_t end) const {
  if (begin < 0 || end < begin || end > size()) {
    throw IndexError("TensorDataset::slice: examples [" + std::to_string(begin) + ", " + std::to_string(end) +
                     ") out of range for " + std::to_string(size()) +
                     " examples (expected 0 <= begin <= end <= " + std::to_string(size()) + ")");
  }
  return TensorDataset(features_.slice_rows(begin, end), labels_.slice_rows(begin, end));
}

}  // namespace tinytorch
