// int4_linear_avx512.cpp — Module 15: the AVX-512 INT4 weight-only kernels (compiled with AVX-512 F/BW/DQ/VL + FMA).
//
//   y[m, n] = Σ_k x[m, k] · s[n, g(k)] · q[n, k] + b[n]                  x:(M,K) q:(N,K) -> y:(M,N)
//
// Three ideas make unpacking nearly free:
//
// 1. A lookup table instead of arithmetic. A nibble has 16 values, and a zmm
//    register holds 16 floats: table[i] = s · (i − 8), one multiply per group.
//    vpermps picks table[nibble] in 16 lanes at once — and it reads only the low
//    4 bits of each index, so the low nibble needs no mask and the high one only
//    a shift. (When group_size is an odd multiple of 16, lanes 0–7 and 8–15 of a
//    chunk may lie in two groups: then vpermt2ps, which reads 5 bits and picks
//    from two tables, with bit 4 set in lanes 8–15.)
//
// 2. Split x instead of interleaving the weights. Byte j holds k = 2j (low nibble)
//    and k = 2j + 1 (high nibble). Zero-extending 16 bytes gives 16 lanes whose low
//    nibbles are the even k and high nibbles the odd k; rather than shuffling them
//    back into k order for every weight row, x is split ONCE per call into
//    x_even[j] = x[2j] and x_odd[j] = x[2j + 1] (zero-padded), and
//      Σ_k x[k]·Ŵ[k] = Σ_j x_even[j]·Ŵ[2j] + Σ_j x_odd[j]·Ŵ[2j + 1].
//
// 3. Enough independent sums. An FMA takes 4 cycles before its result can be
//    added to again; one row's two accumulators would make the loop wait on that
//    latency. The register tile is R rows of x × NT weight rows (R·NT ≤ 4), so
//    2·R·NT accumulators run side by side; each decoded weight serves R rows of x.
//
// Per chunk of 16 bytes = 32 weights and weight row: vpmovzxbd, vpsrld, 2 vpermps,
// and 2 FMAs per row of x. The scales are widened to float32 once per call.
// A short last chunk is read with a masked load; its padding lanes meet x = 0.
//
// The converter (the block path of weight_only_matmul.hpp) writes Ŵ in k order:
// 8 bytes -> 16 lanes [b0, b0, b1, b1, …] (vpermd), shifted by [0, 4, 0, 4, …]
// (vpsrlvd), looked up (vpermps). The table products s · q are exact, so it equals
// dequantize_int4_rows_ref to the bit.
//
// Versions (784->256, batch 1, against FP32 Linear's ~7 us): v1 one weight row at a time,
// group index k / group_size per chunk: 2 64-bit divisions per chunk cost more than its
// arithmetic (3x slower than FP32). v2 groups counted, one table when group_size % 32 == 0:
// about FP32's time (two FMA chains per row, latency-bound). v3 the R × NT tile and float32
// scales: 4.3 us, 1.7x faster than FP32.

// g++ 12 reports a false "'__Y' may be used uninitialized" inside its own AVX-512
// intrinsic headers wherever they are inlined (GCC bug 105593, fixed in g++ 13).
// Silenced for this file only, before the header is read (as gemm_u8s8s32_avx512vnni.cpp does).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "tinytorch/perf/int4_linear.hpp"

namespace tinytorch {

namespace {

constexpr int64_t kChunkBytes = 16;  // 32 weights
constexpr int64_t kChunkWeights = 32;

thread_local std::vector<float> scale_scratch;        // s[n, g] as float32, (N, groups)

// What every tile reads: x split, the weights, their scales in float32.
struct Operands {
  const float* split = nullptr;  // (rows, 2·padded): x_even then x_odd of each row
  int64_t padded = 0;
  const Int4GroupedWeights* weights = nullptr;
  const float* scales = nullptr;  // (N, groups)
  const float* bias = nullptr;
  float* y = nullptr;
};

// table[i] = s · (i − 8): the 16 values a nibble i can mean in a group of scale s.
inline __m512 group_table(float scale) {
  const __m512 levels = _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
  return _mm512_mul_ps(levels, _mm512_set1_ps(scale));
}

// float16 scales -> float32, 16 at a time (vcvtph2ps).
float* widen_scales(const Int4GroupedWeights& weights) {
  const auto count = static_cast<int64_t>(weights.scales.size());
  if (static_cast<int64_t>(scale_scratch.size()) < count) scale_scratch.resize(static_cast<std::size_t>(count));
  for (int64_t i = 0; i < count; i += 16) {
    const auto mask = static_cast<__mmask16>(count - i >= 16 ? 0xFFFF : (1u << (count - i)) - 1);
    _mm512_mask_storeu_ps(scale_scratch.data() + i, mask,
                          _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(mask, weights.scales.data() + i)));
  }
  return scale_scratch.data();
}

// The chunk at byte0 as 16 int32 lanes (a short last chunk by a masked load: its missing
// bytes are 0, nibble 0, and meet x = 0).
inline __m512i load_chunk(const uint8_t* packed_row, int64_t byte0, int64_t bytes) {
  const int64_t left = bytes - byte0;
  const __m128i raw = left >= kChunkBytes
                          ? _mm_loadu_si128(reinterpret_cast<const __m128i*>(packed_row + byte0))
                          : _mm_maskz_loadu_epi8(static_cast<__mmask16>((1u << left) - 1), packed_row + byte0);
  return _mm512_cvtepu8_epi32(raw);
}

// y[m0 .. m0+R, n0 .. n0+NT]. kOneTablePerChunk: group_size % 32 == 0, so a chunk's
// 32 weights share one group (idea 1).
template <int R, int NT, bool kOneTablePerChunk>
void int4_linear_tile_avx512(const Operands& op, int64_t m0, int64_t n0) {
  // BEGIN SOLUTION
  const Int4GroupedWeights& w = *op.weights;
  const int64_t N = w.out_features;
  const int64_t bytes = w.bytes_per_row();
  const int64_t groups = w.groups_per_row();
  const uint8_t* packed[NT];
  const float* scales[NT];
  __m512 table[NT];
#pragma GCC unroll 8
  for (int t = 0; t < NT; ++t) {
    packed[t] = w.packed.data() + (n0 + t) * bytes;
    scales[t] = op.scales + (n0 + t) * groups;
    table[t] = group_table(scales[t][0]);
  }
  __m512 acc_even[R][NT], acc_odd[R][NT];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) acc_even[r][t] = acc_odd[r][t] = _mm512_setzero_ps();
  }
  // The group of each half chunk (16 weights), counted rather than divided (v1's lesson).
  const int64_t halves_per_group = w.group_size / 16;
  int64_t group = 0;
  int64_t halves_left = halves_per_group;
  const auto next_half = [&] {
    if (--halves_left > 0) return;
    halves_left = halves_per_group;
    if (++group >= groups) return;
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) table[t] = group_table(scales[t][group]);
  };
  for (int64_t byte0 = 0; byte0 < bytes; byte0 += kChunkBytes) {
    __m512 w_even[NT], w_odd[NT];
    if constexpr (kOneTablePerChunk) {
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) {
        const __m512i lanes = load_chunk(packed[t], byte0, bytes);
        w_even[t] = _mm512_permutexvar_ps(lanes, table[t]);  // low 4 bits: the low nibble
        w_odd[t] = _mm512_permutexvar_ps(_mm512_srli_epi32(lanes, 4), table[t]);
      }
      next_half();
      next_half();
    } else {
      __m512 table_a[NT];  // weights k0 .. k0 + 15 (lanes 0–7), k0 = 2 · byte0
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) table_a[t] = table[t];
      next_half();  // table: weights k0 + 16 .. k0 + 31 (lanes 8–15)
      const __m512i second_table = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 16, 16, 16, 16, 16, 16, 16, 16);
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) {
        const __m512i lanes = load_chunk(packed[t], byte0, bytes);
        // index = nibble | 16 in lanes 8..15. 0xEA = (A & B) | C.
        const __m512i index_even = _mm512_ternarylogic_epi32(lanes, _mm512_set1_epi32(0x0F), second_table, 0xEA);
        const __m512i index_odd = _mm512_or_si512(_mm512_srli_epi32(lanes, 4), second_table);
        w_even[t] = _mm512_permutex2var_ps(table_a[t], index_even, table[t]);
        w_odd[t] = _mm512_permutex2var_ps(table_a[t], index_odd, table[t]);
      }
      next_half();
    }
    // byte0 is also the x_even / x_odd index of the chunk's first lane.
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const float* even = op.split + (m0 + r) * 2 * op.padded;
      const __m512 x_even = _mm512_loadu_ps(even + byte0);
      const __m512 x_odd = _mm512_loadu_ps(even + op.padded + byte0);
#pragma GCC unroll 8
      for (int t = 0; t < NT; ++t) {
        acc_even[r][t] = _mm512_fmadd_ps(w_even[t], x_even, acc_even[r][t]);
        acc_odd[r][t] = _mm512_fmadd_ps(w_odd[t], x_odd, acc_odd[r][t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int t = 0; t < NT; ++t) {
      const float sum = _mm512_reduce_add_ps(_mm512_add_ps(acc_even[r][t], acc_odd[r][t]));
      op.y[(m0 + r) * N + n0 + t] = op.bias != nullptr ? sum + op.bias[n0 + t] : sum;
    }
  }
  // END SOLUTION
}

// Rows [m0, m0 + R) of y: weight rows NT at a time, then one at a time.
template <int R, int NT, bool kOneTablePerChunk>
void row_block(const Operands& op, int64_t m0) {
  const int64_t N = op.weights->out_features;
  int64_t n0 = 0;
  for (; n0 + NT <= N; n0 += NT) int4_linear_tile_avx512<R, NT, kOneTablePerChunk>(op, m0, n0);
  for (; n0 < N; ++n0) int4_linear_tile_avx512<R, 1, kOneTablePerChunk>(op, m0, n0);
}

// Rows of x 4 at a time (the weights decoded once for 4 rows), then the 1–3 left over,
// whose tiles are widened along N to keep 8 accumulators.
template <bool kOneTablePerChunk>
void all_rows(const Operands& op, int64_t rows) {
  int64_t m0 = 0;
  for (; m0 + 4 <= rows; m0 += 4) row_block<4, 1, kOneTablePerChunk>(op, m0);
  switch (rows - m0) {
    case 3: row_block<3, 1, kOneTablePerChunk>(op, m0); break;
    case 2: row_block<2, 2, kOneTablePerChunk>(op, m0); break;
    case 1: row_block<1, 4, kOneTablePerChunk>(op, m0); break;
    default: break;
  }
}

}  // namespace

void int4_linear_avx512(const float* x, int64_t rows, const Int4GroupedWeights& weights, const float* bias,
                        float* y) {
  const int64_t chunks = (weights.bytes_per_row() + kChunkBytes - 1) / kChunkBytes;
  Operands op;
  op.padded = chunks * kChunkBytes;  // x_even / x_odd length: 16 lanes per chunk
  op.split = split_even_odd_rows(x, rows, weights.in_features, op.padded);
  op.weights = &weights;
  op.scales = widen_scales(weights);
  op.bias = bias;
  op.y = y;
  if (weights.group_size % kChunkWeights == 0) {
    all_rows<true>(op, rows);
  } else {
    all_rows<false>(op, rows);
  }
}

void dequantize_int4_rows_avx512(const Int4GroupedWeights& weights, int64_t n_begin, int64_t n_end, float* out) {
  // BEGIN SOLUTION
  const int64_t K = weights.in_features;
  const int64_t halves_per_group = weights.group_size / 16;
  const __m512i duplicate = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
  const __m512i shifts = _mm512_setr_epi32(0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4, 0, 4);
  for (int64_t n = n_begin; n < n_end; ++n) {
    const uint8_t* packed_row = weights.packed.data() + n * weights.bytes_per_row();
    const uint16_t* scale_row = weights.scales.data() + n * weights.groups_per_row();
    float* out_row = out + (n - n_begin) * K;
    int64_t group = 0, halves_left = halves_per_group;  // counted, not divided
    __m512 table = group_table(_cvtsh_ss(scale_row[0]));
    for (int64_t k0 = 0; k0 < K; k0 += 16) {  // 16 weights = 8 bytes, all in one group
      const int64_t count = std::min<int64_t>(16, K - k0);
      const int64_t byte_count = (count + 1) / 2;
      const __m128i raw = _mm_maskz_loadu_epi8(static_cast<__mmask16>((1u << byte_count) - 1), packed_row + k0 / 2);
      const __m512i nibbles = _mm512_srlv_epi32(_mm512_permutexvar_epi32(duplicate, _mm512_cvtepu8_epi32(raw)), shifts);
      _mm512_mask_storeu_ps(out_row + k0, static_cast<__mmask16>((1u << count) - 1),
                            _mm512_permutexvar_ps(nibbles, table));
      if (--halves_left == 0 && k0 + 16 < K) {
        halves_left = halves_per_group;
        table = group_table(_cvtsh_ss(scale_row[++group]));
      }
    }
  }
  // END SOLUTION
}

}  // namespace tinytorch
