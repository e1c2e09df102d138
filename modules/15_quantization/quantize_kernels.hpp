// quantize_kernels.hpp — Module 15: the activation side of the fast integer path, on raw float arrays.
//
// Before the int8 GEMM (gemm_u8s8s32.hpp) can run, a float32 input must become
// uint8. Two kernels do that, each a scalar reference (the specification) with
// AVX2 and AVX-512 twins that give the same bytes:
//
//   quantize   q[i] = clamp( round_half_even(x[i] / s) + z, q_min, q_max )      (1) of quantize.hpp
//   min / max  lo = min_i x[i], hi = max_i x[i]       the range of dynamic mode's per-batch (s, z)
//
// (1) is written exactly as quantize.cpp's quantize_into writes it — a true
// division x / s (not a multiply by 1/s, which rounds differently), IEEE
// round-half-to-even, the clamp in float — so these kernels and quantize()
// agree bit for bit. IEEE division and rounding are exact operations, so the
// SIMD lanes agree with the loop too.
//
// Non-finite input. NaN and ±Inf have no quantized value. Both kernels notice
// them in the pass they make anyway (AVX-512: one fpclass per 16 values) and
// say so in their result; the caller then raises the error (check_finite names
// the first bad element). No separate checking pass over the input is needed.
//
// The GEMM takes uint8 activations only. int8 and int4 activations are moved
// there by +128 — values, zero point and range alike, (q + 128) − (z + 128) = q − z
// (integer_matmul.hpp) — which uint8_quant_params() does to the parameters, so
// these kernels always write uint8.
#pragma once
#include <cstdint>

#include "tinytorch/perf/gemm_u8s8s32.hpp"
#include "tinytorch/perf/qparams.hpp"

namespace tinytorch {

// (s, z, q_min, q_max) of (1) in the uint8 domain: z, q_min, q_max in [0, 255].
struct Uint8QuantParams {
  float scale = 1.0f;
  int32_t zero_point = 0;
  int32_t q_min = 0;
  int32_t q_max = 255;
};
// Per-tensor uint8/int8/int4 parameters -> the same real grid on uint8 (int8/int4 shifted by +128).
Uint8QuantParams uint8_quant_params(const QParams& params);

// The range of a float array, and whether every value in it was finite.
struct FloatRange {
  float min = 0.0f;
  float max = 0.0f;
  bool all_finite = true;  // false: min and max are meaningless
};

// ---- the kernels: x:(n) float32 -> q:(n) uint8 ------------------------------------------------
// (1) for every element. Returns false if some x[i] is NaN or ±Inf (its q[i] is then unspecified).
bool quantize_f32_u8_ref(const float* x, int64_t n, const Uint8QuantParams& params, uint8_t* q);
bool quantize_f32_u8_avx2(const float* x, int64_t n, const Uint8QuantParams& params, uint8_t* q);    // 8 lanes
bool quantize_f32_u8_avx512(const float* x, int64_t n, const Uint8QuantParams& params, uint8_t* q);  // 16 lanes

// min and max of x:(n), n >= 1; a zero result is +0 (never −0), so all paths agree to the bit.
FloatRange minmax_f32_ref(const float* x, int64_t n);
FloatRange minmax_f32_avx2(const float* x, int64_t n);
FloatRange minmax_f32_avx512(const float* x, int64_t n);

// ---- dispatch ----------------------------------------------------------------------------------
using QuantizeF32U8Kernel = bool (*)(const float*, int64_t, const Uint8QuantParams&, uint8_t*);
using MinMaxF32Kernel = FloatRange (*)(const float*, int64_t);
struct QuantizeKernels {
  QuantizeF32U8Kernel quantize = nullptr;
  MinMaxF32Kernel minmax = nullptr;
  const char* name = "";  // "avx512", "avx2" or "ref"
};
// The kernels of one path (call a SIMD one only when the CPU has that ISA:
// kernel_isa_supported() of gemm_u8s8s32.hpp). Tests use it to force each path.
QuantizeKernels quantize_kernels_for(KernelIsa isa);
// The kernels of the path the GEMM runs on (TINYTORCH_ISA narrows both alike), chosen once.
const QuantizeKernels& quantize_kernels();

}  // namespace tinytorch
