// half_precision_avx512bf16.cpp — Module 15: float32 <-> bfloat16, 16 floats at a time (AVX-512 BF16).
//
// Compiled with AVX-512 F/BW/DQ/VL + -mavx512bf16 (module.yaml: isa avx512bf16);
// called only when half_avx512bf16_supported().
//
// vcvtneps2bf16 rounds to nearest even (the bias trick (1) of the header) and
// turns NaN into its top 16 bits with the quiet bit set — both as the reference.
// It differs in one place: per the Intel SDM pseudocode a float32 SUBNORMAL input
// gives a signed zero ("denormal go to zero"), whatever MXCSR says, while (1)
// keeps it (bf16 has float32's exponent range, so e.g. 2^-130 is representable).
// One vfpclassps per 16 values finds the subnormal lanes; when there are any
// (rare in practice) those lanes are redone with (1) in integer arithmetic, so
// the result equals float32_to_bfloat16_bits for every input, bit for bit.
//
// Tails use masked loads and stores (lanes past n are neither read nor written).
#include <immintrin.h>

#include "tinytorch/perf/half_precision.hpp"

namespace tinytorch {

namespace {

constexpr int64_t kLanes = 16;
constexpr int kFpclassDenormal = 0x20;  // vfpclassps category bit 5: denormal (either sign)

__mmask16 first_lanes(int64_t count) {  // the lowest `count` of 16 lanes, count in [0, 16]
  return static_cast<__mmask16>(count >= kLanes ? 0xFFFF : (1u << count) - 1u);
}

// 16 floats -> 16 bfloat16 bit patterns equal to float32_to_bfloat16_bits.
__m256i bfloat16_from_16_floats(__m512 values) {
  // BEGIN SOLUTION
  __m256i bf16 = reinterpret_cast<__m256i>(_mm512_cvtneps_pbh(values));
  const __mmask16 subnormal = _mm512_fpclass_ps_mask(values, kFpclassDenormal);
  if (subnormal != 0) {  // redo those lanes with (1): (bits + 0x7FFF + lsb) >> 16 (no NaN among them)
    // Masked forms: only the subnormal lanes are computed and written over bf16.
    const __m512i bits = _mm512_castps_si512(values);
    const __m512i lsb = _mm512_maskz_and_epi32(subnormal, _mm512_maskz_srli_epi32(subnormal, bits, 16), _mm512_set1_epi32(1));
    const __m512i biased = _mm512_maskz_add_epi32(subnormal, _mm512_maskz_add_epi32(subnormal, bits, _mm512_set1_epi32(0x7FFF)), lsb);
    bf16 = _mm512_mask_cvtepi32_epi16(bf16, subnormal, _mm512_maskz_srli_epi32(subnormal, biased, 16));
  }
  return bf16;
  // END SOLUTION
}

}  // namespace

void float32_to_bfloat16_avx512bf16(const float* x, int64_t n, uint16_t* y) {
  for (int64_t i = 0; i < n; i += kLanes) {
    const __mmask16 lanes = first_lanes(n - i);
    const __m256i bf16 = bfloat16_from_16_floats(_mm512_maskz_loadu_ps(lanes, x + i));
    _mm256_mask_storeu_epi16(y + i, lanes, bf16);
  }
}

void bfloat16_to_float32_avx512(const uint16_t* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; i += kLanes) {
    const __mmask16 lanes = first_lanes(n - i);
    const __m512i widened = _mm512_maskz_cvtepu16_epi32(lanes, _mm256_maskz_loadu_epi16(lanes, x + i));
    _mm512_mask_storeu_ps(y + i, lanes, _mm512_castsi512_ps(_mm512_maskz_slli_epi32(lanes, widened, 16)));
  }
}

}  // namespace tinytorch
