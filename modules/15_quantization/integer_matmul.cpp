// integer_matmul.cpp — Module 15: the tensor form of the integer GEMM (see integer_matmul.hpp).
//
//   acc[m, n] = Σ_k (a[m, k] − z_a) · (w[n, k] − z_w[n])        a:(M,K) uint8  w:(N,K) int8 -> acc:(M,N) int32
//
// The arithmetic lives in gemm_u8s8s32.cpp (its reference gemm_u8s8s32_ref is the
// specification; the dispatched kernels equal it bit for bit). This file checks
// the operands the way a user-facing tensor function must: with z_a in [0, 255]
// and z_w in [−128, 127] each factor lies in [−255, 255], each product in
// [−65025, 65025] (< 2^16), and K ≤ 2^15 of them sum to at most 2,130,739,200 in
// magnitude — below INT32_MAX = 2,147,483,647 — so the int32 sum can never overflow.
//
// An int8 activation tensor (symmetric activations) is moved to uint8 first:
//   a_u8 = a_s8 + 128,  z_u8 = z_s8 + 128,   so  a_u8 − z_u8 = a_s8 − z_s8
// — the same real values s·(a − z), now in the one operand format the kernel takes
// (and the one x86's u8×s8 dot-product instructions take).
#include "tinytorch/perf/integer_matmul.hpp"

#include <string>

#include "tinytorch/perf/gemm_u8s8s32.hpp"

namespace tinytorch {

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

}  // namespace

Tensor integer_matmul(const Tensor& a, int32_t a_zero_point, const Tensor& w,
                      const std::vector<int32_t>& w_zero_point) {
  check_operands(a, a_zero_point, w, w_zero_point);
  // Pack (layout (3) of gemm_u8s8s32.hpp) and run the dispatched kernel; the int8 -> uint8
  // shift of signed activations happens inside gemm_u8s8s32's tensor form.
  const PackedWeightsS8 packed = pack_weights_s8(w, w_zero_point);
  return gemm_u8s8s32(a, a_zero_point, packed);
}

}  // namespace tinytorch
