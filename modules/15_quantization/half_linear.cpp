// half_linear.cpp — Module 15: HalfLinear, y = x · f32(W16)ᵀ + b with FP16 or BF16 weights (see half_linear.hpp).
//
//   y[m, n] = Σ_k x[m, k] · f32(W16[n, k]) + b[n]          x:(M,K) W16:(N,K) -> y:(M,N)      (1)
//
// Rounding the weights is half_precision.hpp's job (to_float16 / to_bfloat16,
// round to nearest even); this file adds the FP16 overflow check, the reference
// kernel — (1) in the order k = 0, 1, …, K − 1, the bias last — and the layer,
// whose forward() is the driver of weight_only_matmul.hpp: the fused kernels of
// half_linear_avx2.cpp / half_linear_avx512.cpp for a few rows, and for more rows
// blocks of W16 widened by half_precision's array kernels and multiplied by sgemm.
#include "tinytorch/perf/half_linear.hpp"

#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "tinytorch/core/error.hpp"
#include "tinytorch/perf/half_precision.hpp"
#include "tinytorch/perf/weight_only_matmul.hpp"
#include "tinytorch/profiling/flops.hpp"

namespace tinytorch {

namespace {

void check_format(DType format, const char* operation) {
  if (format != DType::Float16 && format != DType::BFloat16) {
    throw ValueError(fmt::format("{}: weight format {}; expected float16 or bfloat16", operation, dtype_name(format)));
  }
}

// f32(w16) by the scalar reference of half_precision.hpp.
[[maybe_unused]] float widen_ref(uint16_t bits, DType format) {
  return format == DType::BFloat16 ? bfloat16_bits_to_float32(bits) : float16_bits_to_float32(bits);
}

}  // namespace

// ---- the reference kernel --------------------------------------------------------------------

// x:(M,K) W16:(N,K) -> y:(M,N)
void half_linear_ref(const float* x, int64_t rows, const uint16_t* w16, DType format, int64_t out_features,
                     int64_t in_features, const float* bias, float* y) {
  check_format(format, "half_linear_ref");
  // BEGIN SOLUTION
  const int64_t N = out_features;
  const int64_t K = in_features;
  for (int64_t m = 0; m < rows; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      float sum = 0.0f;
      for (int64_t k = 0; k < K; ++k) sum += x[m * K + k] * widen_ref(w16[n * K + k], format);
      if (bias != nullptr) sum += bias[n];
      y[m * N + n] = sum;
    }
  }
  // END SOLUTION
}

HalfLinearKernel half_linear_kernel(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Avx512Vnni: return half_linear_avx512;
    case KernelIsa::Avx2: return half_linear_avx2;
    case KernelIsa::Scalar: break;
  }
  return half_linear_ref;
}

const char* half_linear_kernel_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Avx512Vnni: return "half_avx512";
    case KernelIsa::Avx2: return "half_avx2";
    case KernelIsa::Scalar: break;
  }
  return "half_ref";
}

// ---- the layer -------------------------------------------------------------------------------------

namespace {

void register_profiler_rows() {
  static const bool registered = [] {
    register_layer_counter<HalfLinear>([](const HalfLinear& layer, const Shape& input_shape, const Shape&) {
      return count_linear(input_shape, layer.in_features(), layer.out_features(), layer.has_bias());
    });
    return true;
  }();
  (void)registered;
}

// W rounded to `format`. FP16 turns |w| > 65504 (more precisely >= 65520, which rounds up)
// into Inf: refused, naming the first such weight. NaN / Inf weights are refused in both formats.
Tensor round_weight(const Tensor& weight, DType format) {
  constexpr const char* operation = "HalfLinear";
  check_format(format, operation);
  const Tensor values = weight.contiguous();
  const float* w = values.data<float>();
  const int64_t K = weight.size(1);
  for (int64_t i = 0; i < values.numel(); ++i) {
    if (!std::isfinite(w[i])) {
      throw ValueError(fmt::format("{}: weight[{}, {}] is {}; expected finite weights", operation, i / K, i % K, w[i]));
    }
  }
  Tensor rounded = format == DType::Float16 ? to_float16(values) : to_bfloat16(values);
  const uint16_t* bits = rounded.data<uint16_t>();
  for (int64_t i = 0; i < rounded.numel(); ++i) {
    if (format == DType::Float16 && !std::isfinite(float16_bits_to_float32(bits[i]))) {
      throw ValueError(fmt::format("{}: weight[{}, {}] = {} overflows float16 (largest finite 65504); use "
                                   "bfloat16, which has float32's range",
                                   operation, i / K, i % K, w[i]));
    }
  }
  return rounded;
}

}  // namespace

HalfLinear::HalfLinear(const Linear& layer, DType format)
    : in_features_(layer.in_features()), out_features_(layer.out_features()), has_bias_(layer.has_bias()) {
  register_profiler_rows();
  register_buffer("weight", round_weight(layer.weight().detach(), format));
  if (has_bias_) register_buffer("bias", layer.bias().detach().clone());  // a copy: the FP32 model stays independent
  copy_mode_from(layer);
}

HalfLinear::HalfLinear(Tensor weight16, Tensor bias) {
  constexpr const char* operation = "HalfLinear(weight16, bias)";
  if (!weight16.defined()) throw ValueError(fmt::format("{}: the weight is undefined", operation));
  if (weight16.dtype() != DType::Float16 && weight16.dtype() != DType::BFloat16) {
    throw DTypeError(fmt::format("{}: weight is {} {}; expected float16 or bfloat16 (out_features, in_features)",
                                 operation, dtype_name(weight16.dtype()), shape_str(weight16.shape())));
  }
  if (weight16.dim() != 2 || weight16.size(0) < 1 || weight16.size(1) < 1) {
    throw ShapeError(fmt::format("{}: weight is {}; expected (out_features, in_features) with both >= 1", operation,
                                 shape_str(weight16.shape())));
  }
  out_features_ = weight16.size(0);
  in_features_ = weight16.size(1);
  if (bias.defined()) {
    if (bias.dtype() != DType::Float32) {
      throw DTypeError(fmt::format("{}: bias is {}; expected float32", operation, dtype_name(bias.dtype())));
    }
    if (bias.shape() != Shape{out_features_}) {
      throw ShapeError(fmt::format("{}: bias is {}; expected ({}) = (out_features)", operation,
                                   shape_str(bias.shape()), out_features_));
    }
  }
  has_bias_ = bias.defined();
  register_profiler_rows();
  register_buffer("weight", weight16.contiguous());
  if (has_bias_) register_buffer("bias", bias.contiguous());
}

std::shared_ptr<Module> HalfLinear::clone() const {
  auto layer = std::make_shared<HalfLinear>(weight16().clone(), has_bias_ ? bias().clone() : Tensor());
  layer->kernel_isa_ = kernel_isa_;
  layer->copy_mode_from(*this);
  return layer;
}

DType HalfLinear::format() const { return weight16().dtype(); }

Tensor HalfLinear::bias() const { return has_bias_ ? buffer("bias") : Tensor(); }

Tensor HalfLinear::dequantized_weight() const { return half_to_float32(weight16()); }

void HalfLinear::set_kernel_isa(std::optional<KernelIsa> isa) {
  if (isa.has_value() && !kernel_isa_supported(*isa)) {
    throw ValueError(fmt::format("HalfLinear::set_kernel_isa: path {} was asked for, but this CPU (or build) does "
                                 "not support it; check kernel_isa_supported() first",
                                 kernel_isa_name(*isa)));
  }
  kernel_isa_ = isa;
}

Tensor HalfLinear::forward(const Tensor& x) {
  const KernelIsa isa = kernel_isa_.value_or(active_kernel_isa());
  const HalfLinearKernel kernel = half_linear_kernel(isa);
  const DType weight_format = format();
  const HalfToFloat32Kernel widen_rows = weight_format == DType::BFloat16 ? half_kernels_for(isa).from_bfloat16
                                                                          : half_kernels_for(isa).from_float16;
  const Tensor weight = weight16();
  const uint16_t* w16 = weight.data<uint16_t>();
  const int64_t N = out_features_;
  const int64_t K = in_features_;
  const WeightOnlyOperand operand{
      N, K,
      [=](const float* input, int64_t rows, const float* bias, float* y) {
        kernel(input, rows, w16, weight_format, N, K, bias, y);
      },
      // The rows [n_begin, n_end) of W16 are contiguous: one call of the array widening kernel.
      [=](int64_t n_begin, int64_t n_end, float* w_rows) { widen_rows(w16 + n_begin * K, (n_end - n_begin) * K, w_rows); }};
  return weight_only_forward(x, operand, bias(), "HalfLinear::forward");
}

std::string HalfLinear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, weights {}", in_features_, out_features_,
                     dtype_name(format()));
}

// FP32: 4 bytes per weight and bias; this layer: its buffers (2 bytes per weight, the float32 bias).
MemoryUsage HalfLinear::memory_usage() const {
  MemoryUsage usage;
  usage.original_bytes = 4 * in_features_ * out_features_ + (has_bias_ ? 4 * out_features_ : 0);
  for (const Tensor& stored : buffers()) usage.quantized_bytes += static_cast<int64_t>(stored.nbytes());
  usage.ratio = static_cast<double>(usage.original_bytes) / static_cast<double>(usage.quantized_bytes);
  return usage;
}

}  // namespace tinytorch
