// half_precision_f16c.cpp — Module 15: FP16 and BF16 conversions, 8 floats at a time (F16C + AVX2).
//
// Compiled with -mavx2 -mfma -mf16c (module.yaml: isa avx2); called only when
// half_f16c_supported(). Each function gives the bits of its reference in
// half_precision.cpp:
//
//   float32 -> float16   vcvtps2ph with imm = round to nearest even: IEEE RNE with
//                        FP16 subnormals, overflow to ±Inf, NaN -> quiet NaN with the
//                        top 10 payload bits — exactly float32_to_float16_bits.
//   float16 -> float32   vcvtph2ps: exact, NaN made quiet (MXCSR's DAZ does not apply).
//   float32 -> bfloat16  no AVX2 instruction: the header's bias trick (1) in 8 int32
//                        lanes, NaN lanes replaced by (bits >> 16) | 0x0040.
//   bfloat16 -> float32  zero-extend to 32 bits and shift left by 16.
//
// The last n mod 8 elements are copied into a zero-padded 8-element block and go
// through the same instructions, so every element is converted by the hardware path.
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "tinytorch/perf/half_precision.hpp"

namespace tinytorch {

namespace {

constexpr int64_t kLanes = 8;
constexpr int kRoundNearestEven = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

// Runs convert8(source, destination) on every full block of 8, then on the zero-padded tail.
template <typename In, typename Out, typename Convert8>
void convert_in_blocks_of_8(const In* x, int64_t n, Out* y, Convert8 convert8) {
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) convert8(x + i, y + i);
  const int64_t tail = n - i;
  if (tail == 0) return;
  In padded_in[kLanes] = {};
  Out padded_out[kLanes] = {};
  std::memcpy(padded_in, x + i, static_cast<std::size_t>(tail) * sizeof(In));
  convert8(padded_in, padded_out);
  std::memcpy(y + i, padded_out, static_cast<std::size_t>(tail) * sizeof(Out));
}

// 8 float32 bit patterns -> 8 bfloat16 by (1), NaN lanes made quiet NaNs.
__m128i bfloat16_from_8_floats(__m256 values) {
  // BEGIN SOLUTION
  const __m256i bits = _mm256_castps_si256(values);
  const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(1));
  const __m256i rounded = _mm256_srli_epi32(_mm256_add_epi32(_mm256_add_epi32(bits, _mm256_set1_epi32(0x7FFF)), lsb), 16);
  const __m256i quiet_nan = _mm256_or_si256(_mm256_srli_epi32(bits, 16), _mm256_set1_epi32(0x0040));
  const __m256i is_nan = _mm256_castps_si256(_mm256_cmp_ps(values, values, _CMP_UNORD_Q));
  const __m256i bf16_in_32 = _mm256_blendv_epi8(rounded, quiet_nan, is_nan);  // each lane in [0, 0xFFFF]
  // 32 -> 16 bits: packus works within 128-bit halves (a0..a3 b0..b3 | a4..a7 b4..b7 with b = a);
  // gather the 64-bit pieces 0 and 2 to get a0..a7 in order.
  const __m256i packed = _mm256_packus_epi32(bf16_in_32, bf16_in_32);
  return _mm256_castsi256_si128(_mm256_permute4x64_epi64(packed, 0b1000)); // pieces (0, 2, 0, 0)
  // END SOLUTION
}

}  // namespace

void float32_to_float16_f16c(const float* x, int64_t n, uint16_t* y) {
  convert_in_blocks_of_8(x, n, y, [](const float* source, uint16_t* destination) {
    const __m128i halves = _mm256_cvtps_ph(_mm256_loadu_ps(source), kRoundNearestEven);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(destination), halves);
  });
}

void float16_to_float32_f16c(const uint16_t* x, int64_t n, float* y) {
  convert_in_blocks_of_8(x, n, y, [](const uint16_t* source, float* destination) {
    const __m128i halves = _mm_loadu_si128(reinterpret_cast<const __m128i*>(source));
    _mm256_storeu_ps(destination, _mm256_cvtph_ps(halves));
  });
}

void float32_to_bfloat16_avx2(const float* x, int64_t n, uint16_t* y) {
  convert_in_blocks_of_8(x, n, y, [](const float* source, uint16_t* destination) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(destination), bfloat16_from_8_floats(_mm256_loadu_ps(source)));
  });
}

void bfloat16_to_float32_avx2(const uint16_t* x, int64_t n, float* y) {
  convert_in_blocks_of_8(x, n, y, [](const uint16_t* source, float* destination) {
    const __m256i widened = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(source)));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(destination), _mm256_slli_epi32(widened, 16));
  });
}

}  // namespace tinytorch
