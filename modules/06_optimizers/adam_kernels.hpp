// adam_kernels.hpp — Module 06: the Adam update on raw float arrays, and its SIMD twin.
//
// One call updates n contiguous parameters in place (equations (1)-(6) of adam.hpp):
//
//   g = grad + l2 · θ                  l2 = λ for Adam, 0 for AdamW
//   θ = θ · decay                      decay = 1 - ηλ for AdamW, 1 for Adam
//   m = β1 m + (1 - β1) g
//   v = β2 v + (1 - β2) (g · g)
//   θ = θ - step_size · (m / (√v / bias_correction2_sqrt + ε))
//
// adam_update_f32_ref is the specification: a plain loop. Its SIMD twins
// (adam_f32_avx2.cpp, adam_f32_avx512.cpp, each compiled with its ISA's flags)
// do the same operations in the same order on 8 or 16 floats at a time; IEEE
// add, multiply, divide and square root are correctly rounded, so all agree bit
// for bit (the tests check it). The compiler cannot vectorise the scalar loop
// itself (std::sqrt must be able to set errno), and the divide and square root
// are slow one at a time: on the 235,146 parameters of the milestone MLP
// (Zen 5, one thread) one step takes ~600 µs (ref), ~80 µs (avx2), ~45-65 µs (avx512).
#pragma once

#include <cstdint>

namespace tinytorch {

// The per-step constants, computed once per step (in double, then rounded).
struct AdamStepScalars {
  float l2 = 0.0f;                     // λ (Adam) or 0 (AdamW)
  float decay = 1.0f;                  // 1 - ηλ (AdamW) or 1 (Adam)
  float beta1 = 0.9f, one_minus_beta1 = 0.1f;
  float beta2 = 0.999f, one_minus_beta2 = 0.001f;
  float step_size = 0.0f;              // η / (1 - β1^t)
  float bias_correction2_sqrt = 1.0f;  // √(1 - β2^t)
  float eps = 1e-8f;
};

// param, grad, m, v: (n) contiguous.
void adam_update_f32_ref(const AdamStepScalars& s, float* param, const float* grad, float* m, float* v, int64_t n);
// The same, 8 lanes at a time. Call only when cpu_features().avx2 is true.
void adam_update_f32_avx2(const AdamStepScalars& s, float* param, const float* grad, float* m, float* v, int64_t n);
// The same, 16 lanes at a time. Call only when cpu_features().avx512() is true.
void adam_update_f32_avx512(const AdamStepScalars& s, float* param, const float* grad, float* m, float* v,
                            int64_t n);

// The kernel Adam uses, chosen once: the widest the CPU supports (avx512, avx2,
// else ref). TINYTORCH_ADAM_KERNEL=ref or avx2 asks for a narrower one; it can
// never select a kernel the CPU cannot run, and any other value is ignored.
using AdamKernel = void (*)(const AdamStepScalars&, float*, const float*, float*, float*, int64_t);
AdamKernel adam_kernel();
const char* adam_kernel_name();  // "avx512", "avx2" or "ref"

}  // namespace tinytorch
