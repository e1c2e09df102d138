// half_linear_avx512.cpp — Module 15: the AVX-512 FP16 / BF16 weight-only kernel (AVX-512 F/BW/DQ/VL + FMA).
//
//   y[m, n] = Σ_k x[m, k] · f32(W16[n, k]) + b[n]                       x:(M,K) W16:(N,K) -> y:(M,N)
//
// Widening 16 weights is one instruction: vcvtph2ps zmm (FP16, exact) or, for
// BF16, vpmovzxwd + vpslld 16 (a BF16 is the top half of a float32). The register
// tile is NT weight rows × R rows of x (R <= 4): each widened weight vector
// serves R rows, each x vector NT weight rows, and the R · NT accumulators
// are independent chains, enough to keep both FMA pipes busy even at R = 1 (one
// chain would wait the FMA's latency on every step). A short last chunk of K is
// read with masked loads (the lanes past K are 0 in both x and W16).
// g++ 12 reports a false "'__Y' may be used uninitialized" inside its own AVX-512
// intrinsic headers wherever they are inlined (GCC bug 105593, fixed in g++ 13).
// Silenced for this file only, before the header is read (as gemm_u8s8s32_avx512vnni.cpp does).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstdint>

#include <fmt/format.h>

#include "tinytorch/core/error.hpp"
#include "tinytorch/perf/half_linear.hpp"

namespace tinytorch {

namespace {


// 16 weights (fewer where mask is partial) widened to float32.
template <bool kBFloat16>
inline __m512 widen(const uint16_t* w16, __mmask16 mask) {
  const __m256i raw = _mm256_maskz_loadu_epi16(mask, w16);
  if constexpr (kBFloat16) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(raw), 16));
  } else {
    return _mm512_cvtph_ps(raw);
  }
}

// y[m0 .. m0+R, n0 .. n0+NT] = x · W16ᵀ (+ b).
template <bool kBFloat16, int R, int NT>
void half_linear_tile_avx512(const float* x, int64_t m0, const uint16_t* w16, int64_t N, int64_t K, int64_t n0,
                             const float* bias, float* y) {
  // BEGIN SOLUTION
  __m512 acc[R][NT];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  for (int64_t k0 = 0; k0 < K; k0 += 16) {
    const __mmask16 mask = K - k0 >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << (K - k0)) - 1);
    __m512 w[NT];
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) w[t] = widen<kBFloat16>(w16 + (n0 + t) * K + k0, mask);
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
      const __m512 xv = _mm512_maskz_loadu_ps(mask, x + (m0 + r) * K + k0);
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc[r][t] = _mm512_fmadd_ps(xv, w[t], acc[r][t]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      const float sum = _mm512_reduce_add_ps(acc[r][t]);
      y[(m0 + r) * N + n0 + t] = bias != nullptr ? sum + bias[n0 + t] : sum;
    }
  }
  // END SOLUTION
}

// Rows [m0, m0 + R) of y: weight rows NT at a time, then one at a time.
template <bool kBFloat16, int R, int NT>
void row_block(const float* x, int64_t m0, const uint16_t* w16, int64_t N, int64_t K, const float* bias, float* y) {
  int64_t n0 = 0;
  for (; n0 + NT <= N; n0 += NT) half_linear_tile_avx512<kBFloat16, R, NT>(x, m0, w16, N, K, n0, bias, y);
  for (; n0 < N; ++n0) half_linear_tile_avx512<kBFloat16, R, 1>(x, m0, w16, N, K, n0, bias, y);
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
    case 2: row_block<kBFloat16, 2, 4>(x, m0, w16, N, K, bias, y); break;
    case 1: row_block<kBFloat16, 1, 8>(x, m0, w16, N, K, bias, y); break;
    default: break;
  }
}

}  // namespace

void half_linear_avx512(const float* x, int64_t rows, const uint16_t* w16, DType format, int64_t out_features,
                        int64_t in_features, const float* bias, float* y) {
  if (format == DType::BFloat16) {
    half_linear_tiles<true>(x, rows, w16, out_features, in_features, bias, y);
  } else if (format == DType::Float16) {
    half_linear_tiles<false>(x, rows, w16, out_features, in_features, bias, y);
  } else {
    throw ValueError(fmt::format("half_linear_avx512: weight format {}; expected float16 or bfloat16",
                                 dtype_name(format)));
  }
}

}  // namespace tinytorch
