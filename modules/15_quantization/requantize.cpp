// requantize.cpp — Module 15: the epilogues of the integer GEMM, as plain references (see requantize.hpp).
//
//   (4) float:  y = scale[n] · float(acc + q_b[n])                       dequantize_one()
//   (6) M ≈ (M0 / 2^31) · 2^(−shift)                                      quantize_multiplier()
//   (7) fixed_point(x) = rounding_divide_by_pot(srdhm(x, M0), shift)      multiply_by_fixed_point()
//   (5) 8-bit:  y = clamp(z_y + fixed_point(acc + q_b[n]), q_min, q_max)  requantize_one()
//
// srdhm and rounding_divide_by_pot are gemmlowp's fixedpoint.h functions, line
// for line (including the truncating division and the ±2^30 nudge), so the
// results are those of gemmlowp and TFLite. The SIMD epilogues in
// gemm_u8s8s32_avx2.cpp / _avx512vnni.cpp compute the same integers lane by lane.
#include "tinytorch/perf/requantize.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "tinytorch/core/error.hpp"

namespace tinytorch {

namespace {

constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();
// The right shifts rounding_divide_by_pot accepts, and the left shifts of M ≥ 1.
constexpr int32_t kMaxShift = 31;

[[maybe_unused]] int32_t saturate_to_int32(int64_t value) {
  return static_cast<int32_t>(std::clamp<int64_t>(value, kInt32Min, kInt32Max));
}

}  // namespace

// ---- (6) the fixed-point multiplier -----------------------------------------------------------

FixedPointMultiplier quantize_multiplier(double real_multiplier) {
  if (!std::isfinite(real_multiplier) || real_multiplier < 0.0 || real_multiplier >= 2147483648.0) {
    throw ValueError(fmt::format("quantize_multiplier: real multiplier {}; expected a finite value in [0, 2^31) "
                                 "(s_a·s_w / s_y of a layer)",
                                 real_multiplier));
  }
  // BEGIN SOLUTION
  if (real_multiplier == 0.0) return {0, 0};
  int exponent = 0;
  const double fraction = std::frexp(real_multiplier, &exponent);  // real = fraction · 2^exponent, fraction in [0.5, 1)
  int64_t m0 = std::llround(fraction * 2147483648.0);              // fraction · 2^31, in [2^30, 2^31]
  if (m0 == (int64_t{1} << 31)) {                                  // rounded up to 1.0: renormalise
    m0 /= 2;
    ++exponent;
  }
  const int32_t shift = -exponent;
  if (shift > kMaxShift) return {0, 0};  // M < 2^−32: |x·M| < 1/2 for every int32 x, so every result is 0
  return {static_cast<int32_t>(m0), shift};
  // END SOLUTION
}

double fixed_point_value(FixedPointMultiplier m) {
  return std::ldexp(static_cast<double>(m.multiplier), -31 - m.shift);
}

// ---- (7) the fixed-point arithmetic --------------------------------------------------------------

int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b) {
  // BEGIN SOLUTION
  const bool overflow = a == b && a == kInt32Min;  // (−1)·(−1) = +1 is not representable in Q31
  const int64_t product = int64_t{a} * int64_t{b};
  const int64_t nudge = product >= 0 ? (int64_t{1} << 30) : (1 - (int64_t{1} << 30));
  const int32_t high = static_cast<int32_t>((product + nudge) / (int64_t{1} << 31));  // division truncates
  return overflow ? kInt32Max : high;
  // END SOLUTION
}

int32_t rounding_divide_by_pot(int32_t x, int32_t exponent) {
  if (exponent < 0 || exponent > kMaxShift) {
    throw ValueError(fmt::format("rounding_divide_by_pot: exponent {}; expected 0..31", exponent));
  }
  // BEGIN SOLUTION
  const int32_t mask = static_cast<int32_t>((int64_t{1} << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);  // a negative half rounds away from 0 too
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
  // END SOLUTION
}

int32_t multiply_by_fixed_point(int32_t x, FixedPointMultiplier m) {
  // BEGIN SOLUTION
  const int32_t left_shift = m.shift < 0 ? -m.shift : 0;
  const int32_t right_shift = m.shift > 0 ? m.shift : 0;
  const int32_t shifted = saturate_to_int32(int64_t{x} * (int64_t{1} << left_shift));
  return rounding_divide_by_pot(saturating_rounding_doubling_high_mul(shifted, m.multiplier), right_shift);
  // END SOLUTION
}

// ---- one output ------------------------------------------------------------------------------------

float dequantize_one(int32_t acc, float scale, const int32_t* bias_s32, const float* bias_f32) {
  // BEGIN SOLUTION
  if (bias_s32 != nullptr) return scale * static_cast<float>(int64_t{acc} + *bias_s32);  // the sum in int64: exact
  if (bias_f32 != nullptr) return scale * static_cast<float>(acc) + *bias_f32;
  return scale * static_cast<float>(acc);
  // END SOLUTION
}

int32_t requantize_one(int32_t acc, int32_t bias, FixedPointMultiplier m, int32_t output_zero_point,
                       int32_t output_min, int32_t output_max) {
  // BEGIN SOLUTION
  const int32_t with_bias = saturate_to_int32(int64_t{acc} + bias);
  const int64_t shifted = int64_t{multiply_by_fixed_point(with_bias, m)} + output_zero_point;
  return static_cast<int32_t>(std::clamp<int64_t>(shifted, output_min, output_max));
  // END SOLUTION
}

// ---- checks ----------------------------------------------------------------------------------------

namespace {

template <typename T>
void check_span(std::span<const T> values, int64_t N, bool may_be_empty, const char* operation, const char* what) {
  const auto size = static_cast<int64_t>(values.size());
  if (size == N || (size == 0 && may_be_empty)) return;
  throw ShapeError(fmt::format("{}: {} holds {} values; expected N = {} (one per output column){}", operation, what,
                               size, N, may_be_empty ? " or none" : ""));
}

}  // namespace

void check_dequantize_epilogue(const DequantizeEpilogue& epilogue, int64_t N, const char* operation) {
  check_span(epilogue.scale, N, false, operation, "scale");
  check_span(epilogue.bias_s32, N, true, operation, "bias_s32");
  check_span(epilogue.bias_f32, N, true, operation, "bias_f32");
  if (!epilogue.bias_s32.empty() && !epilogue.bias_f32.empty()) {
    throw ValueError(fmt::format("{}: both an int32 and a float32 bias were given; expected at most one "
                                 "(int32: static mode, float32: dynamic mode)",
                                 operation));
  }
}

void check_requantize_epilogue(const RequantizeEpilogue& epilogue, int64_t N, int32_t type_min, int32_t type_max,
                               const char* operation) {
  check_span(epilogue.multiplier, N, false, operation, "multiplier");
  check_span(epilogue.shift, N, false, operation, "shift");
  check_span(epilogue.bias_s32, N, true, operation, "bias_s32");
  for (int64_t n = 0; n < N; ++n) {
    const int32_t multiplier = epilogue.multiplier[static_cast<std::size_t>(n)];
    const int32_t shift = epilogue.shift[static_cast<std::size_t>(n)];
    const bool valid_multiplier = multiplier == 0 || multiplier >= (int32_t{1} << 30);  // (6): 0 or [2^30, 2^31)
    if (!valid_multiplier || shift < -kMaxShift || shift > kMaxShift) {
      throw ValueError(fmt::format("{}: fixed-point multiplier {} with shift {} for column {}; expected "
                                   "quantize_multiplier's form: M0 = 0 or in [2^30, 2^31), shift in [-31, 31]",
                                   operation, multiplier, shift, n));
    }
  }
  const bool range_ok = type_min <= epilogue.output_min && epilogue.output_min <= epilogue.output_max &&
                        epilogue.output_max <= type_max;
  if (!range_ok || epilogue.output_zero_point < type_min || epilogue.output_zero_point > type_max) {
    throw ValueError(fmt::format("{}: output range [{}, {}] with zero point {}; expected "
                                 "{} <= output_min <= output_max <= {} and the zero point in that type's range",
                                 operation, epilogue.output_min, epilogue.output_max, epilogue.output_zero_point,
                                 type_min, type_max));
  }
}

// ---- the references on matrices ---------------------------------------------------------------------

void dequantize_s32_to_f32_ref(int64_t M, int64_t N, const int32_t* acc, int64_t ld_acc,
                               const DequantizeEpilogue& epilogue, float* y, int64_t ldy) {
  check_dequantize_epilogue(epilogue, N, "dequantize_s32_to_f32_ref");
  const int32_t* bias_s32 = epilogue.bias_s32.empty() ? nullptr : epilogue.bias_s32.data();
  const float* bias_f32 = epilogue.bias_f32.empty() ? nullptr : epilogue.bias_f32.data();
  // acc:(M,N) -> y:(M,N)
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      y[m * ldy + n] = dequantize_one(acc[m * ld_acc + n], epilogue.scale[static_cast<std::size_t>(n)],
                                      bias_s32 != nullptr ? bias_s32 + n : nullptr,
                                      bias_f32 != nullptr ? bias_f32 + n : nullptr);
    }
  }
}

namespace {

// (5) over a matrix, for either 8-bit output type.
template <typename Out>
void requantize_matrix(int64_t M, int64_t N, const int32_t* acc, int64_t ld_acc, const RequantizeEpilogue& epilogue,
                       Out* y, int64_t ldy, const char* operation) {
  check_requantize_epilogue(epilogue, N, std::numeric_limits<Out>::min(), std::numeric_limits<Out>::max(), operation);
  // acc:(M,N) -> y:(M,N)
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      const auto column = static_cast<std::size_t>(n);
      const int32_t bias = epilogue.bias_s32.empty() ? 0 : epilogue.bias_s32[column];
      const FixedPointMultiplier multiplier{epilogue.multiplier[column], epilogue.shift[column]};
      y[m * ldy + n] = static_cast<Out>(requantize_one(acc[m * ld_acc + n], bias, multiplier,
                                                       epilogue.output_zero_point, epilogue.output_min,
                                                       epilogue.output_max));
    }
  }
}

}  // namespace

void requantize_s32_to_u8_ref(int64_t M, int64_t N, const int32_t* acc, int64_t ld_acc,
                              const RequantizeEpilogue& epilogue, uint8_t* y, int64_t ldy) {
  requantize_matrix(M, N, acc, ld_acc, epilogue, y, ldy, "requantize_s32_to_u8_ref");
}

void requantize_s32_to_s8_ref(int64_t M, int64_t N, const int32_t* acc, int64_t ld_acc,
                              const RequantizeEpilogue& epilogue, int8_t* y, int64_t ldy) {
  requantize_matrix(M, N, acc, ld_acc, epilogue, y, ldy, "requantize_s32_to_s8_ref");
}

}  // namespace tinytorch
