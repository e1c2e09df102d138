// flops.hpp — Module 14: how much arithmetic one forward pass does, layer by layer.
//
// What is counted (per forward pass of a whole input, batch included):
//
//   multiply_adds  one a·b + c of a dot product. A Linear layer with K inputs and
//                  N outputs does, for each of its R input rows (R = batch),
//                    multiply_adds = R · K · N                                    (1)
//                  Each is TWO floating-point operations (a multiply and an add),
//                    matmul FLOPs  = 2 · multiply_adds                            (2)
//                  — the convention of BLAS benchmarks and of every GFLOP/s figure
//                  in this project.
//   bias_adds      the "+ b[n]" of y = x Wᵀ + b: one add per output element,
//                    bias_adds = R · N         (0 for a layer without bias)       (3)
//   activations    one evaluation per output element of an element-wise layer
//                  (ReLU, Sigmoid, Tanh, GELU, Softmax):  numel(output).          (4)
//                  Listed separately and NOT added to FLOPs: a ReLU is a compare,
//                  a GELU is an erf — calling either "1 FLOP" would be a guess.
//
//   FLOPs = 2 · multiply_adds + bias_adds                                         (5)
//
// For the 784-256-128-10 MLP, per sample (R = 1):
//   multiply_adds = 784·256 + 256·128 + 128·10 = 200,704 + 32,768 + 1,280 = 234,752
//   matmul FLOPs  = 2 · 234,752 = 469,504;  bias_adds = 256 + 128 + 10 = 394
//   FLOPs (5)     = 469,898;                activations (2 ReLUs) = 256 + 128 = 384
//
// Which rule applies to which layer is a table keyed by the layer's C++ type
// (std::type_index): Linear, the activation layers and Dropout are built in.
// A new layer type — module 15's quantized Linear — adds its own row with
// register_layer_counter<T>(), saying both what it computes and what it stores
// (int8 weights, int32 bias, float scales), so the profiler reports its true
// bytes without knowing anything about quantization. Register in the .cpp that
// defines the layer's forward(): that object file is linked whenever the layer is.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <typeindex>
#include <typeinfo>
#include <vector>

#include "tinytorch/core/module.hpp"
#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

struct OpCounts {
  int64_t multiply_adds = 0;  // (1)
  int64_t bias_adds = 0;      // (3)
  int64_t activations = 0;    // (4)

  int64_t matmul_flops() const { return 2 * multiply_adds; }        // (2)
  int64_t flops() const { return 2 * multiply_adds + bias_adds; }   // (5)
  OpCounts& operator+=(const OpCounts& other);
  friend bool operator==(const OpCounts&, const OpCounts&) = default;
};

// ---- the counting rules ---------------------------------------------------------
// (1) and (3) for y = x Wᵀ + b with x:(..., K) -> y:(..., N): R = numel(x) / K rows.
OpCounts count_linear(const Shape& input_shape, int64_t in_features, int64_t out_features, bool has_bias);
// (4) for an element-wise layer: one evaluation per output element.
OpCounts count_activation(const Shape& output_shape);

// ---- the table of layer types ---------------------------------------------------
// What the profiler knows about one layer type.
struct LayerCounter {
  // The operations of one forward pass from `input_shape` to `output_shape`.
  std::function<OpCounts(const Module& layer, const Shape& input_shape, const Shape& output_shape)> count_ops;
  // The tensors the layer stores for inference (their elements are its
  // "parameters", their bytes its size). Unset: its parameters() and buffers().
  std::function<std::vector<Tensor>(const Module& layer)> stored_tensors;
};

// Adds or replaces the row of `type`.
void register_layer_counter(std::type_index type, LayerCounter counter);
// The same, typed: the functions receive the layer as a LayerT.
template <typename LayerT>
void register_layer_counter(std::function<OpCounts(const LayerT&, const Shape&, const Shape&)> count_ops,
                            std::function<std::vector<Tensor>(const LayerT&)> stored_tensors = {}) {
  LayerCounter counter;
  counter.count_ops = [count_ops](const Module& layer, const Shape& in, const Shape& out) {
    return count_ops(static_cast<const LayerT&>(layer), in, out);
  };
  if (stored_tensors) {
    counter.stored_tensors = [stored_tensors](const Module& layer) {
      return stored_tensors(static_cast<const LayerT&>(layer));
    };
  }
  register_layer_counter(std::type_index(typeid(LayerT)), std::move(counter));
}
// The row for the dynamic type of `layer`, or nullopt when its type has none
// (the profiler then reports the layer as "not counted" instead of guessing).
std::optional<LayerCounter> find_layer_counter(const Module& layer);

}  // namespace tinytorch
