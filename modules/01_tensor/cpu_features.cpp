// cpu_features.cpp — CPUID + XGETBV, read once.
#include "tinytorch/core/cpu_features.hpp"

#include <cpuid.h>

#include <cstdint>
#include <cstring>

namespace tinytorch {
namespace {

// XCR0: which register states the OS saves. Bits 1,2 = SSE/AVX (XMM, YMM);
// bits 5,6,7 = AVX-512 (opmask, upper ZMM0-15, ZMM16-31).
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

CpuFeatures detect() {
  CpuFeatures features;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return features;
  const unsigned max_leaf = eax;
  char vendor[13] = {};
  std::memcpy(vendor + 0, &ebx, 4);
  std::memcpy(vendor + 4, &edx, 4);
  std::memcpy(vendor + 8, &ecx, 4);
  features.vendor = vendor;

  __get_cpuid(1, &eax, &ebx, &ecx, &edx);
  const unsigned base_family = (eax >> 8) & 0xF;
  const unsigned base_model = (eax >> 4) & 0xF;
  features.family = static_cast<int>(base_family == 0xF ? base_family + ((eax >> 20) & 0xFF) : base_family);
  features.model = static_cast<int>((base_family == 0xF || base_family == 0x6) ? (((eax >> 16) & 0xF) << 4) | base_model
                                                                               : base_model);
  const bool osxsave = ecx & (1u << 27);
  const uint64_t xcr0 = osxsave ? read_xcr0() : 0;
  const bool os_avx = (xcr0 & 0x6) == 0x6;
  const bool os_avx512 = (xcr0 & 0xE6) == 0xE6;
  features.fma = os_avx && (ecx & (1u << 12));
  features.f16c = os_avx && (ecx & (1u << 29));

  if (max_leaf >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    features.avx2 = os_avx && (ebx & (1u << 5));
    features.avx512f = os_avx512 && (ebx & (1u << 16));
    features.avx512dq = os_avx512 && (ebx & (1u << 17));
    features.avx512bw = os_avx512 && (ebx & (1u << 30));
    features.avx512vl = os_avx512 && (ebx & (1u << 31));
    features.avx512vnni = os_avx512 && (ecx & (1u << 11));
    __cpuid_count(7, 1, eax, ebx, ecx, edx);
    features.avx512bf16 = os_avx512 && (eax & (1u << 5));
  }
  return features;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

std::string cpu_summary() {
  const CpuFeatures& f = cpu_features();
  std::string text = f.vendor + " family " + std::to_string(f.family) + ":";
  if (f.avx2) text += " avx2";
  if (f.fma) text += " fma";
  if (f.f16c) text += " f16c";
  if (f.avx512()) text += " avx512";
  if (f.avx512vnni) text += " avx512vnni";
  if (f.avx512bf16) text += " avx512bf16";
  return text;
}

}  // namespace tinytorch
