// integer_matmul.cpp — Module 15: the scalar reference of the integer GEMM (see integer_matmul.hpp).
//
//   acc[m, n] = Σ_k (a[m, k] − z_a) · (w[n, k] − z_w[n])        a:(M,K) uint8  w:(N,K) int8 -> acc:(M,N) int32
//
// This is the specification every fast kernel is tested against: one multiply-add
// per (m, n, k), in int32, in the plain order of the formula. With z_a in [0, 255]
// and z_w in [−128, 127] each factor lies in [−255, 255], each product in
// [−65025, 65025] (< 2^16), and K ≤ 2^15 of them sum to at most 2,130,739,200 in
// magnitude — below INT32_MAX = 2,147,483,647. The tensor form checks those limits,
// so the int32 sum can never overflow.
//
// An int8 activation tensor (symmetric activations) is moved to uint8 first:
//   a_u8 = a_s8 + 128,  z_u8 = z_s8 + 128,   so  a_u8 − z_u8 = a_s8 − z_s8
// — the same real values s·(a − z), now in the one operand format the kernel takes
// (and the one x86's u8×s8 dot-product instructions take).
#include "tinytorch/perf/integer_matmul.hpp"

#include <string>

namespace tinytorch {

void integer_matmul_reference(int64_t M, int64_t N, int64_t K, const uint8_t* a, int32_t a_zero_point,
                              const int8_t* w, const int32_t* w_zero_point, int32_t* acc) {
  // a:(M,K) w:(N,K) -> acc:(M,N), all row-major.
  // BEGIN SOLUTION
  for (int64_t m = 0; m < M; ++m) {
    const uint8_t* a_row = a + m * K;
    for (int64_t n = 0; n < N; ++n) {
      const int8_t* w_row = w + n * K;
      int32_t sum = 0;
      for (int64_t k = 0; k < K; ++k) {
        sum += (static_cast<int32_t>(a_row[k]) - a_zero_point) * (static_cast<int32_t>(w_row[k]) - w_zero_point[n]);
      }
      acc[m * N + n] = sum;
    }
  }
  // END SOLUTION
}

namespace {

// The deepest K whose worst-case sum still fits an int32 (see the top of this file).
constexpr int64_t kMaxDepth = int64_t{1} << 15;

void check_operands(const Tensor& a, int32_t a_zero_point, const Tensor& w, const std::vector<int32_t>& w_zero_point) {
  if (!a.defined() || !w.defined()) {
    throw ValueError("integer_matmul: an operand is undefined; expected a:(M, K) uint8/int8 and w:(N, K) int8");
  }
  if (a.dtype() != DType::UInt8 && a.dtype() != DType::Int8) {
    throw DTypeError("integer_matmul: a is " + std::string(dtype_name(a.dtype())) + " " + shape_str(a.shape()) +
                     "; expected uint8 or int8 activations");
  }
  if (w.dtype() != DType::Int8) {
    throw DTypeError("integer_matmul: w is " + std::string(dtype_name(w.dtype())) + " " + shape_str(w.shape()) +
                     "; expected int8 weights");
  }
  if (a.dim() != 2 || w.dim() != 2 || a.shape()[1] != w.shape()[1]) {
    throw ShapeError("integer_matmul: a is " + shape_str(a.shape()) + ", w is " + shape_str(w.shape()) +
                     "; expected a:(M, K) and w:(N, K) with the same K");
  }
  const int64_t N = w.shape()[0];
  const int64_t K = w.shape()[1];
  if (static_cast<int64_t>(w_zero_point.size()) != N) {
    throw ShapeError("integer_matmul: " + std::to_string(w_zero_point.size()) + " weight zero points for w " +
                     shape_str(w.shape()) + "; expected N = " + std::to_string(N) + " (one per output row)");
  }
  if (K > kMaxDepth) {
    throw ValueError("integer_matmul: K = " + std::to_string(K) + " for a " + shape_str(a.shape()) + ", w " +
                     shape_str(w.shape()) + "; expected K <= 32768 so that the int32 sum cannot overflow");
  }
  const int32_t a_low = a.dtype() == DType::UInt8 ? 0 : -128;
  const int32_t a_high = a.dtype() == DType::UInt8 ? 255 : 127;
  if (a_zero_point < a_low || a_zero_point > a_high) {
    throw ValueError("integer_matmul: activation zero point " + std::to_string(a_zero_point) + " for " +
                     std::string(dtype_name(a.dtype())) + " activations; expected it in [" + std::to_string(a_low) +
                     ", " + std::to_string(a_high) + "]");
  }
  for (int64_t n = 0; n < N; ++n) {
    const int32_t zero_point = w_zero_point[static_cast<std::size_t>(n)];
    if (zero_point < -128 || zero_point > 127) {
      throw ValueError("integer_matmul: weight zero point " + std::to_string(zero_point) + " of row " +
                       std::to_string(n) + "; expected it in [-128, 127]");
    }
  }
}

// int8 -> uint8 by +128 (flipping the sign bit): a_u8 − (z + 128) = a_s8 − z.
Tensor shift_to_uint8(const Tensor& a_int8) {
  const Tensor source = a_int8.contiguous();
  Tensor shifted = Tensor::empty(source.shape(), DType::UInt8);
  const int8_t* in = source.data<int8_t>();
  uint8_t* out = shifted.data<uint8_t>();
  // BEGIN SOLUTION
  for (int64_t i = 0; i < source.numel(); ++i) out[i] = static_cast<uint8_t>(static_cast<int32_t>(in[i]) + 128);
  // END SOLUTION
  return shifted;
}

}  // namespace

Tensor integer_matmul(const Tensor& a, int32_t a_zero_point, const Tensor& w,
                      const std::vector<int32_t>& w_zero_point) {
  check_operands(a, a_zero_point, w, w_zero_point);
  const bool signed_activations = a.dtype() == DType::Int8;
  const Tensor a_uint8 = signed_activations ? shift_to_uint8(a) : a.contiguous();
  const int32_t a_uint8_zero_point = signed_activations ? a_zero_point + 128 : a_zero_point;  // the same shift
  const Tensor w_rows = w.contiguous();

  const int64_t M = a.shape()[0];
  const int64_t N = w.shape()[0];
  const int64_t K = w.shape()[1];
  Tensor acc = Tensor::empty({M, N}, DType::Int32);
  integer_matmul_reference(M, N, K, a_uint8.data<uint8_t>(), a_uint8_zero_point, w_rows.data<int8_t>(),
                           w_zero_point.data(), acc.data<int32_t>());
  return acc;
}

}  // namespace tinytorch
