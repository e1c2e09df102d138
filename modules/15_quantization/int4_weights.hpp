// int4_weights.hpp — Module 15: 4-bit weights, one scale per group, two values per byte.
//
// At 4 bits a weight has 16 levels; one scale per output channel (int8's choice)
// is no longer enough — one large weight in a row of 784 would flatten every
// other weight of the row to 0 or ±1. So the row is cut into groups of
// `group_size` consecutive inputs (32, 64 or 128; GPTQ, AWQ and llama.cpp's
// Q4_0 do the same), and each group gets its own symmetric scale:
//
//   s[n, g] = fp16( max_{k in group g} |W[n, k]| / 7 )           (a group of zeros: s = 1)   (1)
//   q[n, k] = clamp( round(W[n, k] / s[n, g]), −7, 7 )           round half to even          (2)
//   Ŵ[n, k] = s[n, g] · q[n, k]                                                              (3)
//
// Narrow range [−7, 7] keeps the grid symmetric around 0 (zero point 0, so 0
// stays exactly 0 and −q exists for every q). The scale is rounded to float16
// (half_precision.hpp, round to nearest even) BEFORE (2) divides by it: the file
// stores 16-bit scales, and the rounding (2) does must use the scale the kernel
// will really multiply by, or the stored grid would not be the one chosen. The
// clamp in (2) is there for that rounding too (a scale rounded down can put
// |W|/s a hair above 7). The last group of a row is shorter when in_features is
// not a multiple of group_size (784 = 24·32 + 16).
//
// Storage: q + 8 (0..15) in a nibble, two per byte; byte j of row n holds
// k = 2j in its low nibble and k = 2j + 1 in its high nibble; an odd
// in_features leaves the last high nibble 0. Rows start on a byte boundary.
//
//   bits per weight = 4 + 16 / group_size    (4.5 at g = 32, 4.125 at g = 128)
//   the 784x256 layer: 100,352 bytes of nibbles + 12,800 bytes of scales (g = 32)
//                      against 802,816 bytes in float32 -> 14.1 %
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

struct Int4GroupedWeights {
  int64_t out_features = 0;  // N
  int64_t in_features = 0;   // K
  int64_t group_size = 0;
  std::vector<uint8_t> packed;   // (N, bytes_per_row()): nibble q + 8, see above
  std::vector<uint16_t> scales;  // (N, groups_per_row()): float16 bits of s[n, g]

  int64_t bytes_per_row() const { return (in_features + 1) / 2; }
  int64_t groups_per_row() const { return (in_features + group_size - 1) / group_size; }
  // q[n, k] in [−7, 7], unpacked from its nibble. IndexError outside (N, K).
  int32_t value(int64_t n, int64_t k) const;
  // s[n, g] as float32 (exact: float16 -> float32). IndexError outside (N, groups_per_row()).
  float scale(int64_t n, int64_t group) const;
  // What the layer stores: packed.size() + 2 · scales.size().
  int64_t bytes() const;
  // 8 · bytes() / (N · K): 4.5 for group 32 on a multiple-of-32 K.
  double bits_per_weight() const;
};

// group_size must be a multiple of 16, at least 16 (ValueError naming it otherwise).
void check_int4_group_size(int64_t group_size, const std::string& operation);

// weight: float32 (N, K) -> (1)–(2), packed. DTypeError / ShapeError for other inputs,
// ValueError for a NaN or Inf weight (naming the element) or a bad group size.
Int4GroupedWeights quantize_int4_grouped(const Tensor& weight, int64_t group_size);
// (3): float32 (N, K).
Tensor dequantize_int4_grouped(const Int4GroupedWeights& weights);
// (3) for the rows [n_begin, n_end) only, into out:(n_end − n_begin, K) float32 row-major: the
// reference of the weight converters of int4_linear.hpp (and what dequantize_int4_grouped runs).
void dequantize_int4_rows_ref(const Int4GroupedWeights& weights, int64_t n_begin, int64_t n_end, float* out);

// For quantization-aware training: (3)(2)(1) in one differentiable operation,
// float32 (N, K) -> float32 (N, K) holding only values of the int4 grid. The
// backward pass is the straight-through estimator of fake_quantize.hpp, masked
// where the clamp in (2) was active: dL/dW = dL/dŴ · 1[ −7 ≤ round(W / s) ≤ 7 ].
// The scales are recomputed from W at every call, as the weights move.
Tensor fake_quantize_int4_grouped(const Tensor& weight, int64_t group_size);

}  // namespace tinytorch
