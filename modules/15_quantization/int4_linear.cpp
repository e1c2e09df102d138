// int4_linear.cpp — Module 15: Int4Linear, y = x Ŵᵀ + b with 4-bit weights dequantized inside the kernel.
//
//   y[m, n] = Σ_k x[m, k] · Ŵ[n, k] + b[n],   Ŵ[n, k] = s[n, g(k)] · q[n, k]           x:(M,K) -> y:(M,N)   (1)
//
// The reference kernel below is (1) as written: widen a row of weights, then
// multiply and add in the order k = 0, 1, …, K − 1, the bias last. s · q is exact in float32 (s has
// 11 significant bits, q at most 3), so the only rounding is the sum's. The fast
// paths (int4_linear_avx2.cpp, int4_linear_avx512.cpp) compute the same products
// in another order; forward() hands them to the driver of weight_only_matmul.hpp,
// which runs them for a few rows and converts blocks of Ŵ for sgemm otherwise.
#include "tinytorch/perf/int4_linear.hpp"

#include <algorithm>
#include <cmath>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "tinytorch/core/error.hpp"
#include "tinytorch/perf/half_precision.hpp"
#include "tinytorch/perf/weight_only_matmul.hpp"
#include "tinytorch/profiling/flops.hpp"

namespace tinytorch {

// ---- the reference kernel --------------------------------------------------------------------

// x:(M,K) q:(N,K) s:(N,groups) -> y:(M,N). Each weight row is widened by (3) once
// (dequantize_int4_rows_ref) and then used by every row of x.
void int4_linear_ref(const float* x, int64_t rows, const Int4GroupedWeights& weights, const float* bias, float* y) {
  const int64_t N = weights.out_features;
  const int64_t K = weights.in_features;
  std::vector<float> weight_row(static_cast<std::size_t>(K));  // Ŵ[n, :]
  for (int64_t n = 0; n < N; ++n) {
    dequantize_int4_rows_ref(weights, n, n + 1, weight_row.data());
    for (int64_t m = 0; m < rows; ++m) {
      float sum = 0.0f;
      // BEGIN SOLUTION
      for (int64_t k = 0; k < K; ++k) sum += x[m * K + k] * weight_row[static_cast<std::size_t>(k)];
      if (bias != nullptr) sum += bias[n];
      // END SOLUTION
      y[m * N + n] = sum;
    }
  }
}

// ---- the SIMD kernels' input layout ---------------------------------------------------------------

namespace {
thread_local std::vector<float> split_input_scratch;  // per row of x: x_even then x_odd, padded
}  // namespace

// x_even[m, j] = x[m, 2j], x_odd[m, j] = x[m, 2j + 1], 0 where 2j (+1) ≥ K.
const float* split_even_odd_rows(const float* x, int64_t rows, int64_t K, int64_t padded) {
  if (static_cast<int64_t>(split_input_scratch.size()) < rows * 2 * padded) {
    split_input_scratch.resize(static_cast<std::size_t>(rows * 2 * padded));
  }
  float* split = split_input_scratch.data();
  for (int64_t m = 0; m < rows; ++m) {
    float* even = split + m * 2 * padded;
    float* odd = even + padded;
    for (int64_t j = 0; j < padded; ++j) {
      even[j] = 2 * j < K ? x[m * K + 2 * j] : 0.0f;
      odd[j] = 2 * j + 1 < K ? x[m * K + 2 * j + 1] : 0.0f;
    }
  }
  return split;
}

// ---- dispatch ------------------------------------------------------------------------------------

Int4LinearKernel int4_linear_kernel(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Avx512Vnni: return int4_linear_avx512;
    case KernelIsa::Avx2: return int4_linear_avx2;
    case KernelIsa::Scalar: break;
  }
  return int4_linear_ref;
}

const char* int4_linear_kernel_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Avx512Vnni: return "int4_avx512";
    case KernelIsa::Avx2: return "int4_avx2";
    case KernelIsa::Scalar: break;
  }
  return "int4_ref";
}

namespace {

using Int4RowsConverter = void (*)(const Int4GroupedWeights&, int64_t, int64_t, float*);

Int4RowsConverter int4_rows_converter(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Avx512Vnni: return dequantize_int4_rows_avx512;
    case KernelIsa::Avx2: return dequantize_int4_rows_avx2;
    case KernelIsa::Scalar: break;
  }
  return dequantize_int4_rows_ref;
}

// The profiler (flops.hpp) counts an Int4Linear as the Linear it computes; its stored
// bytes are its buffers (the default). Once, from the constructors.
void register_profiler_rows() {
  static const bool registered = [] {
    register_layer_counter<Int4Linear>([](const Int4Linear& layer, const Shape& input_shape, const Shape&) {
      return count_linear(input_shape, layer.in_features(), layer.out_features(), layer.has_bias());
    });
    return true;
  }();
  (void)registered;
}

// The parts read from a file: sizes consistent with (N, K, group size), nibbles and scales valid.
void check_parts(const Int4Linear::Parts& parts) {
  constexpr const char* operation = "Int4Linear(parts)";
  const Int4GroupedWeights& w = parts.weight;
  if (w.out_features < 1 || w.in_features < 1) {
    throw ShapeError(fmt::format("{}: weight is ({}, {}); expected out_features and in_features >= 1", operation,
                                 w.out_features, w.in_features));
  }
  check_int4_group_size(w.group_size, operation);
  if (static_cast<int64_t>(w.packed.size()) != w.out_features * w.bytes_per_row()) {
    throw ShapeError(fmt::format("{}: weight holds {} bytes; expected {} = {} rows x {} bytes (two nibbles per byte)",
                                 operation, w.packed.size(), w.out_features * w.bytes_per_row(), w.out_features,
                                 w.bytes_per_row()));
  }
  if (static_cast<int64_t>(w.scales.size()) != w.out_features * w.groups_per_row()) {
    throw ShapeError(fmt::format("{}: weight_scale holds {} scales; expected {} = {} rows x {} groups of {}",
                                 operation, w.scales.size(), w.out_features * w.groups_per_row(), w.out_features,
                                 w.groups_per_row(), w.group_size));
  }
  for (std::size_t i = 0; i < w.scales.size(); ++i) {
    const float scale = float16_bits_to_float32(w.scales[i]);
    if (!(scale > 0.0f) || !std::isfinite(scale)) {
      throw ValueError(fmt::format("{}: weight_scale element {} is {}; expected a finite float16 scale > 0",
                                   operation, i, scale));
    }
  }
  for (int64_t n = 0; n < w.out_features; ++n) {
    for (int64_t k = 0; k < w.in_features; ++k) {
      if (w.value(n, k) < -7) {
        throw ValueError(fmt::format("{}: weight[{}, {}] holds nibble 0 (q = -8); expected q in [-7, 7]", operation,
                                     n, k));
      }
    }
  }
  if (parts.bias.defined()) {
    if (parts.bias.dtype() != DType::Float32) {
      throw DTypeError(fmt::format("{}: bias is {}; expected float32", operation, dtype_name(parts.bias.dtype())));
    }
    if (parts.bias.shape() != Shape{w.out_features}) {
      throw ShapeError(fmt::format("{}: bias is {}; expected ({}) = (out_features)", operation,
                                   shape_str(parts.bias.shape()), w.out_features));
    }
  }
}

}  // namespace

// ---- the layer -------------------------------------------------------------------------------------

Int4Linear::Int4Linear(const Linear& layer, int64_t group_size)
    : weights_(quantize_int4_grouped(layer.weight().detach(), group_size)) {
  register_profiler_rows();
  if (layer.has_bias()) bias_ = layer.bias().detach().clone();  // a copy: the FP32 model stays independent
  register_buffers();
  copy_mode_from(layer);
}

Int4Linear::Int4Linear(Parts parts) {
  check_parts(parts);
  register_profiler_rows();
  weights_ = std::move(parts.weight);
  if (parts.bias.defined()) bias_ = parts.bias.contiguous();
  register_buffers();
}

// weight uint8 (N, ceil(K/2)), weight_scale float16 (N, groups), bias float32 (N): copies of
// weights_ as tensors, for named_buffers() and the model files.
void Int4Linear::register_buffers() {
  const int64_t N = weights_.out_features;
  Tensor packed = Tensor::empty({N, weights_.bytes_per_row()}, DType::UInt8);
  std::copy(weights_.packed.begin(), weights_.packed.end(), packed.data<uint8_t>());
  Tensor scales = Tensor::empty({N, weights_.groups_per_row()}, DType::Float16);
  std::copy(weights_.scales.begin(), weights_.scales.end(), scales.data<uint16_t>());
  register_buffer("weight", std::move(packed));
  register_buffer("weight_scale", std::move(scales));
  if (bias_.defined()) register_buffer("bias", bias_);
}

Int4Linear::Parts Int4Linear::parts() const { return Parts{weights_, bias_}; }

std::shared_ptr<Module> Int4Linear::clone() const {
  auto layer = std::make_shared<Int4Linear>(Parts{weights_, bias_.defined() ? bias_.clone() : Tensor()});
  layer->kernel_isa_ = kernel_isa_;
  layer->copy_mode_from(*this);
  return layer;
}

void Int4Linear::set_kernel_isa(std::optional<KernelIsa> isa) {
  if (isa.has_value() && !kernel_isa_supported(*isa)) {
    throw ValueError(fmt::format("Int4Linear::set_kernel_isa: path {} was asked for, but this CPU (or build) does "
                                 "not support it; check kernel_isa_supported() first",
                                 kernel_isa_name(*isa)));
  }
  kernel_isa_ = isa;
}

Tensor Int4Linear::forward(const Tensor& x) {
  const KernelIsa isa = kernel_isa_.value_or(active_kernel_isa());
  const Int4LinearKernel kernel = int4_linear_kernel(isa);
  const Int4RowsConverter converter = int4_rows_converter(isa);
  const WeightOnlyOperand operand{
      weights_.out_features, weights_.in_features,
      [this, kernel](const float* input, int64_t rows, const float* bias, float* y) {
        kernel(input, rows, weights_, bias, y);
      },
      [this, converter](int64_t n_begin, int64_t n_end, float* w_rows) {
        converter(weights_, n_begin, n_end, w_rows);
      }};
  return weight_only_forward(x, operand, bias_, "Int4Linear::forward");
}

Tensor Int4Linear::dequantized_weight() const { return dequantize_int4_grouped(weights_); }

std::string Int4Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, int4 symmetric, group {}", in_features(), out_features(),
                     group_size());
}

// FP32: 4 bytes per weight and bias; INT4: the bytes of every buffer (nibbles, float16 scales, bias).
MemoryUsage Int4Linear::memory_usage() const {
  MemoryUsage usage;
  usage.original_bytes = 4 * in_features() * out_features() + (has_bias() ? 4 * out_features() : 0);
  for (const Tensor& stored : buffers()) usage.quantized_bytes += static_cast<int64_t>(stored.nbytes());
  usage.ratio = static_cast<double>(usage.original_bytes) / static_cast<double>(usage.quantized_bytes);
  return usage;
}

}  // namespace tinytorch
