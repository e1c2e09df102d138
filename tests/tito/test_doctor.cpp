// test_doctor.cpp — `tito doctor`'s decisions on made-up machines: /proc/cpuinfo samples,
// the kernel path and OpenBLAS core they give, bin/tito's package list, dpkg-query output,
// versions, the dataset files, the report lines and the exit code.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "fake_project.hpp"
#include "tito/doctor.hpp"
#include "tito/paths.hpp"

namespace tito::testing {
namespace {

bool contains(const std::string& text, const std::string& fragment) { return text.find(fragment) != std::string::npos; }

// ---- /proc/cpuinfo samples (two processors each: only the first is read) -----------------------

// AMD Ryzen 9 7950X: family 25 (0x19), model 97 — Zen 4.
const std::string kZen4 = R"(processor	: 0
vendor_id	: AuthenticAMD
cpu family	: 25
model		: 97
model name	: AMD Ryzen 9 7950X 16-Core Processor
stepping	: 2
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl nonstop_tsc cpuid extd_apicid aperfmperf rapl pni pclmulqdq monitor ssse3 fma cx16 sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand lahf_lm cmp_legacy svm extapic cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw ibs skinit wdt tce topoext perfctr_core perfctr_nb bpext perfctr_llc mwaitx cpb cat_l3 cdp_l3 hw_pstate ssbd mba perfmon_v2 ibrs ibpb stibp ibrs_enhanced vmmcall fsgsbase bmi1 avx2 smep bmi2 erms invpcid cqm rdt_a avx512f avx512dq rdseed adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves cqm_llc cqm_occup_llc cqm_mbm_total cqm_mbm_local avx512_bf16 clzero irperf xsaveerptr rdpru wbnoinvd cppc arat npt lbrv svm_lock nrip_save tsc_scale vmcb_clean flushbyasid decodeassists pausefilter pfthreshold avic v_vmsave_vmload vgif x2avic v_spec_ctrl vnmi avx512vbmi umip pku ospke avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid overflow_recov succor smca fsrm flush_l1d
bogomips	: 8982.90

processor	: 1
vendor_id	: AuthenticAMD
cpu family	: 25
flags		: fpu sse sse2
)";

// AMD EPYC (Turin): family 26 (0x1A), model 2 — Zen 5; as seen in a VM (hypervisor flag).
const std::string kZen5 = R"(processor	: 0
vendor_id	: AuthenticAMD
cpu family	: 26
model		: 2
model name	: AMD EPYC
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx mmxext fxsr_opt pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid extd_apicid tsc_known_freq pni pclmulqdq ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand hypervisor lahf_lm cmp_legacy cr8_legacy abm sse4a misalignsse 3dnowprefetch osvw topoext vmmcall fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid avx512f avx512dq adx smap avx512ifma clflushopt clwb avx512cd sha_ni avx512bw avx512vl xsaveopt xsavec xgetbv1 xsaves avx_vnni avx512_bf16 clzero xsaveerptr arat avx512vbmi umip avx512_vbmi2 gfni vaes vpclmulqdq avx512_vnni avx512_bitalg avx512_vpopcntdq rdpid fsrm avx512_vp2intersect

processor	: 1
vendor_id	: AuthenticAMD
cpu family	: 26
)";

// Intel Core i7-8700 (Coffee Lake): AVX2 + FMA + F16C, no AVX-512.
const std::string kIntelAvx2 = R"(processor	: 0
vendor_id	: GenuineIntel
cpu family	: 6
model		: 158
model name	: Intel(R) Core(TM) i7-8700 CPU @ 3.20GHz
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx pdpe1gb rdtscp lm constant_tsc art arch_perfmon pebs bts rep_good nopl xtopology nonstop_tsc cpuid aperfmperf pni pclmulqdq dtes64 monitor ds_cpl vmx smx est tm2 ssse3 sdbg fma cx16 xtpr pdcm pcid sse4_1 sse4_2 x2apic movbe popcnt tsc_deadline_timer aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault epb invpcid_single pti ssbd ibrs ibpb stibp tpr_shadow vnmi flexpriority ept vpid ept_ad fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid mpx rdseed adx smap clflushopt intel_pt xsaveopt xsavec xgetbv1 xsaves dtherm ida arat pln pts hwp hwp_notify hwp_act_window hwp_epp md_clear flush_l1d

processor	: 1
vendor_id	: GenuineIntel
)";

// A QEMU default CPU: SSE only, no AVX at all.
const std::string kNoAvx = R"(processor	: 0
vendor_id	: GenuineIntel
cpu family	: 6
model		: 6
model name	: QEMU Virtual CPU version 2.5+
flags		: fpu de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pse36 clflush mmx fxsr sse sse2 syscall nx lm rep_good nopl cpuid extd_apicid pni cx16 x2apic hypervisor lahf_lm cmp_legacy

)";

TEST(DoctorCpuinfo, ReadsZen4) {
  const CpuInfo cpu = parse_cpuinfo(kZen4);
  EXPECT_EQ(cpu.vendor, "AuthenticAMD");
  EXPECT_EQ(cpu.family, 25);
  EXPECT_EQ(cpu.model, 97);
  EXPECT_EQ(cpu.model_name, "AMD Ryzen 9 7950X 16-Core Processor");
  EXPECT_TRUE(cpu.avx512());
  EXPECT_TRUE(cpu.has("avx512_vnni"));
  EXPECT_TRUE(cpu.has("avx512_bf16"));
  EXPECT_EQ(cpu_generation(cpu), "Zen 4");
  EXPECT_EQ(cpu_feature_list(cpu), "avx2 fma f16c avx512f avx512bw avx512dq avx512vl avx512_vnni avx512_bf16");
}

TEST(DoctorCpuinfo, ReadsZen5AndOnlyTheFirstProcessor) {
  const CpuInfo cpu = parse_cpuinfo(kZen5);
  EXPECT_EQ(cpu.family, 26);
  EXPECT_EQ(cpu.model, 2);
  EXPECT_EQ(cpu.model_name, "AMD EPYC");
  EXPECT_EQ(cpu_generation(cpu), "Zen 5");
  EXPECT_TRUE(cpu.avx512());
  EXPECT_GT(cpu.flags.size(), 50u);  // the second block's short flag list did not replace the first
  const CheckResult line = cpu_check(cpu);
  EXPECT_EQ(line.status, CheckStatus::ok);
  EXPECT_TRUE(contains(line.detail, "AuthenticAMD family 26 model 2 (Zen 5)")) << line.detail;
}

TEST(DoctorCpuinfo, Family25WithoutAvx512IsZen3) {
  CpuInfo cpu = parse_cpuinfo(kZen4);
  for (const char* flag : {"avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni", "avx512_bf16"}) {
    cpu.flags.erase(flag);
  }
  EXPECT_EQ(cpu_generation(cpu), "Zen 3");
}

TEST(DoctorCpuinfo, ReadsAnAvx2OnlyIntel) {
  const CpuInfo cpu = parse_cpuinfo(kIntelAvx2);
  EXPECT_EQ(cpu.vendor, "GenuineIntel");
  EXPECT_EQ(cpu.family, 6);
  EXPECT_EQ(cpu.model, 158);
  EXPECT_FALSE(cpu.avx512());
  EXPECT_TRUE(cpu.has("avx2"));
  EXPECT_EQ(cpu_generation(cpu), "");
  EXPECT_EQ(cpu_feature_list(cpu), "avx2 fma f16c");
}

TEST(DoctorCpuinfo, ReadsACpuWithoutAvx) {
  const CpuInfo cpu = parse_cpuinfo(kNoAvx);
  EXPECT_FALSE(cpu.has("avx"));
  EXPECT_EQ(cpu_feature_list(cpu), "");
  EXPECT_TRUE(contains(cpu_check(cpu).detail, "no AVX2, FMA or AVX-512"));
}

TEST(DoctorCpuinfo, EmptyTextGivesAnEmptyCpu) {
  const CpuInfo cpu = parse_cpuinfo("");
  EXPECT_EQ(cpu.family, 0);
  EXPECT_TRUE(cpu.flags.empty());
}

// ---- the INT8 kernel path ------------------------------------------------------------------------

TEST(DoctorKernelPath, BestPathPerCpu) {
  EXPECT_EQ(choose_kernel_path(parse_cpuinfo(kZen4), nullptr).path, KernelPath::avx512vnni);
  EXPECT_EQ(choose_kernel_path(parse_cpuinfo(kZen5), "").path, KernelPath::avx512vnni);
  EXPECT_EQ(choose_kernel_path(parse_cpuinfo(kIntelAvx2), nullptr).path, KernelPath::avx2);
  EXPECT_EQ(choose_kernel_path(parse_cpuinfo(kNoAvx), nullptr).path, KernelPath::scalar);
}

TEST(DoctorKernelPath, Avx512WithoutVnniUsesAvx2) {
  CpuInfo cpu = parse_cpuinfo(kZen4);
  cpu.flags.erase("avx512_vnni");  // e.g. Skylake-SP
  EXPECT_EQ(choose_kernel_path(cpu, nullptr).path, KernelPath::avx2);
  cpu.flags.erase("fma");  // the AVX2 unit is compiled with -mfma too
  EXPECT_EQ(choose_kernel_path(cpu, nullptr).path, KernelPath::scalar);
}

TEST(DoctorKernelPath, HonoursTinytorchIsaLikeTheLibrary) {
  const CpuInfo zen4 = parse_cpuinfo(kZen4);
  const KernelPathChoice narrowed = choose_kernel_path(zen4, "AVX2");  // case-insensitive
  EXPECT_EQ(narrowed.path, KernelPath::avx2);
  EXPECT_EQ(narrowed.best, KernelPath::avx512vnni);
  EXPECT_TRUE(narrowed.warning.empty());

  const KernelPathChoice unsupported = choose_kernel_path(parse_cpuinfo(kIntelAvx2), "avx512vnni");
  EXPECT_EQ(unsupported.path, KernelPath::avx2);
  EXPECT_TRUE(contains(unsupported.warning, "does not support it; the library uses avx2"));

  const KernelPathChoice unknown = choose_kernel_path(zen4, "sse9");
  EXPECT_EQ(unknown.path, KernelPath::avx512vnni);
  EXPECT_TRUE(contains(unknown.warning, "unknown path"));
}

TEST(DoctorKernelPath, CheckLines) {
  const CpuInfo zen5 = parse_cpuinfo(kZen5);
  const CheckResult best = kernel_path_check(zen5, nullptr);
  EXPECT_EQ(best.status, CheckStatus::ok);
  EXPECT_TRUE(best.detail.starts_with("avx512vnni")) << best.detail;
  EXPECT_TRUE(contains(best.detail, "BF16 avx512bf16")) << best.detail;

  const CheckResult forced = kernel_path_check(zen5, "scalar");
  EXPECT_EQ(forced.status, CheckStatus::warn);
  EXPECT_EQ(forced.fix, "unset TINYTORCH_ISA");

  const CheckResult intel = kernel_path_check(parse_cpuinfo(kIntelAvx2), nullptr);
  EXPECT_EQ(intel.status, CheckStatus::ok);
  EXPECT_TRUE(intel.detail.starts_with("avx2")) << intel.detail;
  EXPECT_TRUE(contains(intel.detail, "FP16 f16c, BF16 avx2")) << intel.detail;

  const CheckResult old = kernel_path_check(parse_cpuinfo(kNoAvx), nullptr);
  EXPECT_EQ(old.status, CheckStatus::ok);  // nothing to fix: the scalar path is correct
  EXPECT_TRUE(old.detail.starts_with("scalar")) << old.detail;

  const CheckResult impossible = kernel_path_check(parse_cpuinfo(kNoAvx), "avx2");
  EXPECT_EQ(impossible.status, CheckStatus::warn);
  EXPECT_TRUE(contains(impossible.fix, "unset TINYTORCH_ISA (or set it to a path this CPU has: scalar)")) << impossible.fix;
}

// ---- the OpenBLAS core ---------------------------------------------------------------------------

TEST(DoctorOpenBlas, DecisionFollowsBlasCpp) {
  const CpuInfo zen4 = parse_cpuinfo(kZen4);
  const CpuInfo intel = parse_cpuinfo(kIntelAvx2);

  // AVX-512: SkylakeX, replacing whatever was inherited.
  OpenBlasCoreDecision d = decide_openblas_core(zen4, nullptr, nullptr);
  EXPECT_EQ(d.coretype, "SkylakeX");
  EXPECT_EQ(d.source, "tinytorch (AVX-512 CPU)");
  EXPECT_EQ(d.replaced, "");
  d = decide_openblas_core(zen4, "Haswell", nullptr);
  EXPECT_EQ(d.coretype, "SkylakeX");
  EXPECT_EQ(d.replaced, "Haswell");
  d = decide_openblas_core(zen4, "SkylakeX", nullptr);
  EXPECT_EQ(d.replaced, "");

  // TINYTORCH_OPENBLAS_CORETYPE wins everywhere, as given.
  d = decide_openblas_core(zen4, "SkylakeX", "Haswell");
  EXPECT_EQ(d.coretype, "Haswell");
  EXPECT_EQ(d.source, "TINYTORCH_OPENBLAS_CORETYPE");
  d = decide_openblas_core(intel, nullptr, "Sandybridge");
  EXPECT_EQ(d.coretype, "Sandybridge");

  // Without AVX-512 the library leaves OpenBLAS alone: inherited value, else auto-detection.
  d = decide_openblas_core(intel, "Haswell", nullptr);
  EXPECT_EQ(d.coretype, "Haswell");
  EXPECT_EQ(d.source, "OPENBLAS_CORETYPE");
  d = decide_openblas_core(intel, nullptr, "");
  EXPECT_FALSE(d.coretype.has_value());
  EXPECT_EQ(d.source, "auto-detection");
  d = decide_openblas_core(intel, "", nullptr);
  EXPECT_FALSE(d.coretype.has_value());
}

TEST(DoctorOpenBlas, CoreTiers) {
  EXPECT_EQ(openblas_core_tier("SkylakeX"), 3);
  EXPECT_EQ(openblas_core_tier("skylakex"), 3);  // OpenBLAS compares without case
  EXPECT_EQ(openblas_core_tier("Cooperlake"), 3);
  EXPECT_EQ(openblas_core_tier("Haswell"), 2);
  EXPECT_EQ(openblas_core_tier("Zen"), 2);
  EXPECT_EQ(openblas_core_tier("Sandybridge"), 1);
  EXPECT_EQ(openblas_core_tier("Nehalem"), 0);
  EXPECT_FALSE(openblas_core_tier("Zen4").has_value());
  EXPECT_EQ(best_openblas_tier(parse_cpuinfo(kZen5)), 3);
  EXPECT_EQ(best_openblas_tier(parse_cpuinfo(kIntelAvx2)), 2);
  EXPECT_EQ(best_openblas_tier(parse_cpuinfo(kNoAvx)), 0);
  EXPECT_TRUE(openblas_core_runs_on("Cooperlake", parse_cpuinfo(kZen4)));
  EXPECT_FALSE(openblas_core_runs_on("SkylakeX", parse_cpuinfo(kIntelAvx2)));
  EXPECT_FALSE(openblas_core_runs_on("SapphireRapids", parse_cpuinfo(kZen4)));  // no AMX
}

OpenBlasProbe probe_reporting(const std::string& core) {
  return OpenBlasProbe{core, "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH NO_AFFINITY " + core + " MAX_THREADS=64",
                       "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblasp-r0.3.21.so", ""};
}

CheckResult core_check(const std::string& cpuinfo, const char* openblas, const char* tinytorch,
                       std::optional<std::string> reported) {
  const CpuInfo cpu = parse_cpuinfo(cpuinfo);
  std::optional<OpenBlasProbe> probe;
  if (reported) probe = probe_reporting(*reported);
  return openblas_core_check(cpu, decide_openblas_core(cpu, openblas, tinytorch), probe, /*as_root=*/false);
}

TEST(DoctorOpenBlas, Avx512CpuGetsSkylakeXAndNotesAReplacedSetting) {
  const CheckResult clean = core_check(kZen5, nullptr, nullptr, "SkylakeX");
  EXPECT_EQ(clean.status, CheckStatus::ok);
  EXPECT_TRUE(clean.detail.starts_with("core SkylakeX (OPENBLAS_CORETYPE=SkylakeX set by tinytorch")) << clean.detail;
  EXPECT_TRUE(contains(clean.detail, "OpenBLAS 0.3.21")) << clean.detail;

  const CheckResult replaced = core_check(kZen5, "Haswell", nullptr, "SkylakeX");
  EXPECT_EQ(replaced.status, CheckStatus::ok);  // the library is not slowed by it
  EXPECT_TRUE(contains(replaced.detail, "inherited OPENBLAS_CORETYPE=Haswell is replaced")) << replaced.detail;
}

TEST(DoctorOpenBlas, WarnsWhenTinytorchVariableForcesASlowerCore) {
  const CheckResult slower = core_check(kZen4, nullptr, "Haswell", "Haswell");
  EXPECT_EQ(slower.status, CheckStatus::warn);
  EXPECT_TRUE(contains(slower.detail, "core Haswell forced by $TINYTORCH_OPENBLAS_CORETYPE")) << slower.detail;
  EXPECT_EQ(slower.fix, "unset TINYTORCH_OPENBLAS_CORETYPE (tinytorch then uses SkylakeX)");

  const CheckResult same_tier = core_check(kZen4, nullptr, "Cooperlake", "Cooperlake");
  EXPECT_EQ(same_tier.status, CheckStatus::ok);
}

TEST(DoctorOpenBlas, WarnsWhenAnInheritedSettingSlowsANonAvx512Cpu) {
  const CheckResult slower = core_check(kIntelAvx2, "Sandybridge", nullptr, "Sandybridge");
  EXPECT_EQ(slower.status, CheckStatus::warn);
  EXPECT_EQ(slower.fix, "unset OPENBLAS_CORETYPE (OpenBLAS then detects the core itself)");

  const CheckResult right = core_check(kIntelAvx2, "Haswell", nullptr, "Haswell");
  EXPECT_EQ(right.status, CheckStatus::ok);
}

TEST(DoctorOpenBlas, ProblemWhenTheCoreCannotRunOnThisCpu) {
  const CheckResult cannot = core_check(kIntelAvx2, nullptr, "SkylakeX", std::nullopt);
  EXPECT_EQ(cannot.status, CheckStatus::problem);
  EXPECT_TRUE(contains(cannot.detail, "needs instructions this CPU lacks")) << cannot.detail;
  EXPECT_EQ(cannot.fix, "unset TINYTORCH_OPENBLAS_CORETYPE");
}

TEST(DoctorOpenBlas, UnknownOrIgnoredNames) {
  const CheckResult unknown = core_check(kZen4, nullptr, "Zen4", "Cooperlake");
  EXPECT_EQ(unknown.status, CheckStatus::warn);
  EXPECT_TRUE(contains(unknown.detail, "not a core OpenBLAS knows")) << unknown.detail;

  // Known to newer OpenBLAS, not to this one: the probe reports what it fell back to.
  CpuInfo with_amx = parse_cpuinfo(kZen5);
  with_amx.flags.insert("amx_bf16");
  const CheckResult ignored = openblas_core_check(with_amx, decide_openblas_core(with_amx, nullptr, "SapphireRapids"),
                                                  probe_reporting("Cooperlake"), false);
  EXPECT_EQ(ignored.status, CheckStatus::warn);
  EXPECT_TRUE(contains(ignored.detail, "but OpenBLAS reports core Cooperlake")) << ignored.detail;
}

TEST(DoctorOpenBlas, AutoDetectionAndLoadFailures) {
  const CheckResult detected = core_check(kIntelAvx2, nullptr, nullptr, "Haswell");
  EXPECT_EQ(detected.status, CheckStatus::ok);
  EXPECT_TRUE(detected.detail.starts_with("core Haswell (auto-detected")) << detected.detail;

  const CheckResult too_old = core_check(kIntelAvx2, nullptr, nullptr, "Prescott");
  EXPECT_EQ(too_old.status, CheckStatus::warn);
  EXPECT_EQ(too_old.fix, "export TINYTORCH_OPENBLAS_CORETYPE=Haswell");

  const CpuInfo cpu = parse_cpuinfo(kZen4);
  OpenBlasProbe missing;
  missing.error = "libopenblas.so.0 not found";
  const CheckResult failed = openblas_core_check(cpu, decide_openblas_core(cpu, nullptr, nullptr), missing, false);
  EXPECT_EQ(failed.status, CheckStatus::problem);
  EXPECT_EQ(failed.fix, "sudo apt-get install -y libopenblas-dev");
}

// ---- bin/tito's packages and dpkg-query ----------------------------------------------------------

TEST(DoctorPackages, ReadsTheBootstrapArray) {
  const std::string script = R"(#!/usr/bin/env bash
# mentions PACKAGES=(in a comment) but not at a word start: xPACKAGES=(nope)
readonly PACKAGES=(
  build-essential g++ cmake   # the toolchain
  libopenblas-dev
  # a whole comment line
  dataset-fashion-mnist)
other=(not-a-package)
)";
  EXPECT_EQ(bootstrap_packages(script),
            (std::vector<std::string>{"build-essential", "g++", "cmake", "libopenblas-dev", "dataset-fashion-mnist"}));
  EXPECT_THROW(bootstrap_packages("#!/bin/sh\necho no list\n"), Error);
  EXPECT_THROW(bootstrap_packages("PACKAGES=(a b\n"), Error);
}

TEST(DoctorPackages, ReadsTheRealBinTito) {
  const std::optional<std::string> script = [] {
    std::ifstream in(locate_workspace().root / "bin" / "tito");  // this checkout's
    if (!in) return std::optional<std::string>();
    std::ostringstream text;
    text << in.rdbuf();
    return std::optional<std::string>(text.str());
  }();
  ASSERT_TRUE(script.has_value());
  const std::vector<std::string> packages = bootstrap_packages(*script);
  EXPECT_GE(packages.size(), 10u);
  EXPECT_NE(std::find(packages.begin(), packages.end(), "libopenblas-dev"), packages.end());
  EXPECT_NE(std::find(packages.begin(), packages.end(), "dataset-fashion-mnist"), packages.end());
}

TEST(DoctorPackages, InstalledOnlyWhenStatusIsIi) {
  const auto installed = installed_packages(
      "ii  cmake 3.25.1-1\n"
      "rc  libfmt-dev 9.1.0+ds1-2\n"
      "un  libdnnl-dev \n"
      "ii  g++ 4:12.2.0-3\n"
      "iU  half-done 1.0\n");
  EXPECT_EQ(installed.size(), 2u);
  EXPECT_EQ(installed.at("cmake"), "3.25.1-1");
  EXPECT_EQ(installed.at("g++"), "4:12.2.0-3");
  EXPECT_EQ(installed.count("libfmt-dev"), 0u);
}

TEST(DoctorPackages, OneLinePerPackageWithTheAptLine) {
  const std::vector<CheckResult> results =
      package_checks({"cmake", "libdnnl-dev"}, {{"cmake", "3.25.1-1"}}, /*as_root=*/false);
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].check, "package cmake");
  EXPECT_EQ(results[0].status, CheckStatus::ok);
  EXPECT_EQ(results[0].detail, "installed 3.25.1-1");
  EXPECT_EQ(results[1].status, CheckStatus::problem);
  EXPECT_EQ(results[1].fix, "sudo apt-get install -y libdnnl-dev");
  EXPECT_EQ(apt_install_line({"a", "b"}, /*as_root=*/true), "apt-get install -y a b");
}

// ---- versions, compiler, CMake -------------------------------------------------------------------

TEST(DoctorVersions, FindsAndCompares) {
  EXPECT_EQ(find_version("cmake version 3.25.1"), (std::vector<int>{3, 25, 1}));
  EXPECT_EQ(find_version("g++ (Debian 12.2.0-14+deb12u1) 12.2.0"), (std::vector<int>{12, 2, 0}));
  EXPECT_EQ(find_version("x86_64-linux-gnu-g++-13 (Ubuntu 13.1.0) 13.1.0"), (std::vector<int>{13, 1, 0}));
  EXPECT_FALSE(find_version("no version here 12").has_value());
  EXPECT_EQ(compare_versions({3, 25}, {3, 25, 0}), 0);
  EXPECT_EQ(compare_versions({3, 24, 9}, {3, 25}), -1);
  EXPECT_EQ(compare_versions({3, 100}, {3, 25}), 1);  // numeric, not text
  EXPECT_EQ(compare_versions({4}, {3, 99, 99}), 1);
  EXPECT_EQ(version_string({3, 25, 1}), "3.25.1");
}

TEST(DoctorVersions, CmakeAtLeast325) {
  EXPECT_EQ(assess_cmake_version("cmake version 3.25.1\n\nCMake suite maintained and supported by Kitware\n").status,
            CheckStatus::ok);
  EXPECT_EQ(assess_cmake_version("cmake version 3.28.0-rc2\n").status, CheckStatus::ok);
  const CheckResult old = assess_cmake_version("cmake version 3.18.4\n");
  EXPECT_EQ(old.status, CheckStatus::problem);
  EXPECT_TRUE(contains(old.detail, "cmake 3.18.4: 3.25 or newer needed")) << old.detail;
  EXPECT_TRUE(contains(old.fix, "sudo apt-get install -y cmake"));
  EXPECT_EQ(assess_cmake_version("").status, CheckStatus::problem);  // not installed
}

TEST(DoctorVersions, CompilerGcc12OrNewer) {
  const CheckResult gcc12 = assess_compiler_version("/usr/bin/c++", "c++ (Debian 12.2.0-14+deb12u1) 12.2.0\n"
                                                                     "Copyright (C) 2022 Free Software Foundation, Inc.\n");
  EXPECT_EQ(gcc12.status, CheckStatus::ok);
  EXPECT_TRUE(gcc12.detail.starts_with("g++ 12.2.0 (/usr/bin/c++)")) << gcc12.detail;
  const CheckResult gcc10 = assess_compiler_version("g++", "g++ (Debian 10.2.1-6) 10.2.1 20210110\n");
  EXPECT_EQ(gcc10.status, CheckStatus::problem);
  EXPECT_TRUE(contains(gcc10.detail, "older than g++ 12")) << gcc10.detail;
  const CheckResult clang = assess_compiler_version("clang++", "Debian clang version 14.0.6\nTarget: x86_64\n");
  EXPECT_EQ(clang.status, CheckStatus::ok);
  EXPECT_TRUE(clang.detail.starts_with("clang++ 14.0.6")) << clang.detail;
}

TEST(DoctorVersions, CmakeCacheValues) {
  const std::string cache =
      "# comment\nCMAKE_BUILD_TYPE:STRING=Release\nCMAKE_CXX_COMPILER:FILEPATH=/usr/bin/c++\n"
      "CMAKE_CXX_COMPILER_AR:FILEPATH=/usr/bin/gcc-ar-12\n";
  EXPECT_EQ(cmake_cache_value(cache, "CMAKE_CXX_COMPILER"), "/usr/bin/c++");
  EXPECT_EQ(cmake_cache_value(cache, "CMAKE_BUILD_TYPE"), "Release");
  EXPECT_FALSE(cmake_cache_value(cache, "CMAKE_GENERATOR").has_value());
}

// ---- the dataset files ---------------------------------------------------------------------------

// A stand-in .gz: the gzip magic, filler, then CRC32 and ISIZE = raw_bytes (little-endian).
std::string fake_gzip(uint64_t raw_bytes, size_t total_size) {
  std::string bytes = "\x1f\x8b\x08";
  bytes.resize(total_size - 4, 'x');
  for (int i = 0; i < 4; ++i) bytes += static_cast<char>((raw_bytes >> (8 * i)) & 0xFF);
  return bytes;
}

void write_good_dataset(const FakeProject& folder) {
  for (const DatasetFile& file : fashion_mnist_files()) {
    folder.write(std::string("data/") + file.stem + ".gz", fake_gzip(file.raw_bytes, file.raw_bytes / 2));
  }
}

TEST(DoctorDataset, AllFourFilesOk) {
  FakeProject folder;
  write_good_dataset(folder);
  const std::vector<CheckResult> results = dataset_checks(folder.root() / "data", false, false);
  ASSERT_EQ(results.size(), 4u);
  for (const CheckResult& result : results) EXPECT_EQ(result.status, CheckStatus::ok) << result.detail;
  EXPECT_EQ(results[0].check, "dataset train-images");
  EXPECT_TRUE(contains(results[0].detail, "47,040,016 uncompressed")) << results[0].detail;
}

TEST(DoctorDataset, MissingTruncatedAndWrongFiles) {
  FakeProject folder;
  write_good_dataset(folder);
  folder.remove("data/t10k-labels-idx1-ubyte.gz");
  const std::string good = folder.read("data/train-images-idx3-ubyte.gz");
  folder.write("data/train-images-idx3-ubyte.gz", good.substr(0, good.size() * 3 / 4));  // cut short
  folder.write("data/train-labels-idx1-ubyte.gz", std::string(20000, 'x'));             // not gzip
  folder.remove("data/t10k-images-idx3-ubyte.gz");
  folder.write("data/t10k-images-idx3-ubyte", std::string(7840016, '\0'));  // uncompressed is fine

  const std::vector<CheckResult> results = dataset_checks(folder.root() / "data", false, false);
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[0].status, CheckStatus::problem);
  EXPECT_TRUE(contains(results[0].detail, "gzip trailer")) << results[0].detail;
  EXPECT_EQ(results[1].status, CheckStatus::problem);
  EXPECT_TRUE(contains(results[1].detail, "not a gzip file")) << results[1].detail;
  EXPECT_EQ(results[2].status, CheckStatus::ok) << results[2].detail;
  EXPECT_EQ(results[3].status, CheckStatus::problem);
  EXPECT_TRUE(contains(results[3].detail, "t10k-labels-idx1-ubyte.gz is missing")) << results[3].detail;
  EXPECT_EQ(results[3].fix, "sudo apt-get install --reinstall -y dataset-fashion-mnist");
}

TEST(DoctorDataset, ImplausibleSizesAndTheDataDirVariable) {
  FakeProject folder;
  write_good_dataset(folder);
  folder.write("data/train-labels-idx1-ubyte.gz", fake_gzip(60008, 100));  // right trailer, far too small
  folder.write("data/t10k-labels-idx1-ubyte", std::string(10007, '\0'));  // ignored: the .gz is read first
  const std::vector<CheckResult> results = dataset_checks(folder.root() / "data", /*from_variable=*/true, false);
  EXPECT_EQ(results[1].status, CheckStatus::problem);
  EXPECT_TRUE(contains(results[1].detail, "truncated?")) << results[1].detail;
  EXPECT_TRUE(contains(results[1].fix, "unset TINYTORCH_DATA_DIR")) << results[1].fix;
  EXPECT_EQ(results[3].status, CheckStatus::ok);

  const std::vector<CheckResult> nowhere = dataset_checks(folder.root() / "no-such-dir", true, false);
  ASSERT_EQ(nowhere.size(), 1u);
  EXPECT_EQ(nowhere[0].status, CheckStatus::problem);
  EXPECT_TRUE(contains(nowhere[0].detail, "($TINYTORCH_DATA_DIR) does not exist")) << nowhere[0].detail;

  EXPECT_EQ(dataset_dir(nullptr), fs::path(kDefaultDatasetDir));
  EXPECT_EQ(dataset_dir(""), fs::path(kDefaultDatasetDir));
  EXPECT_EQ(dataset_dir("/data/fm"), fs::path("/data/fm"));
}

// ---- build directory, report, exit code ----------------------------------------------------------

TEST(DoctorBuild, UnconfiguredForeignAndConfigured) {
  FakeProject project;
  const Workspace ws{project.root(), project.root() / "build"};
  EXPECT_EQ(build_dir_check(ws).status, CheckStatus::warn);

  project.write("build/CMakeCache.txt", "CMAKE_HOME_DIRECTORY:INTERNAL=/somewhere/else\n");
  const CheckResult foreign = build_dir_check(ws);
  EXPECT_EQ(foreign.status, CheckStatus::problem);
  EXPECT_TRUE(contains(foreign.detail, "another source folder")) << foreign.detail;

  project.write("build/CMakeCache.txt", "CMAKE_HOME_DIRECTORY:INTERNAL=" + project.root().string() + "\n");
  EXPECT_EQ(build_dir_check(ws).status, CheckStatus::problem);  // a cache but no build system

  project.write("build/Makefile", "all:\n");
  project.write("build/CMakeCache.txt", "CMAKE_HOME_DIRECTORY:INTERNAL=" + project.root().string() +
                                            "\nCMAKE_BUILD_TYPE:STRING=Release\nCMAKE_GENERATOR:INTERNAL=Unix Makefiles\n");
  EXPECT_EQ(build_dir_check(ws).status, CheckStatus::ok);
  EXPECT_EQ(tito_binary_check(ws).status, CheckStatus::warn);  // build/bin/tito not built
}

TEST(DoctorReport, LinesAndExitCode) {
  const CheckResult good{"cmake", CheckStatus::ok, "cmake 3.25.1", ""};
  const CheckResult bad{"package libdnnl-dev", CheckStatus::problem, "not installed", "sudo apt-get install -y libdnnl-dev"};
  EXPECT_EQ(format_check(good, 19, false), "  ok       cmake                cmake 3.25.1\n");
  EXPECT_EQ(format_check(bad, 19, false),
            "  problem  package libdnnl-dev  not installed\n"
            "           fix: sudo apt-get install -y libdnnl-dev\n");
  const CheckResult slow{"openblas", CheckStatus::warn, "core Haswell", "unset TINYTORCH_OPENBLAS_CORETYPE"};
  EXPECT_EQ(doctor_exit_code({good}), 0);
  EXPECT_EQ(doctor_exit_code({good, slow}), 0);  // warnings do not fail
  EXPECT_EQ(doctor_exit_code({good, slow, bad}), 1);
}

}  // namespace
}  // namespace tito::testing
