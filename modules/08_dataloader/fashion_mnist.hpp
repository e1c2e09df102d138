// fashion_mnist.hpp — Module 08: Fashion-MNIST as a TensorDataset.
//
// Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017) is 70,000 grey 28×28 images of
// clothing in 10 balanced classes: 60,000 for training, 10,000 for testing, in
// four IDX files (see idx_reader.hpp):
//
//   train-images-idx3-ubyte.gz (60000, 28, 28)   train-labels-idx1-ubyte.gz (60000)
//   t10k-images-idx3-ubyte.gz  (10000, 28, 28)   t10k-labels-idx1-ubyte.gz  (10000)
//
// Each image becomes one row of 784 float features:
//
//   PixelScale::UnitRange     x = p / 255                      in [0, 1]   (the default)
//   PixelScale::Standardize   x = (p / 255 - 0.2860) / 0.3530  mean 0, std 1 over the training set
//
// The default is UnitRange because module 15 quantizes the input: x = p / 255
// is exactly the uint8 pixel p with scale 1/255 and zero point 0, so the
// quantized input is lossless. Standardizing centres the inputs, which helps
// plain SGD a little; it is one argument away.
#pragma once

#include <string>
#include <vector>

#include "tinytorch/core/tensor.hpp"
#include "tinytorch/data/dataset.hpp"

namespace tinytorch {

enum class PixelScale { UnitRange, Standardize };

// Mean and standard deviation of p / 255 over the 47,040,000 training pixels.
inline constexpr float kFashionMnistMean = 0.2860f;
inline constexpr float kFashionMnistStd = 0.3530f;

// $TINYTORCH_DATA_DIR if set, else /usr/share/datasets/fashion-mnist
// (where the Debian package dataset-fashion-mnist installs the files).
std::string default_fashion_mnist_dir();

// split "train" (60000 examples) or "test" (10000): features (N, 784) float32,
// labels (N) int32 in 0..9. dir "" means default_fashion_mnist_dir().
// FileError when the folder or a file is missing or corrupt; the message says
// how to install the data.
TensorDataset load_fashion_mnist(const std::string& dir, const std::string& split,
                                 PixelScale scale = PixelScale::UnitRange);

// images:(N, H, W) uint8 -> features:(N, H·W) float32, scaled as `scale` says.
Tensor pixels_to_features(const Tensor& images, PixelScale scale);

// The 10 class names, indexed by label: 0 "T-shirt/top", 1 "Trouser", ..., 9 "Ankle boot".
const std::vector<std::string>& fashion_mnist_class_names();

}  // namespace tinytorch
