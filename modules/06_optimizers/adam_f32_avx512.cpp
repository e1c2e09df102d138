// adam_f32_avx512.cpp — Module 06: the Adam kernel, 16 floats at a time (AVX-512).
//
// Compiled with AVX-512 flags (module.yaml: isa avx512); called only when the
// CPU has AVX-512 (adam_kernel()). Same operations in the same order as
// adam_update_f32_ref, so the results are bit-identical; the last n mod 16
// elements go through the reference itself.
#include <immintrin.h>

#include "tinytorch/core/adam_kernels.hpp"
#include "tinytorch/core/error.hpp"  // NotImplemented, in the student version

// g++ fuses a multiply and an add into one FMA (one rounding instead of two)
// unless told not to — even when they are written as separate intrinsics. That
// would change the last bit of the results, so it is switched off for this file.
#pragma GCC optimize("fp-contract=off")

namespace tinytorch {

// param, grad, m, v: (n) contiguous, any alignment.
void adam_update_f32_avx512(const AdamStepScalars& s, float* param, const float* grad, float* m, float* v,
                            int64_t n) {
  // BEGIN SOLUTION
  const __m512 l2 = _mm512_set1_ps(s.l2), decay = _mm512_set1_ps(s.decay);
  const __m512 beta1 = _mm512_set1_ps(s.beta1), one_minus_beta1 = _mm512_set1_ps(s.one_minus_beta1);
  const __m512 beta2 = _mm512_set1_ps(s.beta2), one_minus_beta2 = _mm512_set1_ps(s.one_minus_beta2);
  const __m512 step_size = _mm512_set1_ps(s.step_size), correction = _mm512_set1_ps(s.bias_correction2_sqrt);
  const __m512 eps = _mm512_set1_ps(s.eps);
  constexpr __mmask16 kAllLanes = 0xFFFF;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 p = _mm512_loadu_ps(param + i);
    const __m512 g = _mm512_add_ps(_mm512_loadu_ps(grad + i), _mm512_mul_ps(l2, p));  // (1)
    const __m512 m_new =
        _mm512_add_ps(_mm512_mul_ps(beta1, _mm512_loadu_ps(m + i)), _mm512_mul_ps(one_minus_beta1, g));  // (2)
    const __m512 v_new = _mm512_add_ps(_mm512_mul_ps(beta2, _mm512_loadu_ps(v + i)),
                                       _mm512_mul_ps(one_minus_beta2, _mm512_mul_ps(g, g)));  // (3)
    // maskz_sqrt with all 16 lanes on is _mm512_sqrt_ps; GCC 12 warns falsely about the latter.
    const __m512 root = _mm512_maskz_sqrt_ps(kAllLanes, v_new);
    const __m512 denom = _mm512_add_ps(_mm512_div_ps(root, correction), eps);
    const __m512 p_new =
        _mm512_sub_ps(_mm512_mul_ps(p, decay), _mm512_mul_ps(step_size, _mm512_div_ps(m_new, denom)));  // (6)
    _mm512_storeu_ps(m + i, m_new);
    _mm512_storeu_ps(v + i, v_new);
    _mm512_storeu_ps(param + i, p_new);
  }
  adam_update_f32_ref(s, param + i, grad + i, m + i, v + i, n - i);
  // END SOLUTION
}

}  // namespace tinytorch
