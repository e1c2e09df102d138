// int4_linear.hpp — Module 15: a weight-only INT4 Linear, dequantized inside its kernel.
//
// Weight-only quantization shrinks what a layer stores and reads (int4_weights.hpp:
// 4.5 bits per weight at group 32, 14 % of float32) but keeps the activations and
// the arithmetic in float32:
//
//   y[m, n] = Σ_k x[m, k] · Ŵ[n, k] + b[n],   Ŵ[n, k] = s[n, g(k)] · q[n, k]        x:(M,K) -> y:(M,N)   (1)
//
// No calibration is needed (nothing about the activations is fixed), and no
// activation is rounded — which is why 4-bit weights lose so little accuracy.
// Ŵ is never stored: for a few rows the kernel unpacks nibbles and multiplies by
// the group's scale on the fly, in registers; for many rows a block of at most
// 512 KiB of Ŵ is converted for sgemm at a time (weight_only_matmul.hpp), so the
// float32 weights of a layer larger than that never exist in memory as a whole. The order of the sum is fixed per path (each path
// is tested against the scalar reference within a bound from the sum's size; the
// reference itself is tested against (1) computed in double).
//
// Buffers (Module::named_buffers(), the names quantized_model_io.hpp writes):
//   weight         uint8 (N, ceil(K/2))           the nibbles
//   weight_scale   float16 (N, ceil(K/group))     s[n, g]
//   bias           float32 (N)                    only when the layer has one
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/module.hpp"
#include "tinytorch/perf/gemm_u8s8s32.hpp"
#include "tinytorch/perf/int4_weights.hpp"
#include "tinytorch/perf/quantized_linear.hpp"

namespace tinytorch {

// ---- the kernels: x:(M,K) float32 row-major, y:(M,N) float32; bias may be null ----------------
void int4_linear_ref(const float* x, int64_t rows, const Int4GroupedWeights& weights, const float* bias, float* y);
// AVX2+FMA and AVX-512 paths (int4_linear_avx2.cpp / int4_linear_avx512.cpp); call only
// where kernel_isa_supported(KernelIsa::Avx2 / Avx512Vnni) is true.
void int4_linear_avx2(const float* x, int64_t rows, const Int4GroupedWeights& weights, const float* bias, float* y);
void int4_linear_avx512(const float* x, int64_t rows, const Int4GroupedWeights& weights, const float* bias, float* y);
// The path for `isa` (scalar -> ref, avx2 -> avx2, avx512vnni -> avx512); its name for reports.
// The block-conversion path of weight_only_matmul.hpp: rows [n_begin, n_end) of Ŵ as float32
// into out:(n_end − n_begin, K), equal to dequantize_int4_rows_ref (int4_weights.hpp) to the bit.
void dequantize_int4_rows_avx2(const Int4GroupedWeights& weights, int64_t n_begin, int64_t n_end, float* out);
void dequantize_int4_rows_avx512(const Int4GroupedWeights& weights, int64_t n_begin, int64_t n_end, float* out);
// The SIMD kernels read x split by parity, as the nibbles are packed (byte j holds k = 2j
// low, 2j + 1 high): x:(rows, K) -> per row x_even then x_odd, `padded` floats each, zero
// beyond K. The result lives in a thread-local buffer, valid until this thread's next call.
const float* split_even_odd_rows(const float* x, int64_t rows, int64_t K, int64_t padded);
using Int4LinearKernel = void (*)(const float*, int64_t, const Int4GroupedWeights&, const float*, float*);
Int4LinearKernel int4_linear_kernel(KernelIsa isa);
const char* int4_linear_kernel_name(KernelIsa isa);  // "int4_ref", "int4_avx2", "int4_avx512"

class Int4Linear : public Module {
 public:
  // Quantizes layer's weight by int4_weights.hpp (1)–(2); the bias stays float32.
  Int4Linear(const Linear& layer, int64_t group_size = 32);
  // The parts read back from a file: shapes and sizes are checked (ShapeError /
  // ValueError naming the part). bias: float32 (N) or undefined.
  struct Parts {
    Int4GroupedWeights weight;
    Tensor bias;
  };
  explicit Int4Linear(Parts parts);
  Parts parts() const;

  // x:(..., K) float32 -> (..., N) float32 by (1). ShapeError for a wrong last axis,
  // DTypeError for a non-float32 input.
  Tensor forward(const Tensor& x) override;
  // As QuantizedLinear::set_kernel_isa: unset = the active path; ValueError if the CPU lacks it.
  void set_kernel_isa(std::optional<KernelIsa> isa);

  std::string name() const override { return "Int4Linear"; }
  std::string extra_repr() const override;  // "in_features=784, out_features=256, int4 symmetric, group 32"
  std::shared_ptr<Module> clone() const override;

  int64_t in_features() const { return weights_.in_features; }
  int64_t out_features() const { return weights_.out_features; }
  int64_t group_size() const { return weights_.group_size; }
  bool has_bias() const { return bias_.defined(); }
  const Int4GroupedWeights& weights() const { return weights_; }
  Tensor dequantized_weight() const;  // float32 (N, K): (3) of int4_weights.hpp
  MemoryUsage memory_usage() const;   // float32 weight + bias against the buffers above

 private:
  void register_buffers();
  Int4GroupedWeights weights_;
  Tensor bias_;
  std::optional<KernelIsa> kernel_isa_;
};

}  // namespace tinytorch
