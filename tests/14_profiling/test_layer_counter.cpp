// The table of layer types (flops.hpp): unknown layers are reported as not
// counted; a new layer type — like module 15's quantized Linear — registers what
// it computes and what it stores.
#include <gtest/gtest.h>

#include <memory>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/profiling/profiler.hpp"

namespace tinytorch {
namespace {

// A layer the profiler has never heard of: y = 2x.
class Doubler : public Module {
 public:
  Tensor forward(const Tensor& input) override { return ops::mul_scalar(input, 2.0f); }
  std::string name() const override { return "Doubler"; }
  std::shared_ptr<Module> clone() const override { return std::make_shared<Doubler>(); }
};

// A stand-in for a quantized Linear: int8 weights (N,K), an int32 bias (N) and
// one float32 scale per output, none of them trainable parameters.
class FakeInt8Linear : public Module {
 public:
  FakeInt8Linear(int64_t in, int64_t out)
      : weight_(Tensor::zeros({out, in}, DType::Int8)),
        bias_(Tensor::zeros({out}, DType::Int32)),
        scales_(Tensor::ones({out})) {}
  Tensor forward(const Tensor& input) override { return Tensor::zeros({input.size(0), weight_.size(0)}); }
  std::string name() const override { return "FakeInt8Linear"; }
  std::shared_ptr<Module> clone() const override {
    return std::make_shared<FakeInt8Linear>(weight_.size(1), weight_.size(0));
  }
  const Tensor& weight() const { return weight_; }
  std::vector<Tensor> stored() const { return {weight_, bias_, scales_}; }

 private:
  Tensor weight_, bias_, scales_;
};

// A module with children and its own forward: the profiler cannot see inside.
class Residual : public Module {
 public:
  explicit Residual(int64_t width) : inner_(std::make_shared<Linear>(width, width)) { register_module("inner", inner_); }
  Tensor forward(const Tensor& input) override { return ops::add(input, inner_->forward(input)); }
  std::string name() const override { return "Residual"; }
  std::shared_ptr<Module> clone() const override { return std::make_shared<Residual>(inner_->in_features()); }

 private:
  std::shared_ptr<Linear> inner_;
};

TINYTORCH_CONCEPT(LayerCounter, "the table of layer types: what each computes and what it stores",
                  "a layer type with a registered counter is counted by its rule; "
                  "a type without one is reported as not counted and adds nothing to the totals");

TINYTORCH_TEST_FORMULA(LayerCounter, UnknownLayerIsReportedAsNotCountedAndLeftOutOfTheTotals,
                       "Linear(5, 3) counted, unknown Doubler not counted (ops 0, uncounted_layers = 1): per "
                       "sample ops = (K*N, N, 0) = (15, 3, 0)");
TEST(LayerCounter, UnknownLayerIsReportedAsNotCountedAndLeftOutOfTheTotals) {
  Sequential model(std::vector<std::shared_ptr<Module>>{std::make_shared<Linear>(5, 3), std::make_shared<Doubler>()});
  const ModelProfile profile = Profiler({.batch_sizes = {}, .measure_time = false}).profile(model, {5});
  ASSERT_EQ(profile.layers.size(), 2u);
  EXPECT_TRUE(profile.layers[0].counted);
  EXPECT_FALSE(profile.layers[1].counted);
  EXPECT_EQ(profile.layers[1].ops, OpCounts{});
  EXPECT_EQ(profile.uncounted_layers, 1);
  EXPECT_EQ(profile.ops_per_sample, (OpCounts{5 * 3, 3, 0})) << "only the Linear: K·N = 15, N = 3";
}

TINYTORCH_TEST_FORMULA(LayerCounter, RegisteredRowCountsANewLayerType,
                       "a registered element-wise rule counts numel(output) = 3 * 11 = 33 activations");
TEST(LayerCounter, RegisteredRowCountsANewLayerType) {
  // Doubler2 is a distinct type so that this registration cannot leak into the test above.
  class Doubler2 : public Doubler {};
  register_layer_counter<Doubler2>([](const Doubler2&, const Shape&, const Shape& out) { return count_activation(out); });
  Doubler2 layer;
  const std::vector<LayerProfile> rows = profile_layers(layer, {3, 11});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_TRUE(rows[0].counted);
  EXPECT_EQ(rows[0].ops, (OpCounts{0, 0, 33}));  // 3·11 elements
}

TINYTORCH_TEST_FORMULA(LayerCounter, QuantizedLayerReportsItsOwnStoredBytesByDtype,
                       "bytes = numel * dtype_size per dtype: int8 784*256 * 1, int32 256 * 4, float32 256 * 4; "
                       "parameters = 784*256 + 256 + 256; ops (784*256, 256, 0)");
TEST(LayerCounter, QuantizedLayerReportsItsOwnStoredBytesByDtype) {
  register_layer_counter<FakeInt8Linear>(
      [](const FakeInt8Linear& layer, const Shape& in, const Shape&) {
        return count_linear(in, layer.weight().size(1), layer.weight().size(0), true);
      },
      [](const FakeInt8Linear& layer) { return layer.stored(); });
  FakeInt8Linear layer(784, 256);
  const std::vector<LayerProfile> rows = profile_layers(layer, {1, 784});
  ASSERT_EQ(rows.size(), 1u);
  // 784·256 int8 weights (1 byte each), 256 int32 biases (4), 256 float32 scales (4).
  EXPECT_EQ(rows[0].parameter_bytes.at(DType::Int8), 784 * 256);
  EXPECT_EQ(rows[0].parameter_bytes.at(DType::Int32), 256 * 4);
  EXPECT_EQ(rows[0].parameter_bytes.at(DType::Float32), 256 * 4);
  EXPECT_EQ(rows[0].parameters, 784 * 256 + 256 + 256);
  EXPECT_EQ(rows[0].ops, (OpCounts{784 * 256, 256, 0}));
}

TINYTORCH_TEST_FORMULA(LayerCounter, ModuleWithItsOwnForwardIsOneUncountedRowWithAllItsParameters,
                       "a module with children and its own forward is one row, not counted, "
                       "with all its parameters 7*7 + 7 = 56");
TEST(LayerCounter, ModuleWithItsOwnForwardIsOneUncountedRowWithAllItsParameters) {
  Residual block(7);
  const std::vector<LayerProfile> rows = profile_layers(block, {2, 7});
  ASSERT_EQ(rows.size(), 1u) << "the profiler must not guess the order in which a custom forward runs its children";
  EXPECT_EQ(rows[0].kind, "Residual");
  EXPECT_FALSE(rows[0].counted);
  EXPECT_EQ(rows[0].parameters, 7 * 7 + 7);
}

TINYTORCH_TEST_FORMULA(LayerCounter, RowWithoutCountFunctionIsRejected,
                       "registering a counter with no count function throws ValueError");
TEST(LayerCounter, RowWithoutCountFunctionIsRejected) {
  EXPECT_THROW(register_layer_counter(std::type_index(typeid(Doubler)), LayerCounter{}), ValueError);
}

}  // namespace
}  // namespace tinytorch
