// quantize_kernels_avx2.cpp — Module 15: quantize and min/max, 8 floats at a time (AVX2).
//
// Compiled with AVX2 flags (module.yaml: isa avx2); called only when the CPU has
// AVX2 (quantize_kernels()). Each lane does the operations of quantize_f32_u8_ref /
// minmax_f32_ref in the same order — divide, round half to even, add z, clamp,
// convert — all exact IEEE operations, so the bytes are the same. The last
// n mod 32 (quantize) or n mod 8 (min/max) elements go through the references.
//
// Non-finite values: |x| > FLT_MAX is true exactly for ±Inf, and the unordered
// compare (_CMP_NLE_UQ, "not less-or-equal") is true for NaN as well — one
// compare per 8 values, OR-ed together and tested once at the end.
#include <immintrin.h>

#include <algorithm>
#include <cfloat>

#include "tinytorch/perf/quantize_kernels.hpp"

namespace tinytorch {

namespace {

constexpr int kRoundHalfEven = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

// All bits set in the lanes holding NaN or ±Inf.
[[maybe_unused]] __m256 non_finite_lanes(__m256 values) {
  const __m256 magnitude = _mm256_andnot_ps(_mm256_set1_ps(-0.0f), values);  // clear the sign bit
  return _mm256_cmp_ps(magnitude, _mm256_set1_ps(FLT_MAX), _CMP_NLE_UQ);
}

}  // namespace

// x:(n) float32 -> q:(n) uint8, (1) of quantize_kernels.hpp on 8 lanes, 32 values per step.
bool quantize_f32_u8_avx2(const float* x, int64_t n, const Uint8QuantParams& params, uint8_t* q) {
  // BEGIN SOLUTION
  const __m256 scale = _mm256_set1_ps(params.scale);
  const __m256 zero_point = _mm256_set1_ps(static_cast<float>(params.zero_point));
  const __m256 q_min = _mm256_set1_ps(static_cast<float>(params.q_min));
  const __m256 q_max = _mm256_set1_ps(static_cast<float>(params.q_max));
  __m256 non_finite = _mm256_setzero_ps();
  const auto quantize8 = [&](const float* source) {
    const __m256 values = _mm256_loadu_ps(source);
    non_finite = _mm256_or_ps(non_finite, non_finite_lanes(values));
    const __m256 steps = _mm256_round_ps(_mm256_div_ps(values, scale), kRoundHalfEven);
    const __m256 clamped = _mm256_min_ps(_mm256_max_ps(_mm256_add_ps(steps, zero_point), q_min), q_max);
    return _mm256_cvttps_epi32(clamped);  // exact: an integer in [0, 255]
  };
  // The packs work within each 128-bit half: after packing a, b, c, d (8 int32 each) the 32 bytes
  // are in 4-byte groups a0 b0 c0 d0 a1 b1 c1 d1 (a0 = a's first four); this permutation restores a b c d.
  const __m256i restore_order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m256i ab = _mm256_packs_epi32(quantize8(x + i), quantize8(x + i + 8));  // int16, no saturation: ≤ 255
    const __m256i cd = _mm256_packs_epi32(quantize8(x + i + 16), quantize8(x + i + 24));
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packus_epi16(ab, cd), restore_order);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), bytes);
  }
  const bool tail_finite = quantize_f32_u8_ref(x + i, n - i, params, q + i);
  return tail_finite && _mm256_movemask_ps(non_finite) == 0;
  // END SOLUTION
}

// x:(n), n >= 1 -> min, max; 8 running minima and maxima, reduced at the end.
FloatRange minmax_f32_avx2(const float* x, int64_t n) {
  // BEGIN SOLUTION
  __m256 lo = _mm256_set1_ps(x[0]);
  __m256 hi = lo;
  __m256 non_finite = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 values = _mm256_loadu_ps(x + i);
    non_finite = _mm256_or_ps(non_finite, non_finite_lanes(values));
    lo = _mm256_min_ps(lo, values);
    hi = _mm256_max_ps(hi, values);
  }
  alignas(32) float lane_min[8];
  alignas(32) float lane_max[8];
  _mm256_store_ps(lane_min, lo);
  _mm256_store_ps(lane_max, hi);
  // The tail and the 8 lanes through the reference's own loop: the min of minima is the min.
  FloatRange range = i < n ? minmax_f32_ref(x + i, n - i) : FloatRange{x[0], x[0], true};
  const FloatRange lanes_min = minmax_f32_ref(lane_min, 8);
  const FloatRange lanes_max = minmax_f32_ref(lane_max, 8);
  range.min = std::min(range.min, lanes_min.min) + 0.0f;
  range.max = std::max(range.max, lanes_max.max) + 0.0f;
  range.all_finite = range.all_finite && _mm256_movemask_ps(non_finite) == 0;
  return range;
  // END SOLUTION
}

}  // namespace tinytorch
