// quantize.hpp — Module 15: quantize and dequantize tensors.
//
//   q = clamp( round(x / s) + z, q_min, q_max )      (1)      x̂ = s · (q − z)      (2)
//
// with the parameters of qparams.hpp. Inside the range, the round trip
// x → q → x̂ is off by at most s/2 (one rounding); outside it, values clamp to
// the end of the range. A NaN or ±Inf input has no integer to go to: quantize
// throws ValueError naming the operation and the element's index.
//
// The two functions a TinyTorch student writes first use one fixed choice —
// int8, affine, one scale for the whole tensor:
//
//   auto [q, scale, zero_point] = quantize_int8(x);   // q: int8 tensor, same shape as x
//   Tensor x_hat = dequantize_int8(q, scale, zero_point);
//
//   scale = (max − min) / 255 over the range widened to contain 0,
//   zero_point = clamp(−128 − round(min / scale), −128, 127).
#pragma once
#include <cstdint>

#include "tinytorch/core/tensor.hpp"
#include "tinytorch/perf/qparams.hpp"

namespace tinytorch {

// A contiguous tensor of `shape` seen as (outer, channels, inner) around `axis`:
// element i belongs to channel (i / inner) % channels (axis < 0: the whole tensor
// is channel 0). Calls visit(channel, begin, end) for each run [begin, end) of
// consecutive elements of one channel, in order — so the per-channel loops of
// quantize, dequantize, the observers and fake_quantize pick up a channel's scale
// once per run instead of dividing for every element.
template <typename Visit>
void for_each_channel_run(const Shape& shape, int64_t axis, Visit&& visit) {
  int64_t numel = 1;
  for (int64_t size : shape) numel *= size;
  if (numel == 0) return;
  if (axis < 0) {
    visit(int64_t{0}, int64_t{0}, numel);
    return;
  }
  const int64_t channels = shape[static_cast<std::size_t>(axis)];
  int64_t inner = 1;
  for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < shape.size(); ++d) inner *= shape[d];
  int64_t begin = 0;
  while (begin < numel) {
    for (int64_t channel = 0; channel < channels; ++channel, begin += inner) visit(channel, begin, begin + inner);
  }
}

// ---- the first version: int8, affine, per tensor ---------------------------------
struct Int8Quantized {
  Tensor values;  // int8, the shape of the input
  float scale = 1.0f;
  int32_t zero_point = 0;
};

Int8Quantized quantize_int8(const Tensor& x);
Tensor dequantize_int8(const Tensor& q, float scale, int32_t zero_point);

// ---- the general form ---------------------------------------------------------------
// A quantized tensor: the integers and the parameters that give them meaning.
struct QuantizedTensor {
  Tensor values;  // storage_dtype(params.dtype)
  QParams params;
  Tensor dequantize() const;
};

// (1) with `params`: x float32 of any shape. Per-channel params need
// params.axis < x.dim() and params.channels() == x.size(axis) (ShapeError).
Tensor quantize(const Tensor& x, const QParams& params);
// (2): q of storage_dtype(params.dtype) -> float32 of the same shape.
Tensor dequantize(const Tensor& q, const QParams& params);
// Chooses QParams from x's own range (min-max, per channel when spec says so)
// and quantizes: the one-call form for weights.
QuantizedTensor quantize_tensor(const Tensor& x, const QuantSpec& spec);

// Throws ValueError naming `operation` and the first NaN/±Inf element's index.
void check_finite(const Tensor& x, const char* operation);

}  // namespace tinytorch
