// quantize_kernels.cpp — Module 15: the scalar references of the activation kernels, and the dispatch
// (see quantize_kernels.hpp).
//
// The references are the specification: plain loops, one element at a time, in
// the operations of (1) exactly as quantize.cpp's quantize_into writes them.
// The SIMD twins (quantize_kernels_avx2.cpp, quantize_kernels_avx512.cpp) do the
// same IEEE operations on 8 or 16 lanes and hand their last few elements to
// these functions, so every path gives the same bytes.
#include "tinytorch/perf/quantize_kernels.hpp"

#include <algorithm>
#include <cmath>

#include "tinytorch/core/cpu_features.hpp"

namespace tinytorch {

Uint8QuantParams uint8_quant_params(const QParams& params) {
  // int8 and int4 values move to uint8 by +128, and their zero point and range with them:
  // (q + 128) − (z + 128) = q − z, so the real values s·(q − z) are the same.
  const int32_t shift = params.dtype == QDType::UInt8 ? 0 : 128;
  const QuantRange range = params.range();
  return Uint8QuantParams{params.scale.at(0), params.zero_point.at(0) + shift, range.min + shift,
                          range.max + shift};
}

// ---- the references ----------------------------------------------------------------------

// x:(n) float32 -> q:(n) uint8.
bool quantize_f32_u8_ref(const float* x, int64_t n, const Uint8QuantParams& params, uint8_t* q) {
  bool all_finite = true;
  // BEGIN SOLUTION
  const float zero_point = static_cast<float>(params.zero_point);
  const float q_min = static_cast<float>(params.q_min);
  const float q_max = static_cast<float>(params.q_max);
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(x[i])) {  // no integer stands for NaN or ±Inf: report it, write z
      all_finite = false;
      q[i] = static_cast<uint8_t>(params.zero_point);
      continue;
    }
    // (1): nearbyint rounds half to even; the clamp happens in float, so a huge x / s
    // (even +Inf after an overflowing division) lands on q_max before the conversion.
    const float steps = std::nearbyint(x[i] / params.scale);
    q[i] = static_cast<uint8_t>(std::clamp(steps + zero_point, q_min, q_max));
  }
  // END SOLUTION
  return all_finite;
}

// x:(n), n >= 1 -> its range.
FloatRange minmax_f32_ref(const float* x, int64_t n) {
  FloatRange range{x[0], x[0], true};
  // BEGIN SOLUTION
  for (int64_t i = 0; i < n; ++i) {
    range.all_finite = range.all_finite && std::isfinite(x[i]);
    range.min = std::min(range.min, x[i]);
    range.max = std::max(range.max, x[i]);
  }
  // END SOLUTION
  // −0 and +0 compare equal, so which of them a min or max keeps depends on the
  // order of the comparisons; + 0.0f turns −0 into +0 and leaves every other value as is.
  range.min += 0.0f;
  range.max += 0.0f;
  return range;
}

// ---- dispatch --------------------------------------------------------------------------------

QuantizeKernels quantize_kernels_for(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Avx512Vnni:
      return {quantize_f32_u8_avx512, minmax_f32_avx512, "avx512"};
    case KernelIsa::Avx2:
      return {quantize_f32_u8_avx2, minmax_f32_avx2, "avx2"};
    case KernelIsa::Scalar:
      break;
  }
  return {quantize_f32_u8_ref, minmax_f32_ref, "ref"};
}

const QuantizeKernels& quantize_kernels() {
  // The path the GEMM runs on (gemm_u8s8s32.hpp: built ∧ supported by the CPU ∧ not narrowed
  // by TINYTORCH_ISA), decided once: a forced scalar run is scalar from end to end.
  static const QuantizeKernels chosen = quantize_kernels_for(active_kernel_isa());
  return chosen;
}

}  // namespace tinytorch
