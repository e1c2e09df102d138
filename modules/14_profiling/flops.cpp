// flops.cpp — the counting rules (1)–(4) of flops.hpp and the table of layer types.
#include "tinytorch/profiling/flops.hpp"

#include <mutex>
#include <string>
#include <unordered_map>

#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/dropout.hpp"
#include "tinytorch/core/linear.hpp"

namespace tinytorch {

OpCounts& OpCounts::operator+=(const OpCounts& other) {
  multiply_adds += other.multiply_adds;
  bias_adds += other.bias_adds;
  activations += other.activations;
  return *this;
}

// x:(..., K) -> y:(..., N), R = numel(x) / K rows.
OpCounts count_linear(const Shape& input_shape, int64_t in_features, int64_t out_features, bool has_bias) {
  if (input_shape.empty() || input_shape.back() != in_features || in_features < 0 || out_features < 0) {
    throw ShapeError("count_linear: input is " + shape_str(input_shape) + " for a layer with in_features = " +
                     std::to_string(in_features) + ", out_features = " + std::to_string(out_features) +
                     "; expected an input (..., in_features) and sizes >= 0");
  }
  OpCounts counts;
  // BEGIN SOLUTION
  // R = the product of all axes but the last (numel / K, written so that K = 0 works too).
  const int64_t rows = shape_numel(Shape(input_shape.begin(), input_shape.end() - 1));
  counts.multiply_adds = rows * in_features * out_features;  // (1): every output is a K-term dot product
  counts.bias_adds = has_bias ? rows * out_features : 0;     // (3): one add per output element
  // END SOLUTION
  return counts;
}

OpCounts count_activation(const Shape& output_shape) {
  OpCounts counts;
  // BEGIN SOLUTION
  counts.activations = shape_numel(output_shape);  // (4)
  // END SOLUTION
  return counts;
}

namespace {

using CounterRows = std::unordered_map<std::type_index, LayerCounter>;

template <typename LayerT> void add_activation_row(CounterRows& rows) {
  rows[std::type_index(typeid(LayerT))].count_ops = [](const Module&, const Shape&, const Shape& output) {
    return count_activation(output);
  };
}

// The built-in rows.
CounterRows builtin_rows() {
  CounterRows rows;
  rows[std::type_index(typeid(Linear))].count_ops = [](const Module& layer, const Shape& input, const Shape&) {
    const auto& linear = static_cast<const Linear&>(layer);
    return count_linear(input, linear.in_features(), linear.out_features(), linear.has_bias());
  };
  add_activation_row<ReLU>(rows);
  add_activation_row<Sigmoid>(rows);
  add_activation_row<Tanh>(rows);
  add_activation_row<GELU>(rows);
  add_activation_row<Softmax>(rows);
  // Dropout is the identity in eval mode, where the profiler runs: no arithmetic.
  rows[std::type_index(typeid(Dropout))].count_ops = [](const Module&, const Shape&, const Shape&) {
    return OpCounts{};
  };
  return rows;
}

struct CounterTable {
  std::mutex mutex;
  CounterRows rows = builtin_rows();
};

// Made on first use (no static-initialisation-order puzzles).
CounterTable& counter_table() {
  static CounterTable table;
  return table;
}

}  // namespace

void register_layer_counter(std::type_index type, LayerCounter counter) {
  if (!counter.count_ops) {
    throw ValueError(std::string("register_layer_counter: the row for ") + type.name() +
                     " has no count_ops function; expected one (return OpCounts{} for a layer that computes nothing)");
  }
  CounterTable& table = counter_table();
  const std::lock_guard lock(table.mutex);
  table.rows[type] = std::move(counter);
}

std::optional<LayerCounter> find_layer_counter(const Module& layer) {
  CounterTable& table = counter_table();
  const std::lock_guard lock(table.mutex);
  const auto it = table.rows.find(std::type_index(typeid(layer)));
  if (it == table.rows.end()) return std::nullopt;
  return it->second;
}

}  // namespace tinytorch
