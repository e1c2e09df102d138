// half_linear_avx2.cpp — Module 15: the AVX2 FP16 / BF16 weight-only kernel (AVX2 + FMA + F16C).
//
//   y[m, n] = Σ_k x[m, k] · f32(W16[n, k]) + b[n]                       x:(M,K) W16:(N,K) -> y:(M,N)
//
// The AVX-512 kernel's register tile (half_linear_avx512.cpp) on 8 lanes: 8 weights
// widened by vcvtph2ps ymm (F16C) or vpmovzxwd + vpslld 16 (BF16), NT weight
// rows × R rows of x accumulating in independent chains. AVX2 has no masked 16-bit
// load, so the last K mod 8 products are added one by one after the vector sum
// (v1 copied them into zero-padded scratch arrays: g++ then kept the whole tile
// on the stack, 3x slower).
#include <immintrin.h>

#include <cstdint>

#include <fmt/format.h>

#include "tinytorch/core/error.hpp"
#include "tinytorch/perf/half_linear.hpp"

namespace tinytorch {

namespace {


template <bool kBFloat16>
inline __m256 widen(const uint16_t* w16) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w16));
  if constexpr (kBFloat16) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(raw), 16));
  } else {
    return _mm256_cvtph_ps(raw);
  }
}

// One weight, for the last K mod 8 values of a row (added after the vector sum).
template <bool kBFloat16>
inline float widen_one(uint16_t bits) {
  if constexpr (kBFloat16) {
    return _mm_cvtss_f32(_mm_castsi128_ps(_mm_cvtsi32_si128(static_cast<int>(uint32_t{bits} << 16))));
  } else {
    return _cvtsh_ss(bits);
  }
}

inline float horizontal_sum(__m256 v) {
  const __m128 halves = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 pairs = _mm_add_ps(halves, _mm_movehl_ps(halves, halves));
  return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_movehdup_ps(pairs)));
}

// y[m0 .. m0+R, n0 .. n0+NT] = x · W16ᵀ (+ b).
template <bool kBFloat16, int R, int NT>
void half_linear_tile_avx2(const float* x, int64_t m0, const uint16_t* w16, int64_t N, int64_t K, int64_t n0,
                           const float* bias, float* y) {
  // BEGIN SOLUTION
  __m256 acc[R][NT];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc[r][t] = _mm256_setzero_ps();
  }
  const int64_t full = K / 8 * 8;
  for (int64_t k0 = 0; k0 < full; k0 += 8) {
    __m256 w[NT];
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) w[t] = widen<kBFloat16>(w16 + (n0 + t) * K + k0);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256 xv = _mm256_loadu_ps(x + (m0 + r) * K + k0);
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) acc[r][t] = _mm256_fmadd_ps(xv, w[t], acc[r][t]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      float sum = horizontal_sum(acc[r][t]);
      for (int64_t k = full; k < K; ++k) sum += x[(m0 + r) * K + k] * widen_one<kBFloat16>(w16[(n0 + t) * K + k]);
      y[(m0 + r) * N + n0 + t] = bias != nullptr ? sum + bias[n0 + t] : sum;
    }
  }
  // END SOLUTION
}

// Rows [m0, m0 + R) of y: weight rows NT at a time, then one at a time.
template <bool kBFloat16, int R, int NT>
void row_block(const float* x, int64_t m0, const uint16_t* w16, int64_t N, int64_t K, const float* bias, float* y) {
  int64_t n0 = 0;
  for (; n0 + NT <= N; n0 += NT) half_linear_tile_avx2<kBFloat16, R, NT>(x, m0, w16, N, K, n0, bias, y);
  for (; n0 < N; ++n0) half_linear_tile_avx2<kBFloat16, R, 1>(x, m0, w16, N, K, n0, bias, y);
}

// Rows of x 4 at a time, then the 1–3 left over; fewer rows get wider tiles along N,
// so there are always R · NT >= 4 independent accumulators.
template <bool kBFloat16>
void half_linear_tiles(const float* x, int64_t rows, const uint16_t* w16, int64_t N, int64_t K, const float* bias,
                       float* y) {
  int64_t m0 = 0;
  for (; m0 + 4 <= rows; m0 += 4) row_block<kBFloat16, 4, 2>(x, m0, w16, N, K, bias, y);
  switch (rows - m0) {
    case 3: row_block<kBFloat16, 3, 2>(x, m0, w16, N, K, bias, y); break;
    case 2: row_block<kBFloat16, 2, 2>(x, m0, w16, N, K, bias, y); break;
    case 1: row_block<kBFloat16, 1, 4>(x, m0, w16, N, K, bias, y); break;
    default: break;
  }
}

}  // namespace

void half_linear_avx2(const float* x, int64_t rows, const uint16_t* w16, DType format, int64_t out_features,
                      int64_t in_features, const float* bias, float* y) {
  if (format == DType::BFloat16) {
    half_linear_tiles<true>(x, rows, w16, out_features, in_features, bias, y);
  } else if (format == DType::Float16) {
    half_linear_tiles<false>(x, rows, w16, out_features, in_features, bias, y);
  } else {
    throw ValueError(fmt::format("half_linear_avx2: weight format {}; expected float16 or bfloat16",
                                 dtype_name(format)));
  }
}

}  // namespace tinytorch
