// cpu_features.hpp — what this CPU can execute, read once from CPUID.
//
// A feature counts only if the CPU has it AND the operating system saves its
// registers on a context switch (XGETBV): AVX needs XMM+YMM state, AVX-512
// also the opmask and ZMM state. Kernels are chosen from this at run time,
// so one binary runs on any x86-64 and uses the best path it can.
#pragma once

#include <string>

namespace tinytorch {

struct CpuFeatures {
  std::string vendor;      // "AuthenticAMD", "GenuineIntel"
  int family = 0;          // e.g. 25 = Zen 4, 26 = Zen 5
  int model = 0;
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512dq = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  // All of F, BW, DQ, VL: what "AVX-512" means in this project.
  bool avx512() const { return avx512f && avx512bw && avx512dq && avx512vl; }
};

// True when this build contains the x86-64 SIMD translation units (their
// intrinsics exist only there); a kernel's dispatch checks it before the CPU's flags.
#if defined(__x86_64__) || defined(_M_X64)
inline constexpr bool kX86SimdBuilt = true;
#else
inline constexpr bool kX86SimdBuilt = false;
#endif

const CpuFeatures& cpu_features();  // detected once, cached
std::string cpu_summary();          // "AuthenticAMD family 26: avx2 fma f16c avx512 vnni bf16"

}  // namespace tinytorch
