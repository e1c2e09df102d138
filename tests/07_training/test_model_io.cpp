// save_model / load_model: a round trip restores every parameter exactly, the
// file holds exactly the named parameters, and every mismatch is refused
// before anything is modified.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "concepts.hpp"
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/io/model_io.hpp"
#include "tinytorch/io/safetensors.hpp"

using namespace tinytorch;
namespace fs = std::filesystem;

namespace {

class ModelIo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinytorch_model_io_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

Sequential small_mlp(uint64_t seed) {
  Generator generator(seed);
  return Sequential(Linear(5, 4, true, generator), ReLU(), Linear(4, 3, true, generator));
}

}  // namespace

TINYTORCH_CONCEPT(ModelIo, "saving a model's named parameters to a safetensors file and loading them back",
                  "the file holds exactly named_parameters() (0.weight, 0.bias, ...); "
                  "load_model copies values into the existing parameters only when every name, "
                  "shape and dtype matches, else it throws and changes nothing");

TINYTORCH_TEST_FORMULA(ModelIo, RoundTripRestoresEveryParameterExactly,
                       "load_model(save_model(A)) gives B = A bit for bit, "
                       "in place (handles held beforehand see the new values); "
                       "save_model returns the file size in bytes and creates missing folders");
TEST_F(ModelIo, RoundTripRestoresEveryParameterExactly) {
  Sequential saved = small_mlp(1), loaded = small_mlp(2);
  const std::string file = path("nested/dir/mlp.safetensors");  // folders are created
  const int64_t bytes = save_model(saved, file);
  EXPECT_EQ(bytes, static_cast<int64_t>(fs::file_size(file)));
  const std::vector<Tensor> handles = loaded.parameters();  // e.g. held by an optimizer
  load_model(loaded, file);
  const NamedParameters a = saved.named_parameters(), b = loaded.named_parameters();
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].second.to_vector(), b[i].second.to_vector()) << a[i].first;
    EXPECT_EQ(handles[i].to_vector(), a[i].second.to_vector()) << "loaded in place: " << a[i].first;
  }
}

TINYTORCH_TEST_FORMULA(ModelIo, FileHoldsExactlyTheNamedParameters,
                       "Linear(5,4), ReLU, Linear(4,3) -> 4 tensors: 0.weight (4, 5), 0.bias, 2.weight, 2.bias; "
                       "metadata format = pt");
TEST_F(ModelIo, FileHoldsExactlyTheNamedParameters) {
  Sequential model = small_mlp(3);
  save_model(model, path("m.safetensors"));
  const SafetensorsFile file = load_safetensors(path("m.safetensors"));
  ASSERT_EQ(file.tensors.size(), 4u);
  EXPECT_EQ(file.tensors[0].first, "0.weight");
  EXPECT_EQ(file.tensors[0].second.shape(), (Shape{4, 5}));
  EXPECT_EQ(file.tensors[3].first, "2.bias");
  EXPECT_EQ(file.metadata.at("format"), "pt");
}

TINYTORCH_TEST_FORMULA(ModelIo, ShapeMismatchNamesTheTensorAndChangesNothing,
                       "a stored shape other than the parameter's throws ShapeError naming '0.weight', "
                       "(6, 5) and (4, 5); the model keeps its old values");
TEST_F(ModelIo, ShapeMismatchNamesTheTensorAndChangesNothing) {
  Generator generator(4);
  Sequential wide(Linear(5, 6, true, generator), ReLU(), Linear(6, 3, true, generator));
  save_model(wide, path("wide.safetensors"));
  Sequential model = small_mlp(5);
  const std::vector<float> before = model.named_parameters()[0].second.to_vector();
  try {
    load_model(model, path("wide.safetensors"));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'0.weight'"), std::string::npos) << message;
    EXPECT_NE(message.find("(6, 5)"), std::string::npos) << message;
    EXPECT_NE(message.find("(4, 5)"), std::string::npos) << message;
  }
  EXPECT_EQ(model.named_parameters()[0].second.to_vector(), before);  // untouched
}

TINYTORCH_TEST_FORMULA(ModelIo, MissingExtraAndWrongTypeTensorsAreRefused,
                       "a missing or extra tensor throws ValueError, a non-float32 tensor DTypeError, "
                       "an absent file FileError");
TEST_F(ModelIo, MissingExtraAndWrongTypeTensorsAreRefused) {
  Sequential model = small_mlp(6);
  // A file with only the first layer: "2.weight" is missing.
  Sequential first_layer_only(Linear(5, 4));
  save_model(first_layer_only, path("partial.safetensors"));
  EXPECT_THROW(load_model(model, path("partial.safetensors")), ValueError);
  // The model's tensors plus one it does not have.
  NamedParameters extra = model.named_parameters();
  extra.emplace_back("9.weight", Tensor::zeros({1}));
  save_safetensors(path("extra.safetensors"), extra);
  EXPECT_THROW(load_model(model, path("extra.safetensors")), ValueError);
  // "0.bias" stored as int32.
  NamedParameters wrong_type = model.named_parameters();
  wrong_type[1].second = Tensor::zeros({4}, DType::Int32);
  save_safetensors(path("int.safetensors"), wrong_type);
  EXPECT_THROW(load_model(model, path("int.safetensors")), DTypeError);
  // No file at all.
  EXPECT_THROW(load_model(model, path("absent.safetensors")), FileError);
}
