// half_precision.hpp — Module 15: 16-bit floats, FP16 and BF16, and the conversions to and from float32.
//
// Halving the bits of a weight halves the memory it takes and the bandwidth
// needed to read it. Unlike int8 (quantize.hpp) a 16-bit float needs no scale
// or zero point: it is still a float, just with fewer exponent and/or mantissa bits.
//
//   format    bits: sign | exponent | mantissa   bias   largest finite        smallest normal   smallest subnormal  ulp at 1
//   float32         1    |    8     |   23       127    3.40e38               2^-126 ≈ 1.2e-38  2^-149 ≈ 1.4e-45   2^-23
//   float16         1    |    5     |   10        15    65504                 2^-14  ≈ 6.1e-5   2^-24  ≈ 6.0e-8    2^-10 ≈ 1e-3
//   bfloat16        1    |    8     |    7       127    3.39e38               2^-126 ≈ 1.2e-38  2^-133 ≈ 9.2e-41   2^-7 ≈ 8e-3
//
// A normal number is (−1)^sign · 1.mantissa · 2^(exponent − bias); exponent 0 holds
// ±0 and the subnormals 0.mantissa · 2^(1 − bias); the all-ones exponent holds ±Inf
// (mantissa 0) and NaN (mantissa ≠ 0; its top mantissa bit set = a quiet NaN).
//
// FP16 ("half", IEEE binary16) keeps 11 significant bits (≈ 3.3 decimal digits)
// but only 5 exponent bits: anything above 65504 overflows, and gradients or
// activations below 6e-8 vanish — FP16 training needs loss scaling for that reason.
//
// BF16 ("brain float") is simply the top 16 bits of a float32: the SAME 8-bit
// exponent, so the same range as float32 — nothing that fits in float32 overflows
// — paid for with only 8 significant bits (≈ 2.4 digits). Converting is cheap
// (bf16 -> fp32 is a 16-bit shift) and a model trained in float32 rarely needs
// any rescaling to run in BF16; that is why ML accelerators adopted it.
//
// Rounding float32 -> 16 bits is round-to-nearest, ties-to-even (RNE), like every
// IEEE operation. For BF16 it is one integer addition — the bias trick: with
// bits = the float's 32 bits and lsb = bit 16 (the last bit that survives),
//
//   bf16 = (bits + 0x7FFF + lsb) >> 16                                                          (1)
//
// The 16 dropped bits d round up iff d + 0x7FFF + lsb ≥ 0x10000: d > 0x8000 always,
// d = 0x8000 (a tie) only if lsb = 1 (an odd result, so up to the even one), never
// below. A carry out of the mantissa correctly bumps the exponent (and the largest
// finite values round to Inf). (1) would also turn a NaN whose payload sits in the
// low bits into Inf (0x7F80_0001 + 0x7FFF = 0x7F80_8000 -> 0x7F80), so NaN is
// handled first: its top 16 bits with the quiet bit set, (bits >> 16) | 0x0040.
// FP16 rounds the same way, but the exponent must be re-biased (127 -> 15) and
// values below 2^-14 become FP16 subnormals (see half_precision.cpp).
//
// The references below are the specification; every array path gives the same bits:
//   f16c        vcvtps2ph (RNE) / vcvtph2ps, 8 lanes (F16C + AVX2)
//   avx2        BF16 by (1) in 8 integer lanes (there is no AVX2 BF16 instruction)
//   avx512bf16  vcvtneps2bf16, 16 lanes. It treats float32 SUBNORMAL inputs as zero
//               (Intel SDM: "denormal go to zero"), which (1) does not; the rare lanes
//               holding a subnormal are redone with (1), so the bits still match the
//               reference. Its NaN rule is the reference's: top half, quiet bit set.
//
// NaN in detail: a NaN stays a NaN of the same sign, its payload truncated to the
// top bits that fit and made quiet (float32 -> 16 bits; float16 -> float32 sets the
// quiet bit too, as vcvtph2ps does). bf16 -> float32 is the exact shift, any NaN kept as is.
//
// Dispatch follows the INT8 kernels' path (active_kernel_isa() of gemm_u8s8s32.hpp,
// so TINYTORCH_ISA=scalar makes these scalar as well):
//   scalar -> the references; avx2 -> f16c (if the CPU has F16C) and avx2 BF16;
//   avx512vnni -> additionally avx512bf16 for float32 -> BF16 if the CPU has AVX512-BF16.
#pragma once
#include <cstdint>

#include "tinytorch/core/tensor.hpp"
#include "tinytorch/perf/gemm_u8s8s32.hpp"

namespace tinytorch {

// ---- the references: one value (the specification) ---------------------------------------------
uint16_t float32_to_float16_bits(float value);    // RNE; overflow -> ±Inf; subnormals; NaN -> quiet NaN
float float16_bits_to_float32(uint16_t half);     // exact (every FP16 value is a float32); NaN made quiet
uint16_t float32_to_bfloat16_bits(float value);   // RNE by (1); NaN -> quiet NaN (never Inf)
float bfloat16_bits_to_float32(uint16_t bf16);    // exact: bits << 16

// ---- the array kernels: x:(n) -> y:(n) ----------------------------------------------------------
void float32_to_float16_ref(const float* x, int64_t n, uint16_t* y);
void float16_to_float32_ref(const uint16_t* x, int64_t n, float* y);
void float32_to_bfloat16_ref(const float* x, int64_t n, uint16_t* y);
void bfloat16_to_float32_ref(const uint16_t* x, int64_t n, float* y);
// F16C + AVX2 (half_precision_f16c.cpp): call only if half_f16c_supported().
void float32_to_float16_f16c(const float* x, int64_t n, uint16_t* y);
void float16_to_float32_f16c(const uint16_t* x, int64_t n, float* y);
void float32_to_bfloat16_avx2(const float* x, int64_t n, uint16_t* y);
void bfloat16_to_float32_avx2(const uint16_t* x, int64_t n, float* y);
// AVX-512 F/BW/VL + AVX512-BF16 (half_precision_avx512bf16.cpp): call only if half_avx512bf16_supported().
void float32_to_bfloat16_avx512bf16(const float* x, int64_t n, uint16_t* y);
void bfloat16_to_float32_avx512(const uint16_t* x, int64_t n, float* y);

bool half_f16c_supported();       // built for x86-64 and the CPU has AVX2 + F16C
bool half_avx512bf16_supported(); // built for x86-64 and the CPU has AVX-512 (F/BW/DQ/VL) + AVX512-BF16

// ---- dispatch ----------------------------------------------------------------------------------
using Float32ToHalfKernel = void (*)(const float*, int64_t, uint16_t*);
using HalfToFloat32Kernel = void (*)(const uint16_t*, int64_t, float*);
struct HalfKernels {
  Float32ToHalfKernel to_float16 = nullptr;
  HalfToFloat32Kernel from_float16 = nullptr;
  Float32ToHalfKernel to_bfloat16 = nullptr;
  HalfToFloat32Kernel from_bfloat16 = nullptr;
  const char* float16_name = "";   // "f16c" or "ref"
  const char* bfloat16_name = "";  // "avx512bf16", "avx2" or "ref"
};
// The best kernels allowed by a GEMM path (see the dispatch rule above) on this CPU.
HalfKernels half_kernels_for(KernelIsa isa);
// half_kernels_for(active_kernel_isa()), chosen once.
const HalfKernels& half_kernels();

// ---- tensors -----------------------------------------------------------------------------------
// float32 (any shape, any strides) -> a new contiguous Float16 / BFloat16 tensor of the same shape.
// DTypeError unless the input is Float32.
Tensor to_float16(const Tensor& float32);
Tensor to_bfloat16(const Tensor& float32);
// Float16 or BFloat16 -> a new contiguous Float32 tensor (exact). DTypeError for any other dtype.
Tensor half_to_float32(const Tensor& half);

}  // namespace tinytorch
