// quantize_kernels_avx512.cpp — Module 15: quantize and min/max, 16 floats at a time (AVX-512 F/BW/DQ/VL).
//
// Compiled with AVX-512 flags (module.yaml: isa avx512); called only when the CPU
// has AVX-512 (quantize_kernels()). Each lane does the operations of
// quantize_f32_u8_ref / minmax_f32_ref in the same order — divide, round half to
// even, add z, clamp, convert — all exact IEEE operations, so the bytes are the
// same. The tail (n mod 16) runs on masked loads and stores, not a scalar loop.
//
// Non-finite values are found with vfpclassps (one instruction per 16 values:
// "is this lane NaN or ±Inf?"), OR-ed into a mask that is tested once at the end.
#include <immintrin.h>

#include "tinytorch/perf/quantize_kernels.hpp"

namespace tinytorch {

namespace {

// vfpclassps categories: QNaN (0x01), +Inf (0x08), −Inf (0x10), SNaN (0x80).
constexpr int kNonFinite = 0x01 | 0x08 | 0x10 | 0x80;
constexpr int kRoundHalfEven = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
// The maskz_ forms with every lane on are the plain instructions; g++ 12 warns falsely
// ("may be used uninitialized") about the unmasked intrinsics' internal placeholder.
constexpr __mmask16 kAllLanes = 0xFFFF;

// The first `count` (0..16) lanes on.
[[maybe_unused]] __mmask16 first_lanes(int64_t count) { return static_cast<__mmask16>((1u << count) - 1u); }

}  // namespace

// x:(n) float32 -> q:(n) uint8, (1) of quantize_kernels.hpp on 16 lanes.
bool quantize_f32_u8_avx512(const float* x, int64_t n, const Uint8QuantParams& params, uint8_t* q) {
  // BEGIN SOLUTION
  const __m512 scale = _mm512_set1_ps(params.scale);
  const __m512 zero_point = _mm512_set1_ps(static_cast<float>(params.zero_point));
  const __m512 q_min = _mm512_set1_ps(static_cast<float>(params.q_min));
  const __m512 q_max = _mm512_set1_ps(static_cast<float>(params.q_max));
  __mmask16 non_finite = 0;
  // Lanes whose x is NaN come out of max/min as q_min (unspecified by the contract; reported below).
  const auto quantize16 = [&](__m512 values) {
    non_finite |= _mm512_fpclass_ps_mask(values, kNonFinite);
    const __m512 steps = _mm512_maskz_roundscale_ps(kAllLanes, _mm512_div_ps(values, scale), kRoundHalfEven);
    const __m512 shifted = _mm512_add_ps(steps, zero_point);
    const __m512 clamped = _mm512_maskz_min_ps(kAllLanes, _mm512_maskz_max_ps(kAllLanes, shifted, q_min), q_max);
    return _mm512_maskz_cvttps_epi32(kAllLanes, clamped);  // exact: an integer in [0, 255]
  };
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    // vpmovdb: the low byte of each int32 lane, 16 bytes stored.
    _mm512_mask_cvtepi32_storeu_epi8(q + i, kAllLanes, quantize16(_mm512_loadu_ps(x + i)));
  }
  if (i < n) {  // the last n − i < 16: masked lanes read nothing and write nothing
    const __mmask16 lanes = first_lanes(n - i);
    _mm512_mask_cvtepi32_storeu_epi8(q + i, lanes, quantize16(_mm512_maskz_loadu_ps(lanes, x + i)));
  }
  return non_finite == 0;
  // END SOLUTION
}

// x:(n), n >= 1 -> min, max; 16 running minima and maxima, reduced at the end.
FloatRange minmax_f32_avx512(const float* x, int64_t n) {
  // BEGIN SOLUTION
  __m512 lo = _mm512_set1_ps(x[0]);
  __m512 hi = lo;
  __mmask16 non_finite = 0;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 values = _mm512_loadu_ps(x + i);
    non_finite |= _mm512_fpclass_ps_mask(values, kNonFinite);
    lo = _mm512_maskz_min_ps(kAllLanes, lo, values);
    hi = _mm512_maskz_max_ps(kAllLanes, hi, values);
  }
  if (i < n) {  // masked-off lanes keep their running value
    const __mmask16 lanes = first_lanes(n - i);
    const __m512 values = _mm512_maskz_loadu_ps(lanes, x + i);
    non_finite |= _mm512_mask_fpclass_ps_mask(lanes, values, kNonFinite);
    lo = _mm512_mask_min_ps(lo, lanes, lo, values);
    hi = _mm512_mask_max_ps(hi, lanes, hi, values);
  }
  // Every lane holds a value of x, so the min of the 16 minima is the min of x: the
  // reference reduces them (and turns a −0 into +0, as it promises).
  alignas(64) float lane_min[16];
  alignas(64) float lane_max[16];
  _mm512_store_ps(lane_min, lo);
  _mm512_store_ps(lane_max, hi);
  return FloatRange{minmax_f32_ref(lane_min, 16).min, minmax_f32_ref(lane_max, 16).max, non_finite == 0};
  // END SOLUTION
}

}  // namespace tinytorch
