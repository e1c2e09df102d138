// requantize.hpp — Module 15: from an int32 accumulator back to float32 or to 8 bits.
//
// The integer GEMM (gemm_u8s8s32.hpp) leaves acc[m, n] = Σ_k (a − z_a)(w − z_w[n])
// at scale s_a·s_w[n]. What the next layer needs is either a float or a uint8/int8
// on its own grid (s_y, z_y):
//
//   float:  y = s_a·s_w[n] · (acc + q_b[n])          (ABOUT.md (5), QuantizedLinear)               (4)
//   8-bit:  y_q = clamp( z_y + round( M[n] · (acc + q_b[n]) ), q_min, q_max ),  M[n] = s_a·s_w[n] / s_y   (5)
//
// q_b = round(b / (s_a·s_w[n])) is the bias on the accumulator's scale.
//
// (5) could be computed in float, but then the result depends on the float
// unit, the compiler's contraction and the vector width. Following Jacob et al.
// 2018 (gemmlowp, TFLite) we compute it in integers only, so every path — the
// reference loop, AVX2, AVX-512, any thread count, any CPU — gives the same byte:
//
//   M = (M0 / 2^31) · 2^(−shift),   M0 an int32 in [2^30, 2^31)     quantize_multiplier()      (6)
//
// M0 carries 31 significant bits of M (relative error ≤ 2^−31). Then
//
//   fixed_point(x) = rounding_divide_by_pot( saturating_rounding_doubling_high_mul(x, M0), shift )   (7)
//
// saturating_rounding_doubling_high_mul(x, M0) = the high 32 bits of 2·x·M0,
// rounded to nearest: x·M0 / 2^31 rounded (halves up, i.e. towards +∞ — the
// gemmlowp code, whose ±2^30 nudge and truncating division come to that); the
// only saturating input pair is x = M0 = −2^31, which (6) never produces.
// rounding_divide_by_pot(v, s) = v / 2^s rounded to nearest, halves away from 0.
// A negative shift (M ≥ 1) first multiplies x by 2^(−shift), saturating to int32 —
// harmless, since a saturated x·M then lies far outside [q_min, q_max] anyway.
//
// Two roundings instead of one: (7) equals round(x·M0 / 2^(31+shift)) except when
// that exact value lies within 2^(−shift−1) of a half-integer, where it may be
// off by 1 (test_requantize.cpp checks exactly that). That happens for about
// 2^(−shift−1) of all inputs — 0.2% at shift 8, 0.01% at shift 12 — and every
// path makes the same choice, so the paths still agree to the bit.
//
// The operations: acc + q_b in int64 (then saturated to int32) — (7) — + z_y in int64 — clamp.
#pragma once
#include <cstdint>
#include <span>

namespace tinytorch {

// ---- the fixed-point multiplier (6) and its arithmetic (7) ------------------------------------
struct FixedPointMultiplier {
  int32_t multiplier = 0;  // M0 in [2^30, 2^31), or 0 for M = 0 (or M < 2^−32: every result rounds to 0)
  int32_t shift = 0;       // right shift in [−31, 31]; negative = left shift (M ≥ 1)
};
// real_multiplier in [0, 2^31): M0 = round(frac · 2^31) with real = frac · 2^exp, frac in
// [0.5, 1), shift = −exp (M0 = 2^31 after rounding is renormalised to 2^30, shift − 1).
// ValueError for a negative, NaN, infinite or too large (≥ 2^31) multiplier.
FixedPointMultiplier quantize_multiplier(double real_multiplier);
// The real number the pair stands for, exactly: multiplier · 2^(−31 − shift).
double fixed_point_value(FixedPointMultiplier m);

// gemmlowp's SaturatingRoundingDoublingHighMul: round(a·b / 2^31), halves up; INT32_MAX for a = b = −2^31.
int32_t saturating_rounding_doubling_high_mul(int32_t a, int32_t b);
// gemmlowp's RoundingDivideByPOT: round(x / 2^exponent), halves away from zero; exponent in [0, 31].
int32_t rounding_divide_by_pot(int32_t x, int32_t exponent);
// (7), with the left shift of a negative shift: ≈ round(x · M).
int32_t multiply_by_fixed_point(int32_t x, FixedPointMultiplier m);

// ---- the epilogues of the GEMM, on a finished int32 matrix --------------------------------------
// Dequantize to float32, (4) — QuantizedLinear's requantize_static / requantize_dynamic:
//   bias_s32 given:  y[m, n] = scale[n] · float(acc[m, n] + bias_s32[n])   (the sum exact, in int64)
//   bias_f32 given:  y[m, n] = scale[n] · float(acc[m, n]) + bias_f32[n]   (a multiply, then an add: no FMA)
//   neither:         y[m, n] = scale[n] · float(acc[m, n])
// scale[n] is s_a · s_w[n] computed in float by the caller (the same float product
// the scalar path uses). Each span holds N values or is empty; not both biases.
struct DequantizeEpilogue {
  std::span<const float> scale;
  std::span<const int32_t> bias_s32;
  std::span<const float> bias_f32;
};

// Requantize to 8 bits with integers only, (5) with (7):
//   y[m, n] = clamp(output_zero_point + multiply_by_fixed_point(sat32(acc[m, n] + bias_s32[n]),
//                                                               {multiplier[n], shift[n]}),
//                   output_min, output_max)
// multiplier/shift: N values each (quantize_multiplier of s_a·s_w[n]/s_y); a fused
// ReLU is output_min = output_zero_point. [output_min, output_max] must lie inside
// the output type ([0, 255] uint8, [−128, 127] int8). bias_s32 holds N values or is empty.
struct RequantizeEpilogue {
  std::span<const int32_t> multiplier;
  std::span<const int32_t> shift;
  std::span<const int32_t> bias_s32;
  int32_t output_zero_point = 0;
  int32_t output_min = 0;
  int32_t output_max = 255;
};

// The references: acc:(M, N) int32 (row stride ld_acc) -> y:(M, N) (row stride ldy), one
// output at a time in the order written above. ValueError / ShapeError for a bad epilogue
// (span sizes, ranges, multiplier or shift out of (6)'s range).
void dequantize_s32_to_f32_ref(int64_t M, int64_t N, const int32_t* acc, int64_t ld_acc,
                               const DequantizeEpilogue& epilogue, float* y, int64_t ldy);
void requantize_s32_to_u8_ref(int64_t M, int64_t N, const int32_t* acc, int64_t ld_acc,
                              const RequantizeEpilogue& epilogue, uint8_t* y, int64_t ldy);
void requantize_s32_to_s8_ref(int64_t M, int64_t N, const int32_t* acc, int64_t ld_acc,
                              const RequantizeEpilogue& epilogue, int8_t* y, int64_t ldy);

// One output of each formula (the GEMM's scalar epilogue calls these, so there is one definition).
float dequantize_one(int32_t acc, float scale, const int32_t* bias_s32, const float* bias_f32);
int32_t requantize_one(int32_t acc, int32_t bias, FixedPointMultiplier m, int32_t output_zero_point,
                       int32_t output_min, int32_t output_max);

// The checks the references and the GEMM share: spans of N values (or empty where
// allowed), a valid multiplier/shift per channel, output_min <= output_max inside
// [type_min, type_max]. `operation` names the caller in the message.
void check_dequantize_epilogue(const DequantizeEpilogue& epilogue, int64_t N, const char* operation);
void check_requantize_epilogue(const RequantizeEpilogue& epilogue, int64_t N, int32_t type_min, int32_t type_max,
                               const char* operation);

}  // namespace tinytorch
