// adam_f32_avx2.cpp — Module 06: the Adam kernel, 8 floats at a time (AVX2).
//
// Compiled with AVX2 flags (module.yaml: isa avx2); called only when the CPU
// has AVX2 (adam_kernel()). Same operations in the same order as
// adam_update_f32_ref, so the results are bit-identical; the last n mod 8
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
void adam_update_f32_avx2(const AdamStepScalars& s, float* param, const float* grad, float* m, float* v, int64_t n) {
  // BEGIN SOLUTION
  const __m256 l2 = _mm256_set1_ps(s.l2), decay = _mm256_set1_ps(s.decay);
  const __m256 beta1 = _mm256_set1_ps(s.beta1), one_minus_beta1 = _mm256_set1_ps(s.one_minus_beta1);
  const __m256 beta2 = _mm256_set1_ps(s.beta2), one_minus_beta2 = _mm256_set1_ps(s.one_minus_beta2);
  const __m256 step_size = _mm256_set1_ps(s.step_size), correction = _mm256_set1_ps(s.bias_correction2_sqrt);
  const __m256 eps = _mm256_set1_ps(s.eps);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 p = _mm256_loadu_ps(param + i);
    const __m256 g = _mm256_add_ps(_mm256_loadu_ps(grad + i), _mm256_mul_ps(l2, p));  // (1)
    const __m256 m_new =
        _mm256_add_ps(_mm256_mul_ps(beta1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(one_minus_beta1, g));  // (2)
    const __m256 v_new = _mm256_add_ps(_mm256_mul_ps(beta2, _mm256_loadu_ps(v + i)),
                                       _mm256_mul_ps(one_minus_beta2, _mm256_mul_ps(g, g)));  // (3)
    const __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(v_new), correction), eps);
    const __m256 p_new =
        _mm256_sub_ps(_mm256_mul_ps(p, decay), _mm256_mul_ps(step_size, _mm256_div_ps(m_new, denom)));  // (6)
    _mm256_storeu_ps(m + i, m_new);
    _mm256_storeu_ps(v + i, v_new);
    _mm256_storeu_ps(param + i, p_new);
  }
  adam_update_f32_ref(s, param + i, grad + i, m + i, v + i, n - i);
  // END SOLUTION
}

}  // namespace tinytorch
