// weight_only_matmul.cpp — Module 15: the fused / block-conversion driver of the weight-only layers
// (see weight_only_matmul.hpp):
//
//   y[m, n] = Σ_k x[m, k] · Ŵ[n, k] + b[n]                          x:(M,K) Ŵ:(N,K) -> y:(M,N)   (1)
//
//   M small: weights.fused(x, M, b, y)                               the layer's own kernel
//   M large: for each block [n0, n1) of weight rows:
//              scratch = Ŵ[n0:n1] in float32                         weights.convert_rows
//              y[:, n0:n1] = x · scratchᵀ (+ b[n0:n1], preloaded)     sgemm, beta = 1 with a bias
#include "tinytorch/perf/weight_only_matmul.hpp"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "tinytorch/core/blas.hpp"
#include "tinytorch/core/error.hpp"

namespace tinytorch {

namespace {

// The float32 block of the conversion path, one per thread (layers may run on several
// threads at once), kept between calls so a forward pass allocates only its output.
thread_local std::vector<float> converted_block_scratch;

}  // namespace

int64_t weight_only_block_rows(int64_t out_features, int64_t in_features) {
  constexpr int64_t kRowMultiple = 16;  // whole vector tiles of sgemm's N
  const auto round_up = [](int64_t value) { return (value + kRowMultiple - 1) / kRowMultiple * kRowMultiple; };
  const int64_t fitting = kWeightOnlyScratchBytes / (4 * std::max<int64_t>(in_features, 1)) / kRowMultiple * kRowMultiple;
  // As few blocks as fit, then rows spread evenly over them: 256 rows in blocks of at most
  // 80 become 4 x 64, not 80 + 80 + 80 + 16 (a thin last block runs sgemm at a fraction of its speed).
  const int64_t blocks = (out_features + std::max(fitting, kRowMultiple) - 1) / std::max(fitting, kRowMultiple);
  return std::min(round_up((out_features + blocks - 1) / blocks), out_features);
}

void weight_only_matmul_blocked(const float* x, int64_t rows, const WeightOnlyOperand& weights, const float* bias,
                                float* y) {
  const int64_t N = weights.out_features;
  const int64_t K = weights.in_features;
  if (rows == 0) return;
  const int64_t block_rows = weight_only_block_rows(N, K);
  if (static_cast<int64_t>(converted_block_scratch.size()) < block_rows * K) {
    converted_block_scratch.resize(static_cast<std::size_t>(block_rows * K));
  }
  // BEGIN SOLUTION
  float* block = converted_block_scratch.data();
  // The bias first: every block's sgemm then adds its product to it (beta = 1).
  if (bias != nullptr) {
    for (int64_t m = 0; m < rows; ++m) std::copy(bias, bias + N, y + m * N);
  }
  const float beta = bias != nullptr ? 1.0f : 0.0f;
  for (int64_t n0 = 0; n0 < N; n0 += block_rows) {
    const int64_t n1 = std::min(n0 + block_rows, N);
    weights.convert_rows(n0, n1, block);  // block:(n1 − n0, K)
    // y[:, n0:n1] (row stride N) = x:(M, K) · blockᵀ:(K, n1 − n0)
    sgemm(false, true, static_cast<int>(rows), static_cast<int>(n1 - n0), static_cast<int>(K), 1.0f, x,
          static_cast<int>(K), block, static_cast<int>(K), beta, y + n0, static_cast<int>(N));
  }
  // END SOLUTION
}

void weight_only_matmul(const float* x, int64_t rows, const WeightOnlyOperand& weights, const float* bias, float* y) {
  if (rows <= kWeightOnlyFusedMaxRows) {
    weights.fused(x, rows, bias, y);
  } else {
    weight_only_matmul_blocked(x, rows, weights, bias, y);
  }
}

Tensor weight_only_forward(const Tensor& x, const WeightOnlyOperand& weights, const Tensor& bias,
                           const char* operation) {
  if (!x.defined()) throw ValueError(fmt::format("{}: the input is undefined", operation));
  if (x.dtype() != DType::Float32) {
    throw DTypeError(fmt::format("{}: input of dtype {} {}; expected float32 (..., {})", operation,
                                 dtype_name(x.dtype()), shape_str(x.shape()), weights.in_features));
  }
  if (x.dim() == 0 || x.shape().back() != weights.in_features) {
    throw ShapeError(fmt::format("{}: input is {} but the layer has in_features = {}; expected an input (..., {})",
                                 operation, shape_str(x.shape()), weights.in_features, weights.in_features));
  }
  // x:(..., K) is M = numel / K rows of K values; y:(..., N) is M rows of N.
  const Tensor input = x.contiguous();
  const int64_t rows = input.numel() / weights.in_features;
  Shape out_shape = x.shape();
  out_shape.back() = weights.out_features;
  Tensor y = Tensor::empty(out_shape);
  if (rows == 0) return y;
  weight_only_matmul(input.data<float>(), rows, weights, bias.defined() ? bias.data<float>() : nullptr,
                     y.data<float>());
  return y;
}

}  // namespace tinytorch
