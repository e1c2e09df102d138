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
// per output.
//
// integer_matmul is the convenient tensor form: it packs w and runs the
// dispatched INT8 GEMM (gemm_u8s8s32.hpp: AVX-512 VNNI, AVX2 or scalar, all
// equal to the reference gemm_u8s8s32_ref bit for bit). A layer that multiplies
// by the same weights many times should pack them once (pack_weights_s8) and
// call gemm_u8s8s32 / gemm_u8s8f32 itself.
#pragma once
#include <cstdint>
#include <vector>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

// acc[m, n] = Σ_k (a[m, k] − a_zero_point) · (w[n, k] − w_zero_point[n]),
// a:(M, K) uint8 or int8 (an int8 a is shifted by +128 to uint8, and its zero
// point with it — the same real values), w:(N, K) int8, w_zero_point: N values
// -> (M, N) int32. K ≤ 32768. ShapeError / DTypeError / ValueError naming the shapes.
Tensor integer_matmul(const Tensor& a, int32_t a_zero_point, const Tensor& w,
                      const std::vector<int32_t>& w_zero_point);

}  // namespace tinytorch
