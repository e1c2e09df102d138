// fashion_mnist.cpp — find the four IDX files, check they agree, scale the pixels.
#include "tinytorch/data/fashion_mnist.hpp"

#include <array>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <utility>

#include "tinytorch/data/idx_reader.hpp"

namespace tinytorch {
namespace {

constexpr int64_t kImageSide = 28;
constexpr int32_t kClasses = 10;
const char* const kInstallHint =
    "install the Debian package dataset-fashion-mnist (bin/tito installs it), or set TINYTORCH_DATA_DIR to a folder "
    "holding train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and "
    "t10k-labels-idx1-ubyte.gz";

// dir/stem.gz, or dir/stem when only the uncompressed file is there.
std::string find_file(const std::filesystem::path& dir, const std::string& stem) {
  const std::filesystem::path compressed = dir / (stem + ".gz");
  const std::filesystem::path raw = dir / stem;
  if (std::filesystem::exists(compressed)) return compressed.string();
  if (std::filesystem::exists(raw)) return raw.string();
  throw FileError("load_fashion_mnist: " + compressed.string() + " is missing; " + kInstallHint);
}

}  // namespace

std::string default_fashion_mnist_dir() {
  const char* from_environment = std::getenv("TINYTORCH_DATA_DIR");
  if (from_environment != nullptr && *from_environment != '\0') return from_environment;
  return "/usr/share/datasets/fashion-mnist";
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

Tensor pixels_to_features(const Tensor& images, PixelScale scale) {
  if (images.dtype() != DType::UInt8) {
    throw DTypeError("pixels_to_features: images are " + std::string(dtype_name(images.dtype())) +
                     "; expected uint8 pixels");
  }
  if (images.dim() < 2) {
    throw ShapeError("pixels_to_features: images have shape " + shape_str(images.shape()) +
                     "; expected (N, H, W) or (N, D)");
  }
  const Tensor pixels = images.contiguous();
  const int64_t count = pixels.size(0);
  const int64_t per_image = count == 0 ? 0 : pixels.numel() / count;
  Tensor features = Tensor::empty({count, per_image});
  // A pixel has only 256 values: compute each scaled value once, then look it up.
  std::array<float, 256> table{};
  for (int p = 0; p < 256; ++p) {
    // BEGIN SOLUTION
    const float unit = static_cast<float>(p) / 255.0f;
    table[static_cast<std::size_t>(p)] =
        scale == PixelScale::Standardize ? (unit - kFashionMnistMean) / kFashionMnistStd : unit;
    // END SOLUTION
  }
  const uint8_t* from = pixels.data<uint8_t>();
  float* to = features.data<float>();
  const int64_t total = pixels.numel();
  for (int64_t i = 0; i < total; ++i) to[i] = table[from[i]];
  return features;
}

TensorDataset load_fashion_mnist(const std::string& dir, const std::string& split, PixelScale scale) {
  if (split != "train" && split != "test") {
    throw ValueError("load_fashion_mnist: split \"" + split + "\"; expected \"train\" or \"test\"");
  }
  const std::filesystem::path folder = dir.empty() ? default_fashion_mnist_dir() : dir;
  if (!std::filesystem::is_directory(folder)) {
    throw FileError("load_fashion_mnist: the folder " + folder.string() + " does not exist; " + kInstallHint);
  }
  const std::string prefix = split == "train" ? "train" : "t10k";
  const std::string images_path = find_file(folder, prefix + "-images-idx3-ubyte");
  const std::string labels_path = find_file(folder, prefix + "-labels-idx1-ubyte");
  const Tensor images = read_idx(images_path);
  const Tensor labels = read_idx(labels_path);

  if (images.dim() != 3 || images.size(1) != kImageSide || images.size(2) != kImageSide) {
    throw FileError("load_fashion_mnist: " + images_path + " holds images of shape " + shape_str(images.shape()) +
                    "; expected (N, 28, 28)");
  }
  if (labels.shape() != Shape{images.size(0)}) {
    throw FileError("load_fashion_mnist: " + labels_path + " holds labels of shape " + shape_str(labels.shape()) +
                    " but " + images_path + " holds " + std::to_string(images.size(0)) + " images; expected " +
                    shape_str({images.size(0)}));
  }
  Tensor labels_int32 = Tensor::empty({labels.numel()}, DType::Int32);
  const uint8_t* stored = labels.data<uint8_t>();
  int32_t* converted = labels_int32.data<int32_t>();
  for (int64_t i = 0; i < labels.numel(); ++i) {
    if (stored[i] >= kClasses) {
      throw FileError("load_fashion_mnist: " + labels_path + ": label " + std::to_string(stored[i]) + " at index " +
                      std::to_string(i) + "; expected a class in 0..9");
    }
    converted[i] = stored[i];
  }
  return TensorDataset(pixels_to_features(images, scale), std::move(labels_int32));
}

}  // namespace tinytorch
