// integer_matmul.hpp — Module 15: the integer heart of a quantized Linear.
//
// With x ≈ s_x (q_x − z_x) and W[n, k] ≈ s_w[n] (q_w[n, k] − z_w[n]), one output of
// y = x Wᵀ + b becomes
//
//   y[m, n] ≈ s_x · s_w[n] · Σ_k (q_x[m, k] − z_x)(q_w[n, k] − z_w[n])  +  b[n]
//           = s_x · s_w[n] · ( acc[m, n] + q_b[n] ),   q_b[n] = round(b[n] / (s_x · s_w[n]))     (1)
//
// acc is a sum of K products of 8-bit numbers: each product is below 2^16 in
// magnitude, so an int32 holds K up to 2^15 of them without overflow — the
// multiply-adds run entirely on integers and the float scales are applied once
// per output. This header is the plain scalar reference; the fast kernels
// (module 15's kernels section) must match it bit for bit.
#pragma once
#include <cstdint>
#include <vector>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

// acc[m, n] = Σ_k (a[m, k] − a_zero_point) · (w[n, k] − w_zero_point[n]),
// a:(M, K) uint8 row-major, w:(N, K) int8 row-major, w_zero_point:(N), acc:(M, N) int32.
void integer_matmul_reference(int64_t M, int64_t N, int64_t K, const uint8_t* a, int32_t a_zero_point,
                              const int8_t* w, const int32_t* w_zero_point, int32_t* acc);

// The same on tensors: a:(M, K) uint8 or int8 (an int8 a is shifted by +128 to
// uint8, and its zero point with it — the same real values), w:(N, K) int8,
// w_zero_point: N values -> (M, N) int32. ShapeError / DTypeError naming the shapes.
Tensor integer_matmul(const Tensor& a, int32_t a_zero_point, const Tensor& w,
                      const std::vector<int32_t>& w_zero_point);

}  // namespace tinytorch
