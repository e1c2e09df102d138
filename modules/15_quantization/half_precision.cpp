// half_precision.cpp — Module 15: the FP16 / BF16 references, the dispatch, and the tensor API.
//
// float32 -> float16 in three ranges of |x| (bits = |x|'s 32 bits):
//   |x| ≥ 65520 (0x477FF000)   rounds to Inf: 65520 is halfway between 65504, the
//                               largest half, and the 65536 the next exponent would give
//   |x| ≥ 2^-14 (0x38800000)   a normal half: re-bias the exponent (subtract
//                               (127 − 15) << 23 from the bits), then RNE on the 13
//                               dropped mantissa bits — the bias trick of (1) in the header
//   below                       a subnormal half k · 2^-24, k = RNE(|x| · 2^24) in [0, 1024]
//                               (1024 = the smallest normal, bits 0x0400, carried naturally)
#include "tinytorch/perf/half_precision.hpp"

#include <bit>
#include <fmt/format.h>

#include "tinytorch/core/error.hpp"

namespace tinytorch {

namespace {

constexpr uint32_t kFloatSignBit = 0x8000'0000u;
constexpr uint32_t kFloatInfBits = 0x7F80'0000u;    // exponent all ones, mantissa 0
constexpr uint32_t kFloatQuietBit = 0x0040'0000u;   // top mantissa bit of a float32
constexpr uint16_t kHalfInfBits = 0x7C00;
constexpr uint16_t kHalfQuietBit = 0x0200;          // top mantissa bit of a float16
constexpr uint16_t kBfloat16QuietBit = 0x0040;      // top mantissa bit of a bfloat16
constexpr uint32_t kHalfOverflowBits = 0x477F'F000u;   // 65520: rounds to Inf
constexpr uint32_t kHalfMinNormalBits = 0x3880'0000u;  // 2^-14
constexpr uint32_t kHalfRoundsToZeroBits = 0x3300'0000u;  // 2^-25: at or below, RNE gives 0
constexpr uint32_t kExponentRebias = (127u - 15u) << 23;    // float32 bias − float16 bias, in place
constexpr float kHalfSubnormalUnit = 0x1p-24f;              // value of the FP16 subnormal bit 0

}  // namespace

// ---- the references ----------------------------------------------------------------------------

uint16_t float32_to_float16_bits(float value) {
  // BEGIN SOLUTION
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((bits & kFloatSignBit) >> 16);
  const uint32_t magnitude = bits & ~kFloatSignBit;
  if (magnitude > kFloatInfBits) {  // NaN: the top 10 mantissa bits, made quiet
    return static_cast<uint16_t>(sign | kHalfInfBits | kHalfQuietBit | ((magnitude >> 13) & 0x3FF));
  }
  if (magnitude >= kHalfOverflowBits) return static_cast<uint16_t>(sign | kHalfInfBits);  // also ±Inf itself
  if (magnitude >= kHalfMinNormalBits) {
    const uint32_t rebased = magnitude - kExponentRebias;  // exponent now biased by 15
    const uint32_t lsb = (rebased >> 13) & 1u;             // the last mantissa bit kept
    return static_cast<uint16_t>(sign | ((rebased + 0x0FFFu + lsb) >> 13));
  }
  if (magnitude <= kHalfRoundsToZeroBits) return sign;  // ±0 (2^-25 itself is a tie -> the even 0)
  // Subnormal: |x| = significand · 2^(exponent − 150) with exponent in [102, 112],
  // so k = |x| · 2^24 = significand >> shift, shift = 126 − exponent in [14, 24].
  const uint32_t significand = (magnitude & 0x007F'FFFFu) | 0x0080'0000u;
  const uint32_t shift = 126u - (magnitude >> 23);
  const uint32_t k = significand >> shift;
  const uint32_t remainder = significand & ((1u << shift) - 1u);
  const uint32_t halfway = 1u << (shift - 1u);
  const bool round_up = remainder > halfway || (remainder == halfway && (k & 1u) != 0);
  return static_cast<uint16_t>(sign | (k + (round_up ? 1u : 0u)));
  // END SOLUTION
}

float float16_bits_to_float32(uint16_t half) {
  // BEGIN SOLUTION
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000) << 16;
  const uint32_t exponent = (half >> 10) & 0x1Fu;
  const uint32_t mantissa = half & 0x3FFu;
  if (exponent == 0x1F) {  // ±Inf (mantissa 0) or NaN (payload kept, made quiet)
    const uint32_t quiet = mantissa != 0 ? kFloatQuietBit : 0u;
    return std::bit_cast<float>(sign | kFloatInfBits | quiet | (mantissa << 13));
  }
  if (exponent == 0) {  // ±0 or subnormal mantissa · 2^-24: exact in float32 (an 11-bit integer times a power of 2)
    const float magnitude = static_cast<float>(mantissa) * kHalfSubnormalUnit;
    return std::bit_cast<float>(sign | std::bit_cast<uint32_t>(magnitude));
  }
  return std::bit_cast<float>(sign | ((exponent << 23) + kExponentRebias) | (mantissa << 13));
  // END SOLUTION
}

uint16_t float32_to_bfloat16_bits(float value) {
  // BEGIN SOLUTION
  const uint32_t bits = std::bit_cast<uint32_t>(value);
  if ((bits & ~kFloatSignBit) > kFloatInfBits) {  // NaN first: (1) could round its payload into Inf
    return static_cast<uint16_t>((bits >> 16) | kBfloat16QuietBit);
  }
  const uint32_t lsb = (bits >> 16) & 1u;
  return static_cast<uint16_t>((bits + 0x7FFFu + lsb) >> 16);  // (1); no carry out: ≤ 0xFF80'7FFF
  // END SOLUTION
}

float bfloat16_bits_to_float32(uint16_t bf16) {
  // BEGIN SOLUTION
  return std::bit_cast<float>(static_cast<uint32_t>(bf16) << 16);
  // END SOLUTION
}

void float32_to_float16_ref(const float* x, int64_t n, uint16_t* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = float32_to_float16_bits(x[i]);
}
void float16_to_float32_ref(const uint16_t* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = float16_bits_to_float32(x[i]);
}
void float32_to_bfloat16_ref(const float* x, int64_t n, uint16_t* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = float32_to_bfloat16_bits(x[i]);
}
void bfloat16_to_float32_ref(const uint16_t* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = bfloat16_bits_to_float32(x[i]);
}

// ---- dispatch ----------------------------------------------------------------------------------

bool half_f16c_supported() {
  const CpuFeatures& cpu = cpu_features();
  return kX86SimdBuilt && cpu.avx2 && cpu.f16c;
}

bool half_avx512bf16_supported() {
  const CpuFeatures& cpu = cpu_features();
  return kX86SimdBuilt && cpu.avx512() && cpu.avx512bf16;
}

HalfKernels half_kernels_for(KernelIsa isa) {
  HalfKernels kernels{float32_to_float16_ref, float16_to_float32_ref, float32_to_bfloat16_ref,
                      bfloat16_to_float32_ref, "ref", "ref"};
  if (isa == KernelIsa::Scalar || !half_f16c_supported()) return kernels;
  kernels.to_float16 = float32_to_float16_f16c;
  kernels.from_float16 = float16_to_float32_f16c;
  kernels.to_bfloat16 = float32_to_bfloat16_avx2;
  kernels.from_bfloat16 = bfloat16_to_float32_avx2;
  kernels.float16_name = "f16c";
  kernels.bfloat16_name = "avx2";
  if (isa == KernelIsa::Avx512Vnni && half_avx512bf16_supported()) {
    kernels.to_bfloat16 = float32_to_bfloat16_avx512bf16;
    kernels.from_bfloat16 = bfloat16_to_float32_avx512;
    kernels.bfloat16_name = "avx512bf16";
  }
  return kernels;
}

const HalfKernels& half_kernels() {
  // The path the GEMM runs on, so TINYTORCH_ISA=scalar makes a run scalar from end to end.
  static const HalfKernels chosen = half_kernels_for(active_kernel_isa());
  return chosen;
}

// ---- tensors -----------------------------------------------------------------------------------

namespace {

Tensor float32_to_half_tensor(const Tensor& float32, DType half_dtype, Float32ToHalfKernel convert,
                              const char* operation) {
  if (float32.dtype() != DType::Float32) {
    throw DTypeError(fmt::format("{}: expected a float32 tensor, got {} with shape {}", operation,
                                 dtype_name(float32.dtype()), shape_str(float32.shape())));
  }
  const Tensor source = float32.contiguous();
  Tensor half = Tensor::empty(source.shape(), half_dtype);
  convert(source.data<float>(), source.numel(), half.data<uint16_t>());
  return half;
}

}  // namespace

Tensor to_float16(const Tensor& float32) {
  return float32_to_half_tensor(float32, DType::Float16, half_kernels().to_float16, "to_float16");
}

Tensor to_bfloat16(const Tensor& float32) {
  return float32_to_half_tensor(float32, DType::BFloat16, half_kernels().to_bfloat16, "to_bfloat16");
}

Tensor half_to_float32(const Tensor& half) {
  if (half.dtype() != DType::Float16 && half.dtype() != DType::BFloat16) {
    throw DTypeError(fmt::format("half_to_float32: expected a float16 or bfloat16 tensor, got {} with shape {}",
                                 dtype_name(half.dtype()), shape_str(half.shape())));
  }
  const Tensor source = half.contiguous();
  Tensor float32 = Tensor::empty(source.shape(), DType::Float32);
  const HalfToFloat32Kernel convert =
      half.dtype() == DType::Float16 ? half_kernels().from_float16 : half_kernels().from_bfloat16;
  convert(source.data<uint16_t>(), source.numel(), float32.data<float>());
  return float32;
}

}  // namespace tinytorch
