// gemm_u8s8s32_avx512vnni.cpp — Module 15: the INT8 GEMM on AVX-512 VNNI (vpdpbusd), with fused epilogues.
//
// Compiled with -mavx512f/bw/dq/vl -mavx512vnni for this file only; called only
// when the CPU has those (gemm_u8s8s32.cpp's dispatch). Same results, bit for
// bit, as the scalar path (test_gemm_u8s8s32.cpp).
//
// The instruction: vpdpbusd acc, a, w — for each of 16 int32 lanes,
//   acc[i] += a[4i]·w[4i] + a[4i+1]·w[4i+1] + a[4i+2]·w[4i+2] + a[4i+3]·w[4i+3]
// with a unsigned and w signed bytes, exact in int32 (no int16 intermediate, so
// no saturation). With the packed layout (3) of gemm_u8s8s32.hpp one 64-byte load
// holds 4 consecutive k of 16 output channels, and the 4 activation bytes
// a[m, 4g..4g+3] broadcast to all 16 lanes make one vpdpbusd = 64 multiply-adds
// of 16 outputs.
//
// The micro-kernel (gemm_u8s8s32_6x64c4_avx512vnni): a tile of MR = 6 rows × 64
// columns held in 6·4 = 24 zmm accumulators. Per group of 4 k: 4 weight loads
// (one per 16-channel block), 6 broadcasts, 24 vpdpbusd — 10 loads for 24
// multiply instructions, so the two vector multiply pipes, not the loads, set
// the pace. Partial tiles (M % 6, N % 64) use the same template with fewer rows
// or vectors and masked stores. Tiles of 1–2 rows (GEMV, small batches) keep two
// sums per output (even and odd groups of k) to hide vpdpbusd's latency.
//
// Blocking: the columns are walked in blocks of about 512 KiB of packed weights
// (half of Zen 5's L2), rows inside. Each 6-row panel of activations is first
// copied with K padded to a multiple of 4 by zeros (the weights are zero there
// too), so the K loop has no tail and the panel (6·K bytes) stays in L1 while the
// block's weights stream from L2.
//
// Epilogue, on the tile while it is in registers: (2)'s zero-point terms, then
// int32 store / dequantize (4) / requantize (5)–(7) with the fixed-point
// arithmetic done lane by lane in 64-bit products, exactly as requantize.cpp.
//
// Versions (one thread, Zen 5, 1024×1024×1024):
//   v1 6×64 tile, rows read in place, K tail as an extra step: 360 GOP/s — g++
//      kept the 24 accumulators on the stack (an array of vectors is put in
//      registers only if the loops over it are unrolled early: "#pragma GCC unroll");
//   v2 + unroll pragmas, activation panel interleaved by groups: 905 GOP/s;
//   v3 panel copied row by row (memcpy) instead: ~950 GOP/s (close to vpdpbusd's peak);
//      two accumulator chains for 1–2 row tiles.

// g++ 12 reports a false "'__Y' may be used uninitialized" inside its own AVX-512
// intrinsic headers wherever they are inlined (GCC bug 105593, fixed in g++ 13).
// Silenced for this file only, before the header is read.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "tinytorch/perf/gemm_u8s8s32.hpp"

namespace tinytorch::gemm_detail {

namespace {

constexpr int kTileRows = 6;      // MR
constexpr int kTileVectors = 4;   // NV: 4 zmm = 64 int32 columns
constexpr int64_t kLanes = 16;    // int32 lanes of a zmm = PackedWeightsS8::kBlockN
constexpr int64_t kWeightBlockBytes = 512 * 1024;

// The 4 activation bytes a[k..k+3] as one int32 (any alignment).
inline int32_t load_group(const uint8_t* bytes) {
  int32_t group;
  std::memcpy(&group, bytes, sizeof group);
  return group;
}

// The last, partial group: the `count` remaining bytes, the rest zero.
inline int32_t load_partial_group(const uint8_t* bytes, int64_t count) {
  int32_t group = 0;
  std::memcpy(&group, bytes, static_cast<std::size_t>(count));
  return group;
}

inline __mmask16 lane_mask(int64_t columns) {
  return columns >= kLanes ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << columns) - 1u);
}

// ---- (7) lane by lane: the integer requantization -----------------------------------------------

// saturating_rounding_doubling_high_mul(x, m0) = floor((x·m0 + 2^30) / 2^31): gemmlowp's
// truncating division of (x·m0 ± nudge) comes to this for both signs. The even lanes'
// 64-bit products sit in the even slots; bits 31..62 of each sum are the int32 results.
inline __m512i srdhm_avx512vnni(__m512i x, __m512i m0) {
  // BEGIN SOLUTION
  const __m512i nudge = _mm512_set1_epi64(int64_t{1} << 30);
  const __m512i even = _mm512_add_epi64(_mm512_mul_epi32(x, m0), nudge);
  const __m512i odd = _mm512_add_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), _mm512_srli_epi64(m0, 32)), nudge);
  return _mm512_mask_blend_epi32(__mmask16(0xAAAA), _mm512_srli_epi64(even, 31), _mm512_slli_epi64(odd, 1));
  // END SOLUTION
}

// rounding_divide_by_pot(x, e) of requantize.cpp, per lane: round(x / 2^e), halves away from zero.
inline __m512i rounding_divide_by_pot_avx512vnni(__m512i x, __m512i exponent) {
  // BEGIN SOLUTION
  const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(_mm512_set1_epi32(1), exponent), _mm512_set1_epi32(1));
  const __m512i remainder = _mm512_and_si512(x, mask);
  const __m512i threshold = _mm512_add_epi32(_mm512_srli_epi32(mask, 1), _mm512_srli_epi32(x, 31));
  const __mmask16 round_up = _mm512_cmpgt_epi32_mask(remainder, threshold);
  return _mm512_mask_add_epi32(_mm512_srav_epi32(x, exponent), round_up, _mm512_srav_epi32(x, exponent),
                               _mm512_set1_epi32(1));
  // END SOLUTION
}

// x · 2^left, saturated to int32 (the left shift of a multiplier ≥ 1).
inline __m512i saturating_left_shift_avx512vnni(__m512i x, __m512i left) {
  // BEGIN SOLUTION
  const __m512i shifted = _mm512_sllv_epi32(x, left);
  const __mmask16 overflow = _mm512_cmpneq_epi32_mask(_mm512_srav_epi32(shifted, left), x);
  const __mmask16 negative = _mm512_movepi32_mask(x);
  const __m512i saturated = _mm512_mask_blend_epi32(negative, _mm512_set1_epi32(INT32_MAX), _mm512_set1_epi32(INT32_MIN));
  return _mm512_mask_blend_epi32(overflow, shifted, saturated);
  // END SOLUTION
}

// ---- the epilogue of one 16-column vector --------------------------------------------------------

// What a column vector of the tile needs, loaded once per tile.
struct ColumnTerms {
  __m512i correction;    // K·z_a·z_w[n] − z_a·Σ_k w[n, k]      (2), wrapping
  __m512i zero_point;    // z_w[n] (for −z_w[n]·Σ_k a[m, k])
  __mmask16 mask;        // the columns that exist
  __m512 scale, bias_f32;
  __m512i bias_s32;
  __m512i multiplier, left_shift, right_shift;
  bool any_left_shift = false;
};

ColumnTerms column_terms_avx512vnni(const GemmProblem& problem, int64_t n, int64_t columns) {
  const PackedWeightsS8& w = *problem.w;
  ColumnTerms terms;
  terms.mask = lane_mask(columns);
  terms.zero_point = _mm512_loadu_si512(w.zero_points() + n);  // padded to 16: always readable
  // BEGIN SOLUTION
  const __m512i z_a = _mm512_set1_epi32(problem.a_zero_point);
  const __m512i row_sums = _mm512_loadu_si512(w.row_sums() + n);
  terms.correction = _mm512_sub_epi32(
      _mm512_mullo_epi32(_mm512_mullo_epi32(_mm512_set1_epi32(static_cast<int32_t>(w.k())), z_a), terms.zero_point),
      _mm512_mullo_epi32(z_a, row_sums));
  // END SOLUTION
  // The epilogue arrays hold exactly N values: masked loads read only the columns that exist.
  terms.bias_s32 = problem.bias_s32 != nullptr ? _mm512_maskz_loadu_epi32(terms.mask, problem.bias_s32 + n)
                                               : _mm512_setzero_si512();
  if (problem.output == OutputKind::Float32) {
    terms.scale = _mm512_maskz_loadu_ps(terms.mask, problem.scale + n);
    terms.bias_f32 = problem.bias_f32 != nullptr ? _mm512_maskz_loadu_ps(terms.mask, problem.bias_f32 + n)
                                                 : _mm512_setzero_ps();
  }
  if (problem.output == OutputKind::Uint8 || problem.output == OutputKind::Int8) {
    terms.multiplier = _mm512_maskz_loadu_epi32(terms.mask, problem.multiplier + n);
    const __m512i shift = _mm512_maskz_loadu_epi32(terms.mask, problem.shift + n);
    terms.left_shift = _mm512_max_epi32(_mm512_sub_epi32(_mm512_setzero_si512(), shift), _mm512_setzero_si512());
    terms.right_shift = _mm512_max_epi32(shift, _mm512_setzero_si512());
    terms.any_left_shift = _mm512_test_epi32_mask(terms.left_shift, terms.left_shift) != 0;
  }
  return terms;
}

// One finished vector of raw sums Σ a·w for row m -> its 16 outputs.
inline void finish_vector_avx512vnni(const GemmProblem& problem, const ColumnTerms& terms, __m512i raw,
                                     __m512i a_row_term, int64_t m, int64_t n) {
  // (2): raw − z_a·Σw + K·z_a·z_w − z_w·Σa  =  (1)
  __m512i acc = _mm512_setzero_si512();
  // BEGIN SOLUTION
  acc = _mm512_sub_epi32(_mm512_add_epi32(raw, terms.correction), a_row_term);
  // END SOLUTION
  const int64_t at = m * problem.ldy + n;
  switch (problem.output) {
    case OutputKind::Int32:
      _mm512_mask_storeu_epi32(static_cast<int32_t*>(problem.y) + at, terms.mask, acc);
      return;
    case OutputKind::Float32: {
      // (4), in the scalar path's order: int32 sum (exact here), convert, multiply; then the float bias.
      __m512 y = _mm512_setzero_ps();
      // BEGIN SOLUTION
      const __m512 product = _mm512_mul_ps(terms.scale, _mm512_cvtepi32_ps(_mm512_add_epi32(acc, terms.bias_s32)));
      y = problem.bias_f32 != nullptr ? _mm512_add_ps(product, terms.bias_f32) : product;
      // END SOLUTION
      _mm512_mask_storeu_ps(static_cast<float*>(problem.y) + at, terms.mask, y);
      return;
    }
    case OutputKind::Uint8:
    case OutputKind::Int8: {
      // (5)–(7): + q_b (exact here), × M0 with rounding, ÷ 2^shift with rounding, + z_y, clamp.
      __m512i q = _mm512_setzero_si512();
      // BEGIN SOLUTION
      __m512i x = _mm512_add_epi32(acc, terms.bias_s32);
      if (terms.any_left_shift) x = saturating_left_shift_avx512vnni(x, terms.left_shift);
      const __m512i scaled =
          rounding_divide_by_pot_avx512vnni(srdhm_avx512vnni(x, terms.multiplier), terms.right_shift);
      // clamp to [min − z_y, max − z_y], then + z_y: the same as clamp(scaled + z_y, min, max) without overflow
      const __m512i low = _mm512_set1_epi32(problem.output_min - problem.output_zero_point);
      const __m512i high = _mm512_set1_epi32(problem.output_max - problem.output_zero_point);
      q = _mm512_add_epi32(_mm512_min_epi32(_mm512_max_epi32(scaled, low), high),
                           _mm512_set1_epi32(problem.output_zero_point));
      // END SOLUTION
      if (problem.output == OutputKind::Uint8) {
        _mm512_mask_cvtepi32_storeu_epi8(static_cast<uint8_t*>(problem.y) + at, terms.mask, q);
      } else {
        _mm512_mask_cvtepi32_storeu_epi8(static_cast<int8_t*>(problem.y) + at, terms.mask, q);
      }
      return;
    }
  }
}

// ---- the micro-kernel -------------------------------------------------------------------------------
//
// (Every loop over the tile's rows and vectors carries "#pragma GCC unroll": g++
// keeps an array of vectors in registers only when those loops are unrolled
// early; without it the 24 accumulators bounce through the stack every step,
// at half the speed.)

// The activation panel: rows [m0, m0 + rows) copied with K padded to a multiple
// of 4 by zero bytes (matching the zero weight padding of (3)), so the K loop has
// no tail and never reads past a row:
//   panel[r·K_padded + k] = a[m0 + r, k] for k < K, 0 for K <= k < K_padded
// A copy of rows·K bytes, against rows·K·N multiply-adds that read it.
void pack_activation_panel(const GemmProblem& problem, int64_t m0, int64_t rows, uint8_t* panel) {
  const int64_t K = problem.w->k();
  const int64_t k_padded = problem.w->k_padded();
  for (int64_t r = 0; r < rows; ++r) {
    std::memcpy(panel + r * k_padded, problem.a + (m0 + r) * problem.lda, static_cast<std::size_t>(K));
    std::memset(panel + r * k_padded + K, 0, static_cast<std::size_t>(k_padded - K));
  }
}

// Group g of 4 k for the whole tile: acc[r][v] += a[r, 4g..4g+3] · w[16v..16v+15, 4g..4g+3],
// 64 multiply-adds per vpdpbusd.
template <int MR, int NV>
[[gnu::always_inline]] inline void dot_group_avx512vnni(__m512i (&acc)[MR][NV], const uint8_t* a_panel,
                                                        int64_t k_padded, const int8_t* weights, int64_t block_bytes,
                                                        int64_t g) {
  // BEGIN SOLUTION
  __m512i w_vectors[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) w_vectors[v] = _mm512_load_si512(weights + v * block_bytes + g * 64);
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    const __m512i a_broadcast = _mm512_set1_epi32(load_group(a_panel + r * k_padded + 4 * g));
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm512_dpbusd_epi32(acc[r][v], a_broadcast, w_vectors[v]);
  }
  // END SOLUTION
}

// Rows [m0, m0 + MR) × columns [n0, n0 + columns), columns ≤ 16·NV:
// a_panel:(MR, K_padded) · packed w:(16·NV, K)ᵀ -> y:(MR, 16·NV)
template <int MR, int NV>
void gemm_tile_avx512vnni(const GemmProblem& problem, const uint8_t* a_panel, int64_t m0, int64_t n0, int64_t columns) {
  // Tiles of 1 or 2 rows have too few accumulators to hide vpdpbusd's latency (each sum
  // waits for the previous one); they keep two sums per output, over the even and the
  // odd groups of k, and add them at the end.
  constexpr int chains = MR <= 2 ? 2 : 1;
  __m512i acc[chains][MR][NV];
#pragma GCC unroll 2
  for (int c = 0; c < chains; ++c)
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[c][r][v] = _mm512_setzero_si512();

  // BEGIN SOLUTION
  const PackedWeightsS8& w = *problem.w;
  const int64_t groups = w.k_padded() / PackedWeightsS8::kGroupK;
  const int64_t block_bytes = w.k_padded() * kLanes;  // one 16-channel block of (3)
  const int8_t* weights = w.data() + (n0 / kLanes) * block_bytes;
  int64_t g = 0;
  for (; g + chains <= groups; g += chains) {
#pragma GCC unroll 2
    for (int c = 0; c < chains; ++c) {
      dot_group_avx512vnni<MR, NV>(acc[c], a_panel, w.k_padded(), weights, block_bytes, g + c);
    }
  }
  if (g < groups) dot_group_avx512vnni<MR, NV>(acc[0], a_panel, w.k_padded(), weights, block_bytes, g);
  if constexpr (chains == 2) {
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) acc[0][r][v] = _mm512_add_epi32(acc[0][r][v], acc[1][r][v]);
  }
  // END SOLUTION

  if (problem.bias_needs_int64 && problem.output != OutputKind::Int32) {
    // A bias so large that acc + bias might leave int32 (never in a real layer): the
    // scalar epilogue adds in int64.
    alignas(64) int32_t raw[MR][kTileVectors * kLanes];
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) _mm512_store_si512(&raw[r][v * kLanes], acc[0][r][v]);
    finish_tile_scalar(problem, m0, MR, n0, columns, &raw[0][0], kTileVectors * kLanes);
    return;
  }
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    const int64_t n = n0 + v * kLanes;
    const ColumnTerms terms = column_terms_avx512vnni(problem, n, columns - v * kLanes);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const int64_t m = m0 + r;
      const __m512i a_row_term =
          problem.a_row_sums != nullptr ? _mm512_mullo_epi32(terms.zero_point, _mm512_set1_epi32(problem.a_row_sums[m]))
                                        : _mm512_setzero_si512();
      finish_vector_avx512vnni(problem, terms, acc[0][r][v], a_row_term, m, n);
    }
  }
}

using TileFunction = void (*)(const GemmProblem&, const uint8_t*, int64_t, int64_t, int64_t);

template <int MR>
constexpr TileFunction tile_of_width(int vectors) {
  switch (vectors) {
    case 1:
      return gemm_tile_avx512vnni<MR, 1>;
    case 2:
      return gemm_tile_avx512vnni<MR, 2>;
    case 3:
      return gemm_tile_avx512vnni<MR, 3>;
    default:
      return gemm_tile_avx512vnni<MR, 4>;
  }
}

TileFunction tile_for(int64_t rows, int64_t columns) {
  const int vectors = static_cast<int>((columns + kLanes - 1) / kLanes);
  switch (rows) {
    case 1:
      return tile_of_width<1>(vectors);
    case 2:
      return tile_of_width<2>(vectors);
    case 3:
      return tile_of_width<3>(vectors);
    case 4:
      return tile_of_width<4>(vectors);
    case 5:
      return tile_of_width<5>(vectors);
    default:
      return tile_of_width<6>(vectors);
  }
}

}  // namespace

// a:(M,K) packed w:(N,K) -> y columns [n_begin, n_end)
void gemm_u8s8_avx512vnni(const GemmProblem& problem, int64_t n_begin, int64_t n_end) {
  constexpr int64_t tile_columns = kTileVectors * kLanes;
  const int64_t block_columns =
      std::max<int64_t>(tile_columns, kWeightBlockBytes / problem.w->k_padded() / tile_columns * tile_columns);
  std::vector<uint8_t> a_panel(static_cast<std::size_t>(kTileRows * problem.w->k_padded()));
  for (int64_t block = n_begin; block < n_end; block += block_columns) {
    const int64_t block_end = std::min(n_end, block + block_columns);
    for (int64_t m0 = 0; m0 < problem.M; m0 += kTileRows) {
      const int64_t rows = std::min<int64_t>(kTileRows, problem.M - m0);
      pack_activation_panel(problem, m0, rows, a_panel.data());
      for (int64_t n0 = block; n0 < block_end; n0 += tile_columns) {
        const int64_t columns = std::min(tile_columns, block_end - n0);
        tile_for(rows, columns)(problem, a_panel.data(), m0, n0, columns);
      }
    }
  }
}

}  // namespace tinytorch::gemm_detail
