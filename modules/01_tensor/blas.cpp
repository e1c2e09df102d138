// blas.cpp — load OpenBLAS at first use, with the right kernels for this CPU.
//
// See blas.hpp for why we dlopen instead of linking. The sequence is:
//   1. choose OPENBLAS_CORETYPE (TINYTORCH_OPENBLAS_CORETYPE, else SkylakeX on AVX-512);
//   2. dlopen libopenblas (its constructor now reads our setting);
//   3. look up cblas_sgemm and friends once.
#include "tinytorch/core/blas.hpp"

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "tinytorch/core/cpu_features.hpp"
#include "tinytorch/core/error.hpp"

namespace tinytorch {
namespace {

// The CBLAS ABI: enums are ints. Row-major = 101, NoTrans = 111, Trans = 112.
constexpr int kCblasRowMajor = 101;
constexpr int kCblasNoTrans = 111;
constexpr int kCblasTrans = 112;

using SgemmFn = void (*)(int, int, int, int, int, int, float, const float*, int, const float*, int, float,
                         float*, int);
using SgemvFn = void (*)(int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
using GetCorenameFn = char* (*)();
using SetThreadsFn = void (*)(int);
using GetThreadsFn = int (*)();

struct OpenBlas {
  std::string library;
  std::string coretype_env;
  std::string replaced_coretype;
  SgemmFn sgemm = nullptr;
  SgemvFn sgemv = nullptr;
  GetCorenameFn get_corename = nullptr;
  SetThreadsFn set_num_threads = nullptr;
  GetThreadsFn get_num_threads = nullptr;
};

// Returns the inherited OPENBLAS_CORETYPE it replaced, if any.
std::string choose_coretype() {
  if (const char* forced = std::getenv("TINYTORCH_OPENBLAS_CORETYPE"); forced != nullptr && *forced != '\0') {
    setenv("OPENBLAS_CORETYPE", forced, /*overwrite=*/1);
    return "";
  }
  if (!cpu_features().avx512()) return "";  // OpenBLAS's own detection is right on older CPUs
  const char* inherited = std::getenv("OPENBLAS_CORETYPE");
  std::string replaced = (inherited != nullptr && std::string(inherited) != "SkylakeX") ? inherited : "";
  setenv("OPENBLAS_CORETYPE", "SkylakeX", /*overwrite=*/1);
  return replaced;
}

OpenBlas load() {
  OpenBlas blas;
  blas.replaced_coretype = choose_coretype();
  const char* env = std::getenv("OPENBLAS_CORETYPE");
  blas.coretype_env = env ? env : "";
  for (const char* candidate : {"libopenblas.so.0", "libopenblas.so"}) {
    void* handle = dlopen(candidate, RTLD_NOW | RTLD_GLOBAL);
    if (handle == nullptr) continue;
    blas.library = candidate;
    blas.sgemm = reinterpret_cast<SgemmFn>(dlsym(handle, "cblas_sgemm"));
    blas.sgemv = reinterpret_cast<SgemvFn>(dlsym(handle, "cblas_sgemv"));
    blas.get_corename = reinterpret_cast<GetCorenameFn>(dlsym(handle, "openblas_get_corename"));
    blas.set_num_threads = reinterpret_cast<SetThreadsFn>(dlsym(handle, "openblas_set_num_threads"));
    blas.get_num_threads = reinterpret_cast<GetThreadsFn>(dlsym(handle, "openblas_get_num_threads"));
    break;
  }
  if (blas.sgemm == nullptr || blas.sgemv == nullptr) {
    throw Error(
        "sgemm: could not load OpenBLAS (libopenblas.so.0 with cblas_sgemm); expected the Debian package "
        "libopenblas0 — run bin/tito (it installs missing packages) or apt-get install libopenblas-dev");
  }
  return blas;
}

const OpenBlas& openblas() {
  static const OpenBlas blas = load();  // thread-safe one-time initialisation
  return blas;
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
           const float* b, int ldb, float beta, float* c, int ldc) {
  const OpenBlas& blas = openblas();
  if (m == 1) {
    // One row: C(1,N) = a(1,K) @ op(B) is a matrix-vector product, and OpenBLAS's
    // sgemv is up to 7x faster than its sgemm for it (a batch-1 Linear at
    // 1024x1024: ~40 vs ~286 us). With B stored row-major:
    //   op(B) = Bᵀ, B:(N,K):  c = B · a     -> sgemv(NoTrans, N rows, K cols)
    //   op(B) = B,  B:(K,N):  c = Bᵀ · a    -> sgemv(Trans,   K rows, N cols)
    // The K elements of row 0 of op(A) are a[k·lda] when A is transposed, else a[k].
    const int a_step = trans_a ? lda : 1;
    if (trans_b) {
      blas.sgemv(kCblasRowMajor, kCblasNoTrans, n, k, alpha, b, ldb, a, a_step, beta, c, 1);
    } else {
      blas.sgemv(kCblasRowMajor, kCblasTrans, k, n, alpha, b, ldb, a, a_step, beta, c, 1);
    }
    return;
  }
  blas.sgemm(kCblasRowMajor, trans_a ? kCblasTrans : kCblasNoTrans, trans_b ? kCblasTrans : kCblasNoTrans,
                   m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

BlasInfo blas_info() {
  const OpenBlas& blas = openblas();
  BlasInfo info;
  info.library = blas.library;
  info.core = blas.get_corename ? blas.get_corename() : "unknown";
  info.coretype_env = blas.coretype_env;
  info.replaced_coretype = blas.replaced_coretype;
  info.num_threads = blas.get_num_threads ? blas.get_num_threads() : 1;
  return info;
}

std::string blas_summary() {
  const BlasInfo info = blas_info();
  std::string text = "OpenBLAS core " + info.core;
  text += info.coretype_env.empty() ? " (auto-detected)" : " (OPENBLAS_CORETYPE=" + info.coretype_env + ")";
  if (!info.replaced_coretype.empty()) {
    text += " [inherited OPENBLAS_CORETYPE=" + info.replaced_coretype +
            " replaced: this CPU has AVX-512; set TINYTORCH_OPENBLAS_CORETYPE to force a core]";
  }
  text += ", " + std::to_string(info.num_threads) + (info.num_threads == 1 ? " thread" : " threads");
  return text;
}

void blas_set_num_threads(int threads) {
  if (threads < 1) throw ValueError("blas_set_num_threads: threads = " + std::to_string(threads) + "; expected >= 1");
  const OpenBlas& blas = openblas();
  if (blas.set_num_threads) blas.set_num_threads(threads);
}

}  // namespace tinytorch
