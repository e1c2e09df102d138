// weight_only_matmul.hpp — Module 15: the driver shared by the weight-only layers (Int4Linear, HalfLinear).
//
// A weight-only layer stores W compressed (int4 nibbles with group scales, or
// 16-bit floats) but computes in float32:
//
//   y[m, n] = Σ_k x[m, k] · Ŵ[n, k] + b[n]          x:(M,K) Ŵ:(N,K) -> y:(M,N)             (1)
//
// Ŵ is never materialised as a whole. Which way is fastest depends on M:
//
//   small M (M <= kWeightOnlyFusedMaxRows): the FUSED kernel of the layer. Each
//     weight is widened to float32 in a register right before its multiply-adds
//     and thrown away. Few rows share each weight, so the time is the time to
//     READ W — and the compressed W is 2x (16-bit) to 7x (int4) fewer bytes than
//     float32. This is where weight-only quantization makes a layer faster.
//
//   large M: BLOCK CONVERSION. Each weight is used by M rows, so the multiply-adds
//     (M·N·K) dominate and nothing beats a tuned float32 GEMM. The driver converts
//     a block of weight rows [n0, n1) into a float32 scratch sized to stay in the
//     L2 cache (convert_rows), multiplies all M rows by it with the FP32 sgemm of
//     core/blas.hpp (y[:, n0:n1] = x · Ŵ[n0:n1]ᵀ), and moves to the next block.
//     Converting costs N·K operations once per call, against 2·M·N·K flops for the
//     GEMM: at M = 1024 it is noise, and at most one block of float32 weights
//     (kWeightOnlyScratchBytes) exists at any time.
//
// (One threshold for both layers: INT4 and FP16 cross over at the same batch size.)
//
// The two paths round differently (the GEMM sums in its own order), each within
// the float32 rounding of (1); tests compare each with (1) computed in double.
//
// Using it (what Int4Linear::forward / HalfLinear::forward do):
//   WeightOnlyOperand w{N, K, fused_kernel, convert_rows};
//   Tensor y = weight_only_forward(x, w, bias, "Int4Linear::forward");
#pragma once
#include <cstdint>
#include <functional>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

// Up to this many rows the fused kernel runs; above it, block conversion + sgemm.
// Measured by benchmarks/bench_int4_linear and bench_half_linear, which time both
// paths at batch 1–32 (784->256 on a Zen 5 core, AVX-512): the fused kernels beat
// the block path up to 32 rows (INT4 97 vs 114 us, FP16 96 vs 111 us at 32) and
// lose at 64 (INT4 195 vs 166 us).
constexpr int64_t kWeightOnlyFusedMaxRows = 32;
// The float32 scratch of the block-conversion path: at most this much of Ŵ exists in
// float32 at a time (half of Zen 5's 1 MiB L2; 784->256 runs as 2 blocks of 128 rows,
// a layer smaller than this is converted whole). 256 KiB (4 blocks of 64) cost 11 %
// at batch 1024: each block's sgemm packs all of x again.
constexpr int64_t kWeightOnlyScratchBytes = 512 * 1024;

// The compressed weights Ŵ:(N, K) as the driver sees them: two functions.
struct WeightOnlyOperand {
  int64_t out_features = 0;  // N
  int64_t in_features = 0;   // K
  // The whole of (1), widening weights in registers: x:(rows, K) -> y:(rows, N); bias may be null.
  std::function<void(const float* x, int64_t rows, const float* bias, float* y)> fused;
  // Rows [n_begin, n_end) of Ŵ as float32 into w_rows:(n_end − n_begin, K), row-major.
  std::function<void(int64_t n_begin, int64_t n_end, float* w_rows)> convert_rows;
};

// How many weight rows one block of the conversion path holds: the N rows split evenly
// into as few blocks as fit in kWeightOnlyScratchBytes, rounded up to a multiple of 16
// (at least 16, at most N).
int64_t weight_only_block_rows(int64_t out_features, int64_t in_features);

// The block-conversion path for any M: (1) by blocks of weight_only_block_rows
// rows, each converted into a per-thread scratch and multiplied by sgemm.
// x:(rows, K), y:(rows, N) row-major; bias (N) or null.
void weight_only_matmul_blocked(const float* x, int64_t rows, const WeightOnlyOperand& weights, const float* bias,
                                float* y);
// (1), choosing the path by rows (see above).
void weight_only_matmul(const float* x, int64_t rows, const WeightOnlyOperand& weights, const float* bias, float* y);

// The tensor form every weight-only layer's forward() is: x:(..., K) float32 ->
// y:(..., N) float32, bias float32 (N) or undefined. DTypeError for a non-float32
// input and ShapeError for a last axis ≠ K, both naming `operation` and the shape.
Tensor weight_only_forward(const Tensor& x, const WeightOnlyOperand& weights, const Tensor& bias,
                           const char* operation);

}  // namespace tinytorch
