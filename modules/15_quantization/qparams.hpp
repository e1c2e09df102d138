// qparams.hpp — Module 15: the numbers that map real values to small integers.
//
// Quantization stores a real value x as an integer q with a scale s > 0 and an
// integer zero point z (Jacob et al. 2018, "Quantization and Training of Neural
// Networks for Efficient Integer-Arithmetic-Only Inference"):
//
//   q = clamp( round(x / s) + z, q_min, q_max )          quantize            (1)
//   x̂ = s · (q − z)                                       dequantize          (2)
//
// round() is round-half-to-even (2.5 → 2, 3.5 → 4), the IEEE default, so
// rounding errors do not pile up in one direction.
//
// Choosing s and z from the range [min, max] a tensor must cover:
//
//   the range is first widened to contain 0:  min ← min(min, 0), max ← max(max, 0)
//   affine (asymmetric):  s = (max − min) / (q_max − q_min)
//                         z = clamp( q_min − round(min / s), q_min, q_max )        (3)
//   symmetric:            a = max(|min|, |max|)
//                         s = a / ((q_max − q_min) / 2),  z = the middle of the range (4)
//                         (0 for int8/int4, 128 for uint8)
//
// Widening to contain 0 makes the real value 0 exactly representable — by
// q = z — which matters: zero padding, ReLU outputs and dropped weights are
// all exactly 0 and must stay so. A range of width 0 (a tensor of zeros) gets
// s = 1, z = the middle, so every value still round-trips.
//
// Integer types and their ranges [q_min, q_max]:
//   int8  [−128, 127]   narrow range: [−127, 127]  (symmetric weights: −q is representable for every q)
//   uint8 [0, 255]      narrow range: [1, 255]
//   int4  [−8, 7]       narrow range: [−7, 7]      (held one value per int8 element here)
//
// Per tensor: one (s, z) for the whole tensor. Per channel: one (s, z) for each
// index along `axis` — for a Linear weight (out, in), axis 0 gives every output
// neuron its own scale, so a row of small weights is not crushed by a row of big ones.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tinytorch/core/dtype.hpp"

namespace tinytorch {

enum class QDType { Int8, UInt8, Int4 };
enum class QScheme { Affine, Symmetric };

struct QuantRange {
  int32_t min = 0;
  int32_t max = 0;
};

// [q_min, q_max] of `dtype` (narrow: the lowest value is left out, see above).
QuantRange quant_range(QDType dtype, bool narrow_range = false);
// The tensor dtype that holds quantized values: Int8 for int8 and int4, UInt8 for uint8.
DType storage_dtype(QDType dtype);
// Names used in messages, configs and files: "int8", "uint8", "int4";
// "affine", "symmetric". parse_* throw ValueError listing the valid names.
std::string to_string(QDType dtype);
std::string to_string(QScheme scheme);
QDType parse_qdtype(const std::string& name);
QScheme parse_qscheme(const std::string& name);

// What kind of quantization to apply; the observers turn it, plus the range
// they saw, into QParams.
struct QuantSpec {
  QDType dtype = QDType::Int8;
  QScheme scheme = QScheme::Affine;
  bool narrow_range = false;
  bool per_channel = false;
  int64_t axis = 0;  // the channel axis when per_channel
  friend bool operator==(const QuantSpec&, const QuantSpec&) = default;
};

// The parameters of (1)–(2). Per tensor: scale and zero_point hold one value
// and axis is -1. Per channel: one value per index along `axis`.
struct QParams {
  QDType dtype = QDType::Int8;
  QScheme scheme = QScheme::Affine;
  bool narrow_range = false;
  int64_t axis = -1;
  std::vector<float> scale;
  std::vector<int32_t> zero_point;

  bool per_channel() const { return axis >= 0; }
  int64_t channels() const { return static_cast<int64_t>(scale.size()); }
  QuantRange range() const { return quant_range(dtype, narrow_range); }
  // "int8 affine per-tensor scale=0.0314 zero_point=-128", "int8 symmetric per-channel(axis 0, 256 channels)"
  std::string to_string() const;
  friend bool operator==(const QParams&, const QParams&) = default;
};

// (3)/(4) for one range. min ≤ max and both finite (ValueError otherwise).
QParams choose_qparams(float min, float max, const QuantSpec& spec);
// (3)/(4) for each channel: mins[c], maxs[c] is channel c's range along spec.axis.
QParams choose_qparams_per_channel(const std::vector<float>& mins, const std::vector<float>& maxs,
                                   const QuantSpec& spec);

}  // namespace tinytorch
