// Fashion-MNIST: the real files from the Debian package dataset-fashion-mnist,
// the pixel scaling, and the messages when the data is missing or inconsistent.
//
// Values quoted from the files themselves (read with Python's gzip module):
//   train labels start 9 0 0 3 0 2 7 2 5 5; test labels start 9 2 1 1 6 1 4 6 5 7;
//   each class has exactly 6000 training and 1000 test images;
//   row 14 of the first training image is the bytes in kFirstTrainImageRow14;
//   the mean of p/255 over all training pixels is 0.286041, the std 0.3530.
#include <gtest/gtest.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/data/fashion_mnist.hpp"

using namespace tinytorch;
namespace fs = std::filesystem;

namespace {

constexpr double kMeanTolerance = 1e-4;  // sums of 47M floats accumulated in double
constexpr std::array<int, 28> kFirstTrainImageRow14 = {
    0, 0, 1, 4, 6, 7, 2, 0, 0, 0, 0, 0, 237, 226, 217, 223, 222, 219, 222, 221, 216, 223, 229, 215, 218, 255, 77, 0};

// Mean and standard deviation of all elements, accumulated in double.
std::pair<double, double> mean_and_std(const Tensor& t) {
  const float* x = t.data<float>();
  double sum = 0, sum_squares = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    sum += x[i];
    sum_squares += static_cast<double>(x[i]) * x[i];
  }
  const double mean = sum / t.numel();
  return {mean, std::sqrt(sum_squares / t.numel() - mean * mean)};
}

std::vector<int64_t> class_counts(const Tensor& labels) {
  std::vector<int64_t> counts(10, 0);
  for (int32_t label : labels.to_int32_vector()) ++counts.at(static_cast<std::size_t>(label));
  return counts;
}

std::string error_of(const std::string& dir, const std::string& split) {
  try {
    load_fashion_mnist(dir, split);
  } catch (const FileError& error) {
    return error.what();
  }
  return "";
}

#define EXPECT_MESSAGE_HAS(message, text) \
  EXPECT_NE((message).find(text), std::string::npos) << "message: " << (message) << "\nexpected to contain: " << (text)

// Loaded once for the whole suite: reading 26 MB of gzip takes a moment.
class FashionMnist : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    train_ = load_fashion_mnist("", "train");
    test_ = load_fashion_mnist("", "test");
  }
  static void TearDownTestSuite() {
    train_.reset();
    test_.reset();
  }
  static std::optional<TensorDataset> train_;
  static std::optional<TensorDataset> test_;
};
std::optional<TensorDataset> FashionMnist::train_;
std::optional<TensorDataset> FashionMnist::test_;

}  // namespace

TINYTORCH_CONCEPT(FashionMnist, "the real Fashion-MNIST files as TensorDatasets",
                  "train (60000, 784), test (10000, 784) float32 features x = p / 255 "
                  "(or (p / 255 - 0.2860) / 0.3530), int32 labels 0..9, "
                  "6000 train and 1000 test images per class");

TINYTORCH_TEST_FORMULA(FashionMnist, TrainSplitIs60000RowsOf784,
                       "train features (60000, 784) float32, labels (60000) int32 starting 9 0 0 3; "
                       "6000 images per class");
TEST_F(FashionMnist, TrainSplitIs60000RowsOf784) {
  EXPECT_EQ(train_->features().shape(), (Shape{60000, 784}));
  EXPECT_EQ(train_->features().dtype(), DType::Float32);
  EXPECT_EQ(train_->labels().shape(), (Shape{60000}));
  EXPECT_EQ(train_->labels().dtype(), DType::Int32);
  EXPECT_EQ(train_->get(0).label, 9);  // "Ankle boot"
  EXPECT_EQ(train_->get(3).label, 3);
  EXPECT_EQ(class_counts(train_->labels()), std::vector<int64_t>(10, 6000));
}

TINYTORCH_TEST_FORMULA(FashionMnist, TestSplitIs10000RowsOf784,
                       "test features (10000, 784), labels starting 9 2; 1000 images per class");
TEST_F(FashionMnist, TestSplitIs10000RowsOf784) {
  EXPECT_EQ(test_->features().shape(), (Shape{10000, 784}));
  EXPECT_EQ(test_->get(0).label, 9);
  EXPECT_EQ(test_->get(1).label, 2);
  EXPECT_EQ(class_counts(test_->labels()), std::vector<int64_t>(10, 1000));
}

TINYTORCH_TEST_FORMULA(FashionMnist, PixelsArePOver255,
                       "x = p / 255: row 14 of image 0 = its bytes / 255; "
                       "mean of all x = 0.286041 (+- 1e-4), std = 0.3530 (+- 5e-4)");
TEST_F(FashionMnist, PixelsArePOver255) {
  const std::vector<float> image = train_->get(0).features.to_vector();
  for (int column = 0; column < 28; ++column) {
    EXPECT_EQ(image[14 * 28 + column], static_cast<float>(kFirstTrainImageRow14[column]) / 255.0f) << column;
  }
  const auto [mean, std] = mean_and_std(train_->features());
  EXPECT_NEAR(mean, 0.286041, kMeanTolerance);  // = kFashionMnistMean to 4 digits
  EXPECT_NEAR(std, 0.3530, 5e-4);
}

TINYTORCH_TEST_FORMULA(FashionMnist, StandardizedTrainSetHasMeanZeroStdOne,
                       "z = (p / 255 - 0.2860) / 0.3530: mean 0 (+- 3e-4, the rounded constants leave 1.2e-4), "
                       "std 1 (+- 2e-3); labels unchanged");
TEST_F(FashionMnist, StandardizedTrainSetHasMeanZeroStdOne) {
  TensorDataset standardized = load_fashion_mnist("", "train", PixelScale::Standardize);
  const auto [mean, std] = mean_and_std(standardized.features());
  // (0.286041 - 0.2860) / 0.3530 = 1.2e-4: the rounded constants leave that much.
  EXPECT_NEAR(mean, 0.0, 3e-4);
  EXPECT_NEAR(std, 1.0, 2e-3);
  EXPECT_EQ(standardized.labels().to_int32_vector(), train_->labels().to_int32_vector());
}

TINYTORCH_CONCEPT(FashionMnistFiles, "Fashion-MNIST's folder, class names, pixel scaling and error messages",
                  "x = p / 255 (UnitRange) or z = (p / 255 - mean) / std (Standardize); "
                  "(N, 28, 28) uint8 -> (N, 784); a missing folder or file is a FileError that says how to "
                  "install the data");

TINYTORCH_TEST_FORMULA(FashionMnistFiles, MissingFolderSaysHowToInstall,
                       "FileError: <dir> does not exist, and install the Debian package dataset-fashion-mnist "
                       "(bin/tito installs it)");
TEST(FashionMnistFiles, MissingFolderSaysHowToInstall) {
  const std::string message = error_of("/nonexistent/fashion-mnist", "train");
  EXPECT_MESSAGE_HAS(message, "/nonexistent/fashion-mnist does not exist");
  EXPECT_MESSAGE_HAS(message, "install the Debian package dataset-fashion-mnist (bin/tito installs it)");
}

TINYTORCH_TEST_FORMULA(FashionMnistFiles, BadSplitIsValueError, "split must be train or test, else ValueError");
TEST(FashionMnistFiles, BadSplitIsValueError) { EXPECT_THROW(load_fashion_mnist("", "validation"), ValueError); }

TINYTORCH_TEST_FORMULA(FashionMnistFiles, DefaultFolderFollowsTheEnvironment,
                       "default folder = $TINYTORCH_DATA_DIR if set, else /usr/share/datasets/fashion-mnist");
TEST(FashionMnistFiles, DefaultFolderFollowsTheEnvironment) {
  const char* saved = std::getenv("TINYTORCH_DATA_DIR");
  const std::optional<std::string> previous = saved ? std::optional<std::string>(saved) : std::nullopt;
  ::setenv("TINYTORCH_DATA_DIR", "/tmp/my-fashion", 1);
  EXPECT_EQ(default_fashion_mnist_dir(), "/tmp/my-fashion");
  ::unsetenv("TINYTORCH_DATA_DIR");
  EXPECT_EQ(default_fashion_mnist_dir(), "/usr/share/datasets/fashion-mnist");
  if (previous) ::setenv("TINYTORCH_DATA_DIR", previous->c_str(), 1);
}

TINYTORCH_TEST_FORMULA(FashionMnistFiles, ClassNames,
                       "10 class names: 0 T-shirt/top, ..., 5 Sandal, ..., 9 Ankle boot");
TEST(FashionMnistFiles, ClassNames) {
  const std::vector<std::string>& names = fashion_mnist_class_names();
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names[0], "T-shirt/top");
  EXPECT_EQ(names[5], "Sandal");
  EXPECT_EQ(names[9], "Ankle boot");
}

TINYTORCH_TEST_FORMULA(FashionMnistFiles, PixelsToFeaturesScalesEachPixel,
                       "(N, H, W) uint8 -> (N, H*W): x = p / 255, "
                       "z = (p / 255 - kFashionMnistMean) / kFashionMnistStd; "
                       "float input throws DTypeError, 1-D input ShapeError");
TEST(FashionMnistFiles, PixelsToFeaturesScalesEachPixel) {
  Tensor pixels = Tensor::from_int32({0, 51, 255, 128, 7, 200}, {2, 1, 3}).to(DType::UInt8);
  Tensor unit = pixels_to_features(pixels, PixelScale::UnitRange);
  EXPECT_EQ(unit.shape(), (Shape{2, 3}));  // (N, H, W) -> (N, H·W)
  const std::vector<float> x = unit.to_vector();
  const std::vector<float> z = pixels_to_features(pixels, PixelScale::Standardize).to_vector();
  const int p[6] = {0, 51, 255, 128, 7, 200};
  for (int i = 0; i < 6; ++i) {
    const float expected = static_cast<float>(p[i]) / 255.0f;
    EXPECT_EQ(x[i], expected) << "x = p / 255 for p = " << p[i];
    EXPECT_EQ(z[i], (expected - kFashionMnistMean) / kFashionMnistStd) << "z = (p/255 - mean) / std for p = " << p[i];
  }
  EXPECT_THROW(pixels_to_features(Tensor::zeros({2, 3}), PixelScale::UnitRange), DTypeError);
  EXPECT_THROW(pixels_to_features(Tensor::zeros({3}, DType::UInt8), PixelScale::UnitRange), ShapeError);
}

// A folder of small hand-written IDX files (uncompressed names: load_fashion_mnist
// takes name.gz, else name).
class FashionMnistFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinytorch_fmnist_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void write(const std::string& name, std::vector<uint8_t> header_sizes, uint8_t dimensions,
             const std::vector<uint8_t>& data) const {
    std::vector<uint8_t> bytes = {0, 0, 8, dimensions};
    bytes.insert(bytes.end(), header_sizes.begin(), header_sizes.end());
    bytes.insert(bytes.end(), data.begin(), data.end());
    std::ofstream(dir_ / name, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  // n images of 28×28 (all pixels = 255) and the given labels.
  void write_split(const std::string& prefix, uint8_t images, const std::vector<uint8_t>& labels) const {
    write(prefix + "-images-idx3-ubyte", {0, 0, 0, images, 0, 0, 0, 28, 0, 0, 0, 28}, 3,
          std::vector<uint8_t>(images * 784u, 255));
    write(prefix + "-labels-idx1-ubyte", {0, 0, 0, static_cast<uint8_t>(labels.size())}, 1, labels);
  }
  fs::path dir_;
};

TINYTORCH_CONCEPT(FashionMnistFolder, "loading Fashion-MNIST from a folder of small hand-written IDX files",
                  "name.gz is read, else name; images (N, 28, 28) and labels (N) must agree in N and labels lie "
                  "in 0..9, else FileError");

TINYTORCH_TEST_FORMULA(FashionMnistFolder, ReadsUncompressedFiles,
                       "uncompressed t10k files with 2 images of 255s and labels (4, 7) -> features (2, 784) all "
                       "255 / 255 = 1");
TEST_F(FashionMnistFolder, ReadsUncompressedFiles) {
  write_split("t10k", 2, {4, 7});
  TensorDataset test = load_fashion_mnist(dir_.string(), "test");
  EXPECT_EQ(test.features().shape(), (Shape{2, 784}));
  EXPECT_EQ(test.labels().to_int32_vector(), (std::vector<int32_t>{4, 7}));
  EXPECT_EQ(test.get(1).features.to_vector(), std::vector<float>(784, 1.0f));  // 255 / 255
}

TINYTORCH_TEST_FORMULA(FashionMnistFolder, MissingFileIsNamedWithTheInstallHint,
                       "FileError: <dir>/train-images-idx3-ubyte.gz is missing, plus the install hint");
TEST_F(FashionMnistFolder, MissingFileIsNamedWithTheInstallHint) {
  write_split("t10k", 2, {4, 7});
  const std::string message = error_of(dir_.string(), "train");
  EXPECT_MESSAGE_HAS(message, (dir_ / "train-images-idx3-ubyte.gz").string() + " is missing");
  EXPECT_MESSAGE_HAS(message, "install the Debian package dataset-fashion-mnist");
}

TINYTORCH_TEST_FORMULA(FashionMnistFolder, ImagesAndLabelsMustAgree,
                       "3 labels for 2 images: FileError ... holds labels of shape (3,) but ...");
TEST_F(FashionMnistFolder, ImagesAndLabelsMustAgree) {
  write_split("t10k", 2, {4, 7, 1});
  EXPECT_MESSAGE_HAS(error_of(dir_.string(), "test"), "holds labels of shape (3,) but");
}

TINYTORCH_TEST_FORMULA(FashionMnistFolder, LabelsMustBeClasses0To9,
                       "label 10: FileError label 10 at index 1; expected a class in 0..9");
TEST_F(FashionMnistFolder, LabelsMustBeClasses0To9) {
  write_split("t10k", 2, {4, 10});
  EXPECT_MESSAGE_HAS(error_of(dir_.string(), "test"), "label 10 at index 1; expected a class in 0..9");
}
