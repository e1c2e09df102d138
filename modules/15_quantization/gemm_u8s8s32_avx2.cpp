// gemm_u8s8s32_avx2.cpp — Module 15: the INT8 GEMM on AVX2, exact, with fused epilogues.
//
// Compiled with -mavx2 -mfma -mf16c for this file only; called only when the CPU
// has AVX2 (gemm_u8s8s32.cpp's dispatch). Same results, bit for bit, as the
// scalar path (test_gemm_u8s8s32.cpp).
//
// The pitfall. AVX2's byte dot product vpmaddubsw multiplies u8 × s8 pairs and
// adds each pair into an int16 WITH SATURATION: 255·127 + 255·127 = 64770 does
// not fit in int16 (max 32767), so a GEMM built on it is silently wrong for
// large activations and weights of the same sign. This path never forms an
// int16 sum: it widens both operands to int16 (vpmovzxbw for a, vpmovsxbw for w)
// and uses vpmaddwd, which multiplies int16 pairs and adds each pair into an
// int32 — |a0·w0 + a1·w1| ≤ 2·255·128, exact.
//
// The micro-kernel (gemm_u8s8s32_2x16c4_avx2): MR = 2 rows × one 16-channel
// block of the packed layout (3). The activation rows are widened to int16 once
// per 2-row panel (not once per block). Per group of 4 k, the block's 64 bytes are
// widened a quarter at a time (4 channels × 4 k = 16 int16 = one ymm) and each
// row's 4 activations, broadcast as [a0 a1 a2 a3 a0 a1 …], meet it in one vpmaddwd:
//   [c0: a0w0 + a1w1,  c0: a2w2 + a3w3,  c1: …, c1: …,  c2, c2,  c3, c3]
// so each channel's sum is split over two adjacent int32 lanes. They are added
// once, after the K loop (vphaddd + a lane permute). 2 rows × 4 quarters = 8
// accumulators + 2 broadcasts + 4 weight quarters = 14 of the 16 ymm registers
// (3 rows would need 19: g++ then spills accumulators every step, 25% slower).
//
// Versions: v1 3×16 tile, activations widened per step (120 GOP/s on Zen 5);
// v2 2×16, activations widened once per panel, loops unrolled for g++ (160 GOP/s).
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "tinytorch/perf/gemm_u8s8s32.hpp"

namespace tinytorch::gemm_detail {

namespace {

constexpr int kTileRows = 2;     // MR
constexpr int64_t kBlock = 16;   // PackedWeightsS8::kBlockN: the tile is one block wide
constexpr int64_t kLanes = 8;    // int32 lanes of a ymm
constexpr int64_t kWeightBlockBytes = 512 * 1024;

// The lanes [0, count) set, for the masked loads of the epilogue arrays (N values, not padded).
inline __m256i lane_mask(int64_t count) {
  const __m256i index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int32_t>(std::min<int64_t>(count, kLanes))), index);
}

// ---- (7) lane by lane (see gemm_u8s8s32_avx512vnni.cpp for the derivation) -----------------------

inline __m256i srdhm_avx2(__m256i x, __m256i m0) {
  // BEGIN SOLUTION
  const __m256i nudge = _mm256_set1_epi64x(int64_t{1} << 30);
  const __m256i even = _mm256_add_epi64(_mm256_mul_epi32(x, m0), nudge);
  const __m256i odd = _mm256_add_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), _mm256_srli_epi64(m0, 32)), nudge);
  return _mm256_blend_epi32(_mm256_srli_epi64(even, 31), _mm256_slli_epi64(odd, 1), 0xAA);
  // END SOLUTION
}

inline __m256i rounding_divide_by_pot_avx2(__m256i x, __m256i exponent) {
  // BEGIN SOLUTION
  const __m256i one = _mm256_set1_epi32(1);
  const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, exponent), one);
  const __m256i remainder = _mm256_and_si256(x, mask);
  const __m256i threshold = _mm256_add_epi32(_mm256_srli_epi32(mask, 1), _mm256_srli_epi32(x, 31));
  const __m256i round_up = _mm256_and_si256(_mm256_cmpgt_epi32(remainder, threshold), one);
  return _mm256_add_epi32(_mm256_srav_epi32(x, exponent), round_up);
  // END SOLUTION
}

inline __m256i saturating_left_shift_avx2(__m256i x, __m256i left) {
  // BEGIN SOLUTION
  const __m256i shifted = _mm256_sllv_epi32(x, left);
  const __m256i overflow = _mm256_xor_si256(_mm256_cmpeq_epi32(_mm256_srav_epi32(shifted, left), x),
                                            _mm256_set1_epi32(-1));
  const __m256i saturated = _mm256_blendv_epi8(_mm256_set1_epi32(INT32_MAX), _mm256_set1_epi32(INT32_MIN),
                                               _mm256_srai_epi32(x, 31));  // a whole-lane sign mask
  return _mm256_blendv_epi8(shifted, saturated, overflow);
  // END SOLUTION
}

// ---- the epilogue of one 8-column vector -------------------------------------------------------------

struct ColumnTerms {
  __m256i correction;  // K·z_a·z_w[n] − z_a·Σ_k w[n, k]   (2)
  __m256i zero_point;  // z_w[n]
  __m256i mask;        // lanes whose column exists
  int64_t count = 0;   // how many: 1..8
  __m256 scale, bias_f32;
  __m256i bias_s32;
  __m256i multiplier, left_shift, right_shift;
  bool any_left_shift = false;
};

ColumnTerms column_terms_avx2(const GemmProblem& problem, int64_t n, int64_t count) {
  const PackedWeightsS8& w = *problem.w;
  ColumnTerms terms;
  terms.count = std::min(count, kLanes);
  terms.mask = lane_mask(count);
  terms.zero_point = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.zero_points() + n));  // padded: readable
  // BEGIN SOLUTION
  const __m256i z_a = _mm256_set1_epi32(problem.a_zero_point);
  const __m256i row_sums = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w.row_sums() + n));
  terms.correction = _mm256_sub_epi32(
      _mm256_mullo_epi32(_mm256_mullo_epi32(_mm256_set1_epi32(static_cast<int32_t>(w.k())), z_a), terms.zero_point),
      _mm256_mullo_epi32(z_a, row_sums));
  // END SOLUTION
  terms.bias_s32 = problem.bias_s32 != nullptr ? _mm256_maskload_epi32(problem.bias_s32 + n, terms.mask)
                                               : _mm256_setzero_si256();
  if (problem.output == OutputKind::Float32) {
    terms.scale = _mm256_maskload_ps(problem.scale + n, terms.mask);
    terms.bias_f32 = problem.bias_f32 != nullptr ? _mm256_maskload_ps(problem.bias_f32 + n, terms.mask)
                                                 : _mm256_setzero_ps();
  }
  if (problem.output == OutputKind::Uint8 || problem.output == OutputKind::Int8) {
    const __m256i zero = _mm256_setzero_si256();
    terms.multiplier = _mm256_maskload_epi32(problem.multiplier + n, terms.mask);
    const __m256i shift = _mm256_maskload_epi32(problem.shift + n, terms.mask);
    terms.left_shift = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
    terms.right_shift = _mm256_max_epi32(shift, zero);
    terms.any_left_shift = !_mm256_testz_si256(terms.left_shift, terms.left_shift);
  }
  return terms;
}

// Store the first terms.count lanes of `values` (element size `bytes`) at `out`.
template <typename T>
inline void store_lanes(T* out, const T* values, int64_t count) {
  std::memcpy(out, values, static_cast<std::size_t>(count) * sizeof(T));
}

inline void finish_vector_avx2(const GemmProblem& problem, const ColumnTerms& terms, __m256i raw, __m256i a_row_term,
                               int64_t m, int64_t n) {
  __m256i acc = _mm256_setzero_si256();  // (1) of the 8 columns
  // BEGIN SOLUTION
  acc = _mm256_sub_epi32(_mm256_add_epi32(raw, terms.correction), a_row_term);  // (2) = (1)
  // END SOLUTION
  const int64_t at = m * problem.ldy + n;
  switch (problem.output) {
    case OutputKind::Int32:
      _mm256_maskstore_epi32(static_cast<int32_t*>(problem.y) + at, terms.mask, acc);
      return;
    case OutputKind::Float32: {
      __m256 y = _mm256_setzero_ps();  // (4)
      // BEGIN SOLUTION
      const __m256 product = _mm256_mul_ps(terms.scale, _mm256_cvtepi32_ps(_mm256_add_epi32(acc, terms.bias_s32)));
      y = problem.bias_f32 != nullptr ? _mm256_add_ps(product, terms.bias_f32) : product;
      // END SOLUTION
      _mm256_maskstore_ps(static_cast<float*>(problem.y) + at, terms.mask, y);
      return;
    }
    case OutputKind::Uint8:
    case OutputKind::Int8: {
      __m256i q = _mm256_setzero_si256();  // (5)–(7)
      // BEGIN SOLUTION
      __m256i x = _mm256_add_epi32(acc, terms.bias_s32);
      if (terms.any_left_shift) x = saturating_left_shift_avx2(x, terms.left_shift);
      const __m256i scaled = rounding_divide_by_pot_avx2(srdhm_avx2(x, terms.multiplier), terms.right_shift);
      const __m256i low = _mm256_set1_epi32(problem.output_min - problem.output_zero_point);
      const __m256i high = _mm256_set1_epi32(problem.output_max - problem.output_zero_point);
      q = _mm256_add_epi32(_mm256_min_epi32(_mm256_max_epi32(scaled, low), high),
                           _mm256_set1_epi32(problem.output_zero_point));
      // END SOLUTION
      // 8 int32 already inside the 8-bit range -> 8 bytes (the packs cannot saturate).
      const __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
      alignas(16) uint8_t bytes[16];
      if (problem.output == OutputKind::Uint8) {
        _mm_store_si128(reinterpret_cast<__m128i*>(bytes), _mm_packus_epi16(words, words));
        store_lanes(static_cast<uint8_t*>(problem.y) + at, bytes, terms.count);
      } else {
        _mm_store_si128(reinterpret_cast<__m128i*>(bytes), _mm_packs_epi16(words, words));
        store_lanes(static_cast<int8_t*>(problem.y) + at, reinterpret_cast<const int8_t*>(bytes), terms.count);
      }
      return;
    }
  }
}

// ---- the micro-kernel ---------------------------------------------------------------------------------
//
// (Every loop over the tile's rows and quarters carries "#pragma GCC unroll": g++
// keeps an array of vectors in registers only when those loops are unrolled early.)

// The activation panel: rows [m0, m0 + rows) widened to int16 once (not once per
// 16-column block), K padded to a multiple of 4 with zeros (the weight padding is zero too):
//   panel[r·K_padded + k] = a[m0 + r, k] for k < K, 0 for K <= k < K_padded
// so one 8-byte broadcast gives a row's [a0 a1 a2 a3] in every 64-bit lane.
void pack_activation_panel(const GemmProblem& problem, int64_t m0, int64_t rows, int16_t* panel) {
  const int64_t K = problem.w->k();
  const int64_t k_padded = problem.w->k_padded();
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* row = problem.a + (m0 + r) * problem.lda;
    int16_t* out = panel + r * k_padded;
    for (int64_t k = 0; k < K; ++k) out[k] = row[k];
    for (int64_t k = K; k < k_padded; ++k) out[k] = 0;
  }
}

// Two accumulators of split sums (channels 4q..4q+3, two lanes each) -> one vector of 8 channel sums.
inline __m256i join_pairs(__m256i low_channels, __m256i high_channels) {
  // hadd: [c0 c1 c4 c5 | c2 c3 c6 c7]; the permute puts the 64-bit pairs in order.
  return _mm256_permute4x64_epi64(_mm256_hadd_epi32(low_channels, high_channels), 0b11011000);
}

// Rows [m0, m0 + MR) × the 16-channel block at n0 (columns of them exist):
// a_panel:(MR, K_padded) int16 · packed w:(16, K)ᵀ -> y:(MR, 16)
template <int MR>
void gemm_tile_avx2(const GemmProblem& problem, const int16_t* a_panel, int64_t m0, int64_t n0, int64_t columns) {
  __m256i acc[MR][4];  // [row][quarter of the block]: split sums
#pragma GCC unroll 4
  for (int r = 0; r < MR; ++r)
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) acc[r][q] = _mm256_setzero_si256();

  // BEGIN SOLUTION
  const PackedWeightsS8& w = *problem.w;
  const int64_t k_padded = w.k_padded();
  const int64_t groups = k_padded / PackedWeightsS8::kGroupK;
  const int8_t* block = w.data() + (n0 / kBlock) * (k_padded * kBlock);
  for (int64_t g = 0; g < groups; ++g) {
    __m256i a_broadcast[MR];  // [a0 a1 a2 a3] as int16, in all four 64-bit lanes
#pragma GCC unroll 4
    for (int r = 0; r < MR; ++r) {
      int64_t four;
      std::memcpy(&four, a_panel + r * k_padded + 4 * g, sizeof four);
      a_broadcast[r] = _mm256_set1_epi64x(four);
    }
#pragma GCC unroll 4
    for (int q = 0; q < 4; ++q) {
      // 4 channels × 4 k of group g, widened: [c0k0 c0k1 c0k2 c0k3 c1k0 … c3k3] as int16
      const __m256i w_quarter =
          _mm256_cvtepi8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(block + g * 64 + q * 16)));
#pragma GCC unroll 4
      for (int r = 0; r < MR; ++r) acc[r][q] = _mm256_add_epi32(acc[r][q], _mm256_madd_epi16(a_broadcast[r], w_quarter));
    }
  }
  // END SOLUTION

  __m256i sums[MR][2];  // channels 0..7 and 8..15 of the block
#pragma GCC unroll 4
  for (int r = 0; r < MR; ++r) {
    sums[r][0] = join_pairs(acc[r][0], acc[r][1]);
    sums[r][1] = join_pairs(acc[r][2], acc[r][3]);
  }
  if (problem.bias_needs_int64 && problem.output != OutputKind::Int32) {
    alignas(32) int32_t raw[MR][kBlock];
#pragma GCC unroll 4
    for (int r = 0; r < MR; ++r) {
      _mm256_store_si256(reinterpret_cast<__m256i*>(&raw[r][0]), sums[r][0]);
      _mm256_store_si256(reinterpret_cast<__m256i*>(&raw[r][kLanes]), sums[r][1]);
    }
    finish_tile_scalar(problem, m0, MR, n0, columns, &raw[0][0], kBlock);
    return;
  }
  for (int half = 0; half < 2 && half * kLanes < columns; ++half) {
    const int64_t n = n0 + half * kLanes;
    const ColumnTerms terms = column_terms_avx2(problem, n, columns - half * kLanes);
#pragma GCC unroll 4
    for (int r = 0; r < MR; ++r) {
      const int64_t m = m0 + r;
      const __m256i a_row_term =
          problem.a_row_sums != nullptr
              ? _mm256_mullo_epi32(terms.zero_point, _mm256_set1_epi32(problem.a_row_sums[m]))
              : _mm256_setzero_si256();
      finish_vector_avx2(problem, terms, sums[r][half], a_row_term, m, n);
    }
  }
}

using TileFunction = void (*)(const GemmProblem&, const int16_t*, int64_t, int64_t, int64_t);

TileFunction tile_for(int64_t rows) { return rows == 1 ? gemm_tile_avx2<1> : gemm_tile_avx2<kTileRows>; }

}  // namespace

// a:(M,K) packed w:(N,K) -> y columns [n_begin, n_end)
void gemm_u8s8_avx2(const GemmProblem& problem, int64_t n_begin, int64_t n_end) {
  const int64_t block_columns =
      std::max<int64_t>(kBlock, kWeightBlockBytes / problem.w->k_padded() / kBlock * kBlock);
  std::vector<int16_t> a_panel(static_cast<std::size_t>(kTileRows * problem.w->k_padded()));
  for (int64_t block = n_begin; block < n_end; block += block_columns) {
    const int64_t block_end = std::min(n_end, block + block_columns);
    for (int64_t m0 = 0; m0 < problem.M; m0 += kTileRows) {
      const int64_t rows = std::min<int64_t>(kTileRows, problem.M - m0);
      pack_activation_panel(problem, m0, rows, a_panel.data());
      for (int64_t n0 = block; n0 < block_end; n0 += kBlock) {
        tile_for(rows)(problem, a_panel.data(), m0, n0, std::min(kBlock, block_end - n0));
      }
    }
  }
}

}  // namespace tinytorch::gemm_detail
