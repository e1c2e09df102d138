// int4_linear_avx2.cpp — Module 15: the AVX2 INT4 weight-only kernels (compiled with AVX2 + FMA + F16C).
//
//   y[m, n] = Σ_k x[m, k] · s[n, g(k)] · q[n, k] + b[n]                  x:(M,K) q:(N,K) -> y:(M,N)
//
// AVX2 has 8 float lanes and no 16-entry lookup (vpermps reads 3 index bits), so
// the nibbles are turned into floats by arithmetic: byte & 15 and byte >> 4,
// vcvtdq2ps, then Ŵ = nibble · s + (−8 s) in one FMA — exact, since the true value
// s · (nibble − 8) is a float32 (the same bits as the reference). s and −8 s are
// widened to float32 once per call.
//
// As in the AVX-512 file, x is split once per call into x_even / x_odd (byte j
// holds k = 2j low and 2j + 1 high), so the unpacked lanes need no shuffle.
// One block = 8 bytes = 16 weights (always inside one group: group_size is a
// multiple of 16): vpmovzxbd, vpand / vpsrld, 2 vcvtdq2ps, 2 FMAs for Ŵ, then 2 FMAs
// per row of x. The register tile is R rows of x × NT weight
// rows, as in the AVX-512 file (idea 3 there).
//
// The converter writes Ŵ in k order: 4 bytes -> 8 lanes [b0, b0, b1, b1, …] (vpermd),
// shifted by [0, 4, …] (vpsrlvd), masked, − 8, converted, times s — exact products,
// equal to dequantize_int4_rows_ref to the bit.
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

#include "tinytorch/perf/int4_linear.hpp"

namespace tinytorch {

namespace {

constexpr int64_t kBlockBytes = 8;  // 16 weights

thread_local std::vector<float> scale_scratch;        // s[n, g], then −8·s[n, g]: (2, N, groups)

// s and −8·s as float32, widened once per call, 8 scales per vcvtph2ps. Returns the s
// array; the −8·s array follows it at offset scales.size().
const float* widen_scales(const Int4GroupedWeights& weights) {
  const auto count = static_cast<int64_t>(weights.scales.size());
  if (static_cast<int64_t>(scale_scratch.size()) < 2 * count) scale_scratch.resize(static_cast<std::size_t>(2 * count));
  float* scales = scale_scratch.data();
  float* offsets = scales + count;
  int64_t i = 0;
  for (; i + 8 <= count; i += 8) {
    const __m256 scale = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(weights.scales.data() + i)));
    _mm256_storeu_ps(scales + i, scale);
    _mm256_storeu_ps(offsets + i, _mm256_mul_ps(scale, _mm256_set1_ps(-8.0f)));  // exact: a power of two
  }
  for (; i < count; ++i) {
    scales[i] = _cvtsh_ss(weights.scales[static_cast<std::size_t>(i)]);
    offsets[i] = -8.0f * scales[i];
  }
  return scales;
}

// 8 bytes of a row (fewer at its end, the rest 0) as 8 int32 lanes.
inline __m256i load_block(const uint8_t* packed_row, int64_t byte0, int64_t bytes) {
  if (bytes - byte0 >= kBlockBytes) {
    return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(packed_row + byte0)));
  }
  uint64_t raw = 0;
  std::memcpy(&raw, packed_row + byte0, static_cast<std::size_t>(bytes - byte0));
  return _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(raw)));
}

inline float horizontal_sum(__m256 v) {
  const __m128 halves = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  const __m128 pairs = _mm_add_ps(halves, _mm_movehl_ps(halves, halves));
  return _mm_cvtss_f32(_mm_add_ss(pairs, _mm_movehdup_ps(pairs)));
}

// y[m0 .. m0+R, n0 .. n0+NT]: each decoded block serves R rows of x; 2·R·NT
// independent accumulators hide the FMA latency (see int4_linear_avx512.cpp, idea 3).
template <int R, int NT>
void int4_linear_tile_avx2(const float* split, int64_t padded, const Int4GroupedWeights& weights,
                           const float* scales, int64_t m0, int64_t n0, const float* bias, float* y) {
  // BEGIN SOLUTION
  const int64_t N = weights.out_features;
  const int64_t bytes = weights.bytes_per_row();
  const int64_t groups = weights.groups_per_row();
  const auto offset_start = static_cast<int64_t>(weights.scales.size());  // where −8·s begins
  const __m256i low_nibble = _mm256_set1_epi32(0x0F);
  __m256 acc_even[R][NT], acc_odd[R][NT];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc_even[r][t] = acc_odd[r][t] = _mm256_setzero_ps();
  }
  // Block b (16 weights) lies in group b / (group_size / 16): counted, not divided (a
  // 64-bit division per block would cost more than the block's arithmetic).
  const int64_t blocks_per_group = weights.group_size / 16;
  int64_t group = 0, blocks_left = blocks_per_group;
  for (int64_t byte0 = 0; byte0 < bytes; byte0 += kBlockBytes) {
    __m256 w_even[NT], w_odd[NT];
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      const int64_t n = n0 + t;
      const __m256i lanes = load_block(weights.packed.data() + n * bytes, byte0, bytes);
      // Ŵ = s · (nibble − 8) = nibble · s + (−8 s): one FMA, exact (the true value fits in float32).
      const int64_t index = n * groups + group;
      const __m256 scale = _mm256_broadcast_ss(scales + index);
      const __m256 offset = _mm256_broadcast_ss(scales + offset_start + index);
      w_even[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_and_si256(lanes, low_nibble)), scale, offset);
      w_odd[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_srli_epi32(lanes, 4)), scale, offset);
    }
    if (--blocks_left == 0) {
      blocks_left = blocks_per_group;
      ++group;
    }
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const float* even = split + (m0 + r) * 2 * padded;
      const __m256 x_even = _mm256_loadu_ps(even + byte0);
      const __m256 x_odd = _mm256_loadu_ps(even + padded + byte0);
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) {
        acc_even[r][t] = _mm256_fmadd_ps(w_even[t], x_even, acc_even[r][t]);
        acc_odd[r][t] = _mm256_fmadd_ps(w_odd[t], x_odd, acc_odd[r][t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      const float sum = horizontal_sum(_mm256_add_ps(acc_even[r][t], acc_odd[r][t]));
      y[(m0 + r) * N + n0 + t] = bias != nullptr ? sum + bias[n0 + t] : sum;
    }
  }
  // END SOLUTION
}

template <int R, int NT>
void row_block(const float* split, int64_t padded, const Int4GroupedWeights& weights, const float* scales, int64_t m0,
               const float* bias, float* y) {
  int64_t n0 = 0;
  for (; n0 + NT <= weights.out_features; n0 += NT) {
    int4_linear_tile_avx2<R, NT>(split, padded, weights, scales, m0, n0, bias, y);
  }
  for (; n0 < weights.out_features; ++n0) int4_linear_tile_avx2<R, 1>(split, padded, weights, scales, m0, n0, bias, y);
}

}  // namespace

void int4_linear_avx2(const float* x, int64_t rows, const Int4GroupedWeights& weights, const float* bias,
                      float* y) {
  const int64_t blocks = (weights.bytes_per_row() + kBlockBytes - 1) / kBlockBytes;
  const int64_t padded = blocks * kBlockBytes;  // x_even / x_odd length: 8 lanes per block
  const float* split = split_even_odd_rows(x, rows, weights.in_features, padded);
  const float* scales = widen_scales(weights);
  int64_t m0 = 0;
  for (; m0 + 4 <= rows; m0 += 4) row_block<4, 1>(split, padded, weights, scales, m0, bias, y);
  switch (rows - m0) {
    case 3: row_block<3, 1>(split, padded, weights, scales, m0, bias, y); break;
    case 2: row_block<2, 1>(split, padded, weights, scales, m0, bias, y); break;
    case 1: row_block<1, 2>(split, padded, weights, scales, m0, bias, y); break;
    default: break;
  }
}

void dequantize_int4_rows_avx2(const Int4GroupedWeights& weights, int64_t n_begin, int64_t n_end, float* out) {
  // BEGIN SOLUTION
  const int64_t K = weights.in_features;
  const int64_t bytes = weights.bytes_per_row();
  const __m256i duplicate = _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3);
  const __m256i shifts = _mm256_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4);
  const __m256i low_nibble = _mm256_set1_epi32(0x0F);
  const __m256i eight = _mm256_set1_epi32(8);
  for (int64_t n = n_begin; n < n_end; ++n) {
    const uint8_t* packed_row = weights.packed.data() + n * bytes;
    const uint16_t* scale_row = weights.scales.data() + n * weights.groups_per_row();
    float* out_row = out + (n - n_begin) * K;
    const int64_t octets_per_group = weights.group_size / 8;
    int64_t group = 0, octets_left = octets_per_group;  // counted, not divided (see dot_rows)
    for (int64_t k0 = 0; k0 < K; k0 += 8) {  // 8 weights = 4 bytes, all in one group
      uint32_t raw = 0;
      if (bytes - k0 / 2 >= 4) {
        std::memcpy(&raw, packed_row + k0 / 2, 4);
      } else {
        std::memcpy(&raw, packed_row + k0 / 2, static_cast<std::size_t>(bytes - k0 / 2));
      }
      const __m256i lanes = _mm256_cvtepu8_epi32(_mm_cvtsi32_si128(static_cast<int>(raw)));
      const __m256i nibbles =
          _mm256_and_si256(_mm256_srlv_epi32(_mm256_permutevar8x32_epi32(lanes, duplicate), shifts), low_nibble);
      const __m256 scale = _mm256_set1_ps(_cvtsh_ss(scale_row[group]));
      if (--octets_left == 0) {
        octets_left = octets_per_group;
        ++group;
      }
      const __m256 w = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(nibbles, eight)), scale);
      if (K - k0 >= 8) {
        _mm256_storeu_ps(out_row + k0, w);
      } else {
        alignas(32) float tail[8];
        _mm256_store_ps(tail, w);
        std::copy(tail, tail + (K - k0), out_row + k0);
      }
    }
  }
  // END SOLUTION
}

}  // namespace tinytorch
