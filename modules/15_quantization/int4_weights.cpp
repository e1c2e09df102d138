// int4_weights.cpp — Module 15: per-group symmetric INT4 weights, packed two per byte (see int4_weights.hpp).
//
//   s[n, g] = fp16( max_{k in group g} |W[n, k]| / 7 )     (a group of zeros: s = 1)     (1)   group_scale_bits
//   q[n, k] = clamp( round(W[n, k] / s[n, g]), −7, 7 )     round half to even            (2)   round_to_grid
//   Ŵ[n, k] = s[n, g] · q[n, k]                                                           (3)   dequantize_int4_grouped
//
// The nibble of k sits in byte k / 2 of its row: the low nibble for an even k,
// the high nibble for an odd k, holding q + 8 (0..15; 0 itself is never written
// for a weight, since q ≥ −7, and marks the unused last nibble of an odd row).
//
// (3) is exact in float32: s has 11 significant bits and q at most 3, so s · q
// needs at most 14 — dequantize_int4_rows_ref and every kernel's converter agree to the bit.
//
// Two corner cases of (1) the header leaves open: a group whose max/7 is below
// float16's smallest subnormal (|W| < ~2e-7) would get s = 0; it gets 2^-24, the
// smallest positive float16, instead. A max/7 above 65504 (|W| > 458,528) would
// get s = Inf; that is refused with a ValueError.
//
// quantize_int4_grouped and fake_quantize_int4_grouped run the same two helpers,
// so the grid QAT trains on is exactly the one the Int4Linear kernels will use.
#include "tinytorch/perf/int4_weights.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/perf/half_precision.hpp"

namespace tinytorch {

namespace {

constexpr int32_t kInt4Max = 7;    // the narrow symmetric range [−7, 7]
constexpr int32_t kNibbleBias = 8;  // stored nibble = q + 8
constexpr uint16_t kFloat16One = 0x3C00;           // 1.0 in float16: the scale of an all-zero group
constexpr uint16_t kFloat16SmallestPositive = 0x0001;  // 2^-24, the smallest float16 subnormal

// (1) for the weights row[begin, end). A group whose max/7 is so small that it
// rounds to float16 zero (|W| below ~2e-7) gets the smallest positive float16
// instead, so (2) never divides by 0. A max/7 beyond float16's 65504 would make
// s = Inf and Ŵ = Inf · 0 = NaN: that is refused, naming the group.
[[maybe_unused]] uint16_t group_scale_bits(const float* row, int64_t begin, int64_t end, int64_t n, int64_t group,
                          const char* operation) {
  float max_abs = 0.0f;
  uint16_t scale_bits = 0;
  // BEGIN SOLUTION
  for (int64_t k = begin; k < end; ++k) max_abs = std::max(max_abs, std::fabs(row[k]));
  if (max_abs == 0.0f) return kFloat16One;
  scale_bits = float32_to_float16_bits(max_abs / static_cast<float>(kInt4Max));
  // END SOLUTION
  const float scale = float16_bits_to_float32(scale_bits);
  if (!std::isfinite(scale)) {
    throw ValueError(fmt::format("{}: group {} of row {} has max |w| = {}, whose scale max/7 overflows float16 "
                                 "(largest 65504); expected |w| <= {}",
                                 operation, group, n, max_abs, 65504.0 * kInt4Max));
  }
  if (scale == 0.0f) return kFloat16SmallestPositive;
  return scale_bits;
}

// round(w / s) of (2), before the clamp: half to even (nearbyint in the default rounding mode).
[[maybe_unused]] float unclamped_level(float weight, float scale) {
  // BEGIN SOLUTION
  return std::nearbyint(weight / scale);
  // END SOLUTION
}

// (2): the level in [−7, 7].
[[maybe_unused]] int32_t round_to_grid(float weight, float scale) {
  // BEGIN SOLUTION
  const float level = std::clamp(unclamped_level(weight, scale), static_cast<float>(-kInt4Max),
                                  static_cast<float>(kInt4Max));
  return static_cast<int32_t>(level);
  // END SOLUTION
}

// weight: float32 (N, K), finite. DTypeError / ShapeError / ValueError naming `operation`.
void check_weight(const Tensor& weight, int64_t group_size, const char* operation) {
  if (!weight.defined()) throw ValueError(fmt::format("{}: the weight is undefined", operation));
  if (weight.dtype() != DType::Float32) {
    throw DTypeError(fmt::format("{}: weight of dtype {} {}; expected float32 (out_features, in_features)", operation,
                                 dtype_name(weight.dtype()), shape_str(weight.shape())));
  }
  if (weight.dim() != 2 || weight.size(0) < 1 || weight.size(1) < 1) {
    throw ShapeError(fmt::format("{}: weight is {}; expected a 2-D (out_features, in_features) with both >= 1",
                                 operation, shape_str(weight.shape())));
  }
  check_int4_group_size(group_size, operation);
  const Tensor values = weight.contiguous();
  const float* data = values.data<float>();
  const int64_t in_features = weight.size(1);
  for (int64_t i = 0; i < values.numel(); ++i) {
    if (!std::isfinite(data[i])) {
      throw ValueError(fmt::format("{}: weight[{}, {}] of {} is {}; expected finite values (NaN and Inf have no "
                                   "int4 value)",
                                   operation, i / in_features, i % in_features, shape_str(weight.shape()), data[i]));
    }
  }
}

}  // namespace

// ---- the struct ----------------------------------------------------------------------------------

int32_t Int4GroupedWeights::value(int64_t n, int64_t k) const {
  if (n < 0 || n >= out_features || k < 0 || k >= in_features) {
    throw IndexError(fmt::format("Int4GroupedWeights::value: index ({}, {}) outside ({}, {})", n, k, out_features,
                                 in_features));
  }
  const uint8_t byte = packed[static_cast<std::size_t>(n * bytes_per_row() + k / 2)];
  const int32_t nibble = (k % 2 == 0) ? (byte & 0x0F) : (byte >> 4);
  return nibble - kNibbleBias;
}

float Int4GroupedWeights::scale(int64_t n, int64_t group) const {
  if (n < 0 || n >= out_features || group < 0 || group >= groups_per_row()) {
    throw IndexError(fmt::format("Int4GroupedWeights::scale: index ({}, {}) outside ({}, {}) = (out_features, "
                                 "groups per row)",
                                 n, group, out_features, groups_per_row()));
  }
  return float16_bits_to_float32(scales[static_cast<std::size_t>(n * groups_per_row() + group)]);
}

int64_t Int4GroupedWeights::bytes() const {
  return static_cast<int64_t>(packed.size()) + 2 * static_cast<int64_t>(scales.size());
}

double Int4GroupedWeights::bits_per_weight() const {
  return 8.0 * static_cast<double>(bytes()) / static_cast<double>(out_features * in_features);
}

void check_int4_group_size(int64_t group_size, const std::string& operation) {
  if (group_size < 16 || group_size % 16 != 0) {
    throw ValueError(fmt::format("{}: group_size {}; expected a multiple of 16, at least 16 (32, 64 or 128 are "
                                 "the usual choices)",
                                 operation, group_size));
  }
}

// ---- quantize / dequantize ---------------------------------------------------------------------------

Int4GroupedWeights quantize_int4_grouped(const Tensor& weight, int64_t group_size) {
  constexpr const char* operation = "quantize_int4_grouped";
  check_weight(weight, group_size, operation);
  Int4GroupedWeights result;
  result.out_features = weight.size(0);
  result.in_features = weight.size(1);
  result.group_size = group_size;
  result.packed.assign(static_cast<std::size_t>(result.out_features * result.bytes_per_row()), 0);
  result.scales.assign(static_cast<std::size_t>(result.out_features * result.groups_per_row()), 0);
  const Tensor values = weight.contiguous();
  // BEGIN SOLUTION
  const int64_t K = result.in_features;
  for (int64_t n = 0; n < result.out_features; ++n) {
    const float* row = values.data<float>() + n * K;
    uint8_t* packed_row = result.packed.data() + n * result.bytes_per_row();
    for (int64_t group = 0; group < result.groups_per_row(); ++group) {
      const int64_t begin = group * group_size;
      const int64_t end = std::min(begin + group_size, K);
      const uint16_t scale_bits = group_scale_bits(row, begin, end, n, group, operation);
      result.scales[static_cast<std::size_t>(n * result.groups_per_row() + group)] = scale_bits;
      const float scale = float16_bits_to_float32(scale_bits);  // the scale the kernel multiplies by
      for (int64_t k = begin; k < end; ++k) {
        const auto nibble = static_cast<uint8_t>(round_to_grid(row[k], scale) + kNibbleBias);
        packed_row[k / 2] |= (k % 2 == 0) ? nibble : static_cast<uint8_t>(nibble << 4);
      }
    }
  }
  // END SOLUTION
  return result;
}

void dequantize_int4_rows_ref(const Int4GroupedWeights& weights, int64_t n_begin, int64_t n_end, float* out) {
  // BEGIN SOLUTION
  const int64_t K = weights.in_features;
  for (int64_t n = n_begin; n < n_end; ++n) {
    const uint8_t* packed_row = weights.packed.data() + n * weights.bytes_per_row();
    const uint16_t* scale_row = weights.scales.data() + n * weights.groups_per_row();
    float* out_row = out + (n - n_begin) * K;
    for (int64_t k = 0; k < K; ++k) {
      const uint8_t byte = packed_row[k / 2];
      const int32_t q = ((k % 2 == 0) ? (byte & 0x0F) : (byte >> 4)) - kNibbleBias;
      out_row[k] = float16_bits_to_float32(scale_row[k / weights.group_size]) * static_cast<float>(q);  // (3), exact
    }
  }
  // END SOLUTION
}

Tensor dequantize_int4_grouped(const Int4GroupedWeights& weights) {
  Tensor result = Tensor::empty({weights.out_features, weights.in_features});
  dequantize_int4_rows_ref(weights, 0, weights.out_features, result.data<float>());
  return result;
}

// ---- fake quantization for QAT -------------------------------------------------------------------------

namespace {

// The STE of fake_quantize.hpp (2), with the clamp of (2) above as the range:
// dL/dW = dL/dŴ · 1[ −7 ≤ round(W / s) ≤ 7 ].
struct FakeQuantizeInt4GroupedBackward : Node {
  Tensor inside_range;  // 1 where the clamp did not act, else 0; the shape of W
  const char* name() const override { return "FakeQuantizeInt4GroupedBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {ops::mul(g, inside_range)};
    // END SOLUTION
  }
};

}  // namespace

Tensor fake_quantize_int4_grouped(const Tensor& weight, int64_t group_size) {
  constexpr const char* operation = "fake_quantize_int4_grouped";
  check_weight(weight, group_size, operation);
  const int64_t N = weight.size(0);
  const int64_t K = weight.size(1);
  const Tensor values = weight.contiguous();
  Tensor out = Tensor::empty({N, K});
  Tensor inside_range = Tensor::empty({N, K});
  // BEGIN SOLUTION
  float* fake = out.data<float>();
  float* inside = inside_range.data<float>();
  const int64_t groups = (K + group_size - 1) / group_size;
  for (int64_t n = 0; n < N; ++n) {
    const float* row = values.data<float>() + n * K;
    for (int64_t group = 0; group < groups; ++group) {
      const int64_t begin = group * group_size;
      const int64_t end = std::min(begin + group_size, K);
      const float scale = float16_bits_to_float32(group_scale_bits(row, begin, end, n, group, operation));
      for (int64_t k = begin; k < end; ++k) {
        const float level = unclamped_level(row[k], scale);
        fake[n * K + k] = scale * static_cast<float>(round_to_grid(row[k], scale));  // (3)(2)
        inside[n * K + k] = (level >= -kInt4Max && level <= kInt4Max) ? 1.0f : 0.0f;
      }
    }
  }
  // END SOLUTION
  if (auto node = record<FakeQuantizeInt4GroupedBackward>(out, weight)) node->inside_range = inside_range;
  return out;
}

}  // namespace tinytorch
