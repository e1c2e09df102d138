// blas.hpp — the FP32 matrix multiply, by OpenBLAS.
//
// Why not just link -lopenblas? Debian's OpenBLAS 0.3.21 does not know AMD
// Zen 4/5 and falls back to its Haswell (AVX2) kernels — half the speed of its
// AVX-512 "SkylakeX" kernels on these CPUs. OpenBLAS reads OPENBLAS_CORETYPE
// once, when the library is loaded. So we load it ourselves, on first use
// (dlopen), after choosing the core:
//   * TINYTORCH_OPENBLAS_CORETYPE, if set, is used as given (our explicit knob);
//   * else, on a CPU with AVX-512, OPENBLAS_CORETYPE := SkylakeX — replacing an
//     inherited value (some machines export OPENBLAS_CORETYPE=Haswell globally,
//     which would make every FP32 baseline half as fast); the summary says so;
//   * else OpenBLAS detects the CPU itself.
// Every program of the project gets the fast kernels this way, and
// blas_summary() says which core is in use.
#pragma once

#include <string>

namespace tinytorch {

// C := alpha * op(A) @ op(B) + beta * C, row-major, op(X) = X or X^T.
//   op(A):(m,k)  op(B):(k,n)  C:(m,n); lda/ldb/ldc are row strides in elements.
void sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc);

struct BlasInfo {
  std::string library;    // the file that was loaded
  std::string core;       // OpenBLAS's kernel family, e.g. "SkylakeX" or "Haswell"
  std::string coretype_env;  // OPENBLAS_CORETYPE as OpenBLAS saw it ("" if unset)
  std::string replaced_coretype;  // an inherited OPENBLAS_CORETYPE we replaced ("" if none)
  int num_threads = 1;
};
BlasInfo blas_info();  // loads OpenBLAS if needed
// "OpenBLAS core SkylakeX (OPENBLAS_CORETYPE=SkylakeX), 1 thread" — for program banners.
std::string blas_summary();
// Threads OpenBLAS may use (default: OPENBLAS_NUM_THREADS, else all cores).
void blas_set_num_threads(int threads);

}  // namespace tinytorch
