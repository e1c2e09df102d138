// half_linear.hpp — Module 15: weight-only FP16 / BF16 inference.
//
// The simplest way to halve a model: store every weight as a 16-bit float
// (half_precision.hpp) and widen it back to float32 just before multiplying.
// Activations, the sum and the bias stay float32:
//
//   y[m, n] = Σ_k x[m, k] · f32(W16[n, k]) + b[n]          x:(M,K) W16:(N,K) -> y:(M,N)      (1)
//
// The only error is the one rounding of each weight: relative 2^-11 for FP16
// (≈ 5e-4), 2^-8 for BF16 (≈ 4e-3) — far below what int8 costs, so accuracy is
// essentially that of FP32. FP16 can overflow (|w| > 65504 becomes Inf, refused
// here with a ValueError naming the weight) and flushes |w| < 6e-8 to 0; BF16 has
// float32's range and never overflows.
//
// As in int4_linear.hpp the float32 weights are never stored: for a few rows the
// kernel widens W16 in registers (F16C vcvtph2ps, or a 16-bit shift for BF16) and
// runs FMA on it; for many rows blocks of W16 are widened for sgemm
// (weight_only_matmul.hpp). Each path is tested against the scalar reference.
//
// Buffers (the names quantized_model_io.hpp writes):
//   weight   float16 or bfloat16 (N, K)
//   bias     float32 (N)            only when the layer has one
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tinytorch/core/dtype.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/module.hpp"
#include "tinytorch/perf/gemm_u8s8s32.hpp"
#include "tinytorch/perf/quantized_linear.hpp"

namespace tinytorch {

// ---- the kernels: x:(M,K) float32, w16:(N,K) 16-bit bits of `format`, y:(M,N); bias may be null ----
// format is DType::Float16 or DType::BFloat16 (ValueError otherwise).
void half_linear_ref(const float* x, int64_t rows, const uint16_t* w16, DType format, int64_t out_features,
                     int64_t in_features, const float* bias, float* y);
// AVX2+FMA+F16C / AVX-512 paths (half_linear_avx2.cpp / half_linear_avx512.cpp); call only
// where kernel_isa_supported(KernelIsa::Avx2 / Avx512Vnni) is true.
void half_linear_avx2(const float* x, int64_t rows, const uint16_t* w16, DType format, int64_t out_features,
                      int64_t in_features, const float* bias, float* y);
void half_linear_avx512(const float* x, int64_t rows, const uint16_t* w16, DType format, int64_t out_features,
                        int64_t in_features, const float* bias, float* y);
using HalfLinearKernel = void (*)(const float*, int64_t, const uint16_t*, DType, int64_t, int64_t, const float*,
                                  float*);
HalfLinearKernel half_linear_kernel(KernelIsa isa);
const char* half_linear_kernel_name(KernelIsa isa);  // "half_ref", "half_avx2", "half_avx512"

class HalfLinear : public Module {
 public:
  // Rounds layer's weight to `format` (DType::Float16 or DType::BFloat16; ValueError
  // otherwise, and for a weight that overflows FP16); the bias stays float32.
  HalfLinear(const Linear& layer, DType format);
  // From a file: weight Float16/BFloat16 (N, K), bias float32 (N) or undefined (checked).
  HalfLinear(Tensor weight16, Tensor bias);

  // x:(..., K) float32 -> (..., N) float32 by (1).
  Tensor forward(const Tensor& x) override;
  void set_kernel_isa(std::optional<KernelIsa> isa);

  std::string name() const override { return "HalfLinear"; }
  std::string extra_repr() const override;  // "in_features=784, out_features=256, weights bfloat16"
  std::shared_ptr<Module> clone() const override;

  DType format() const;  // Float16 or BFloat16
  int64_t in_features() const { return in_features_; }
  int64_t out_features() const { return out_features_; }
  bool has_bias() const { return has_bias_; }
  Tensor weight16() const { return buffer("weight"); }
  Tensor bias() const;  // undefined without a bias
  Tensor dequantized_weight() const;  // float32 (N, K), exact
  MemoryUsage memory_usage() const;

 private:
  int64_t in_features_ = 0;
  int64_t out_features_ = 0;
  bool has_bias_ = false;
  std::optional<KernelIsa> kernel_isa_;
};

}  // namespace tinytorch
