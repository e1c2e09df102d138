// quantize.cpp — Module 15: quantize and dequantize tensors (see quantize.hpp).
#include "tinytorch/perf/quantize.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tinytorch/core/error.hpp"

namespace tinytorch {

namespace {

// Checks that `params` fit a tensor of `shape` (quantize and dequantize need it).
void check_params_fit(const Shape& shape, const QParams& params, const char* operation) {
  if (params.scale.empty() || params.scale.size() != params.zero_point.size()) {
    throw ValueError(fmt::format("{}: {} scales and {} zero points; expected the same number, at least one", operation,
                                 params.scale.size(), params.zero_point.size()));
  }
  for (float s : params.scale) {
    if (!(s > 0.0f) || !std::isfinite(s)) {
      throw ValueError(fmt::format("{}: scale {}; expected a finite scale > 0", operation, s));
    }
  }
  if (!params.per_channel()) {
    if (params.scale.size() != 1) {
      throw ValueError(fmt::format("{}: per-tensor parameters with {} scales; expected 1", operation,
                                   params.scale.size()));
    }
    return;
  }
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (params.axis >= rank || shape[static_cast<std::size_t>(params.axis)] != params.channels()) {
    throw ShapeError(fmt::format("{}: per-channel parameters for {} channels along axis {} do not fit a tensor of "
                                 "shape {}; expected size({}) == {}",
                                 operation, params.channels(), params.axis, shape_str(shape), params.axis,
                                 params.channels()));
  }
}

// (1): q = clamp(round(x / s) + z, q_min, q_max) for a whole contiguous tensor of `shape`, written to T.
template <typename T>
void quantize_into(const float* x, const Shape& shape, const QParams& params, T* q) {
  // BEGIN SOLUTION
  const QuantRange range = params.range();
  for_each_channel_run(shape, params.axis, [&](int64_t channel, int64_t begin, int64_t end) {
    const float scale = params.scale[static_cast<std::size_t>(channel)];
    const int32_t zero_point = params.zero_point[static_cast<std::size_t>(channel)];
    for (int64_t i = begin; i < end; ++i) {
      // nearbyint rounds half to even (the default rounding mode). The division is
      // clamped in float first, so a huge x / s cannot overflow the int conversion.
      const float steps = std::nearbyint(x[i] / scale);
      const float shifted = std::clamp(steps + static_cast<float>(zero_point), static_cast<float>(range.min),
                                       static_cast<float>(range.max));
      q[i] = static_cast<T>(shifted);
    }
  });
  // END SOLUTION
}

// (2): x̂ = s · (q − z).
template <typename T>
void dequantize_into(const T* q, const Shape& shape, const QParams& params, float* x) {
  // BEGIN SOLUTION
  for_each_channel_run(shape, params.axis, [&](int64_t channel, int64_t begin, int64_t end) {
    const float scale = params.scale[static_cast<std::size_t>(channel)];
    const int32_t zero_point = params.zero_point[static_cast<std::size_t>(channel)];
    for (int64_t i = begin; i < end; ++i) {
      x[i] = scale * static_cast<float>(static_cast<int32_t>(q[i]) - zero_point);
    }
  });
  // END SOLUTION
}

void require_float32(const Tensor& x, const char* operation) {
  if (!x.defined()) throw ValueError(std::string(operation) + ": the tensor is undefined");
  if (x.dtype() != DType::Float32) {
    throw DTypeError(fmt::format("{}: input of dtype {}; expected float32", operation, dtype_name(x.dtype())));
  }
}

}  // namespace

void check_finite(const Tensor& x, const char* operation) {
  const Tensor values = x.contiguous();
  const float* data = values.data<float>();
  for (int64_t i = 0; i < values.numel(); ++i) {
    if (!std::isfinite(data[i])) {
      throw ValueError(fmt::format("{}: element {} of a tensor of shape {} is {}; expected finite values "
                                   "(NaN and Inf have no quantized value)",
                                   operation, i, shape_str(x.shape()), data[i]));
    }
  }
}

Tensor quantize(const Tensor& x, const QParams& params) {
  require_float32(x, "quantize");
  check_params_fit(x.shape(), params, "quantize");
  check_finite(x, "quantize");
  const Tensor input = x.contiguous();
  Tensor q = Tensor::empty(x.shape(), storage_dtype(params.dtype));
  if (params.dtype == QDType::UInt8) {
    quantize_into(input.data<float>(), input.shape(), params, q.data<uint8_t>());
  } else {
    quantize_into(input.data<float>(), input.shape(), params, q.data<int8_t>());
  }
  return q;
}

Tensor dequantize(const Tensor& q, const QParams& params) {
  if (!q.defined()) throw ValueError("dequantize: the tensor is undefined");
  if (q.dtype() != storage_dtype(params.dtype)) {
    throw DTypeError(fmt::format("dequantize: values of dtype {} for {} parameters; expected {}", dtype_name(q.dtype()),
                                 to_string(params.dtype), dtype_name(storage_dtype(params.dtype))));
  }
  check_params_fit(q.shape(), params, "dequantize");
  const Tensor values = q.contiguous();
  Tensor x = Tensor::empty(q.shape());
  if (params.dtype == QDType::UInt8) {
    dequantize_into(values.data<uint8_t>(), values.shape(), params, x.data<float>());
  } else {
    dequantize_into(values.data<int8_t>(), values.shape(), params, x.data<float>());
  }
  return x;
}

Tensor QuantizedTensor::dequantize() const { return tinytorch::dequantize(values, params); }

namespace {

// min and max of each channel along `axis` (the whole tensor when !per_channel).
void channel_ranges(const Tensor& x, const QuantSpec& spec, std::vector<float>& mins, std::vector<float>& maxs) {
  const Tensor values = x.contiguous();
  const float* data = values.data<float>();
  int64_t channels = 1;
  if (spec.per_channel) {
    if (spec.axis < 0 || spec.axis >= x.dim()) {
      throw ShapeError(fmt::format("quantize_tensor: per-channel axis {} for a tensor of shape {}; expected an axis "
                                   "in [0, {})",
                                   spec.axis, shape_str(x.shape()), x.dim()));
    }
    channels = x.size(spec.axis);
  }
  // BEGIN SOLUTION
  mins.assign(static_cast<std::size_t>(channels), 0.0f);
  maxs.assign(static_cast<std::size_t>(channels), 0.0f);
  std::vector<bool> seen(static_cast<std::size_t>(channels), false);
  for_each_channel_run(values.shape(), spec.per_channel ? spec.axis : -1,
                       [&](int64_t channel, int64_t begin, int64_t end) {
                         const auto c = static_cast<std::size_t>(channel);
                         if (!seen[c]) {
                           mins[c] = maxs[c] = data[begin];
                           seen[c] = true;
                         }
                         for (int64_t i = begin; i < end; ++i) {
                           mins[c] = std::min(mins[c], data[i]);
                           maxs[c] = std::max(maxs[c], data[i]);
                         }
                       });
  // END SOLUTION
}

}  // namespace

QuantizedTensor quantize_tensor(const Tensor& x, const QuantSpec& spec) {
  require_float32(x, "quantize_tensor");
  if (x.numel() == 0) {
    throw ShapeError("quantize_tensor: tensor of shape " + shape_str(x.shape()) + " is empty; expected values");
  }
  check_finite(x, "quantize_tensor");
  std::vector<float> mins;
  std::vector<float> maxs;
  channel_ranges(x, spec, mins, maxs);
  QuantizedTensor out;
  out.params = spec.per_channel ? choose_qparams_per_channel(mins, maxs, spec) : choose_qparams(mins[0], maxs[0], spec);
  out.values = quantize(x, out.params);
  return out;
}

// ---- the first version: int8, affine, per tensor ---------------------------------------

Int8Quantized quantize_int8(const Tensor& x) {
  // BEGIN SOLUTION
  const QuantizedTensor q = quantize_tensor(x, QuantSpec{QDType::Int8, QScheme::Affine, false, false, 0});
  return Int8Quantized{q.values, q.params.scale[0], q.params.zero_point[0]};
  // END SOLUTION
}

Tensor dequantize_int8(const Tensor& q, float scale, int32_t zero_point) {
  // BEGIN SOLUTION
  QParams params;
  params.dtype = QDType::Int8;
  params.scale = {scale};
  params.zero_point = {zero_point};
  return dequantize(q, params);
  // END SOLUTION
}

}  // namespace tinytorch
