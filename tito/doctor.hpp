// doctor.hpp — `tito doctor`: is this machine ready to build, test and run TinyTorch?
//
// One CheckResult per thing checked (the compiler, CMake, each Debian package of
// bin/tito, each Fashion-MNIST file, the CPU, the INT8 kernel path, the OpenBLAS
// core, the build directory), each ok / warn / problem, and for every warn or
// problem the exact fix (a command to run, or the variable to unset).
//
//   ok       works as the project expects;
//   warn     works, but slower or not yet set up (e.g. an environment variable
//            forces a slower OpenBLAS core; the build is not configured yet);
//   problem  something the project needs is missing or broken.
//
// The decisions are pure functions of text and values (what /proc/cpuinfo,
// bin/tito, dpkg-query, `cmake --version` print; the environment variables),
// so tests call them with made-up machines. The rules mirror the library's
// own: the kernel path of modules/15_quantization/gemm_u8s8s32.cpp
// (choose_kernel_isa, TINYTORCH_ISA) and the OpenBLAS core of
// modules/01_tensor/blas.cpp (choose_coretype: TINYTORCH_OPENBLAS_CORETYPE, else
// SkylakeX on an AVX-512 CPU, replacing an inherited OPENBLAS_CORETYPE). tito
// never links the library, so those rules are restated here — keep them in step.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tito/paths.hpp"

namespace tito {

enum class CheckStatus { ok, warn, problem };
const char* check_status_name(CheckStatus status);  // "ok", "warn", "problem"

struct CheckResult {
  std::string check;   // "compiler", "cmake", "package libfmt-dev", "dataset t10k-labels", ...
  CheckStatus status = CheckStatus::ok;
  std::string detail;  // what was found, one line
  std::string fix;     // the exact fix; empty when status is ok
};

// ---- versions ------------------------------------------------------------------------------------

// The first "N.N[.N...]" in `text` ("cmake version 3.25.1" -> {3, 25, 1}); nullopt if none.
std::optional<std::vector<int>> find_version(std::string_view text);
// -1, 0 or 1; missing trailing parts count as 0 (3.25 == 3.25.0).
int compare_versions(const std::vector<int>& a, const std::vector<int>& b);
std::string version_string(const std::vector<int>& version);  // "3.25.1"

// ---- compiler and CMake --------------------------------------------------------------------------

inline constexpr int kMinimumGccMajor = 12;  // DESIGN.md: g++ 12
inline const std::vector<int> kMinimumCmake{3, 25};

// A value of CMakeCache.txt ("CMAKE_CXX_COMPILER:FILEPATH=/usr/bin/c++" -> "/usr/bin/c++").
std::optional<std::string> cmake_cache_value(const std::string& cache_text, const std::string& key);

// The first line of `<compiler> --version` judged: a GCC older than 12 is a
// problem; any other compiler is judged by the C++20 test program alone.
CheckResult assess_compiler_version(const std::string& compiler, const std::string& version_output);
// `cmake --version` output judged against kMinimumCmake.
CheckResult assess_cmake_version(const std::string& version_output);

// ---- Debian packages -----------------------------------------------------------------------------

// The PACKAGES=( ... ) array of bin/tito (comments and line breaks allowed).
// Throws tito::Error when the script has no such array.
std::vector<std::string> bootstrap_packages(const std::string& script_text);
// Package -> version for the lines of
//   dpkg-query -W -f='${db:Status-Abbrev} ${Package} ${Version}\n' ...
// whose status is "ii" (installed); other states (rc, un, half-installed) are absent.
std::map<std::string, std::string> installed_packages(const std::string& dpkg_query_output);
// "sudo apt-get install -y a b" ("apt-get install -y ..." when running as root).
std::string apt_install_line(const std::vector<std::string>& packages, bool as_root);
// One result per wanted package, in order.
std::vector<CheckResult> package_checks(const std::vector<std::string>& wanted,
                                        const std::map<std::string, std::string>& installed, bool as_root);

// ---- the Fashion-MNIST files ---------------------------------------------------------------------

inline constexpr const char* kDefaultDatasetDir = "/usr/share/datasets/fashion-mnist";
inline constexpr const char* kDatasetDirVariable = "TINYTORCH_DATA_DIR";  // modules/08_dataloader

struct DatasetFile {
  const char* stem;     // "train-images-idx3-ubyte" (read as stem.gz, or stem uncompressed)
  uint64_t raw_bytes;   // size uncompressed: IDX header + data
};
const std::vector<DatasetFile>& fashion_mnist_files();

// The folder the library reads: $TINYTORCH_DATA_DIR if set (non-empty), else the default.
std::filesystem::path dataset_dir(const char* data_dir_variable);
// One result per file: present (stem.gz, else stem), readable, and plausible —
// a .gz starts with the gzip magic, its trailer records the expected
// uncompressed size and its own size is between a quarter of that and a little
// more; an uncompressed file has exactly raw_bytes. `from_variable` says the
// folder came from $TINYTORCH_DATA_DIR (the fix then names the variable).
std::vector<CheckResult> dataset_checks(const std::filesystem::path& dir, bool from_variable, bool as_root);

// ---- the CPU and the kernel path -----------------------------------------------------------------

// The first processor of /proc/cpuinfo.
struct CpuInfo {
  std::string vendor;      // "AuthenticAMD", "GenuineIntel" ("" when not reported)
  std::string model_name;  // "AMD Ryzen 9 7950X 16-Core Processor"
  int family = 0;          // 25 = Zen 3 / Zen 4, 26 = Zen 5, 6 = most Intel cores
  int model = 0;
  std::set<std::string> flags;
  bool has(std::string_view flag) const { return flags.count(std::string(flag)) != 0; }
  // All of F, BW, DQ, VL: what "AVX-512" means in this project (cpu_features.hpp).
  bool avx512() const { return has("avx512f") && has("avx512bw") && has("avx512dq") && has("avx512vl"); }
};
CpuInfo parse_cpuinfo(const std::string& text);

// "Zen 5", "Zen 4", "Zen 3", "Zen / Zen 2", or "" when not an AMD Zen part.
std::string cpu_generation(const CpuInfo& cpu);
// "avx2 fma f16c avx512f avx512bw avx512dq avx512vl avx512_vnni avx512_bf16" (those present).
std::string cpu_feature_list(const CpuInfo& cpu);

// The INT8 GEMM paths, best first (modules/15_quantization/gemm_u8s8s32.hpp).
enum class KernelPath { avx512vnni, avx2, scalar };
const char* kernel_path_name(KernelPath path);  // the TINYTORCH_ISA spellings
// avx512vnni: AVX-512 (F, BW, DQ, VL) + AVX512-VNNI; avx2: AVX2 + FMA; scalar: always.
bool kernel_path_supported(KernelPath path, const CpuInfo& cpu);
struct KernelPathChoice {
  KernelPath path = KernelPath::scalar;  // what the library will use
  KernelPath best = KernelPath::scalar;  // the best this CPU supports
  std::string warning;                   // why TINYTORCH_ISA was not honoured ("" if it was, or unset)
};
// The library's rule: TINYTORCH_ISA (nullptr / "" = unset) if this CPU supports it, else the best.
KernelPathChoice choose_kernel_path(const CpuInfo& cpu, const char* tinytorch_isa);

CheckResult cpu_check(const CpuInfo& cpu);
// ok on the best path; warn when TINYTORCH_ISA narrows it or names a path the CPU lacks.
CheckResult kernel_path_check(const CpuInfo& cpu, const char* tinytorch_isa);

// ---- the OpenBLAS core ---------------------------------------------------------------------------

// What OPENBLAS_CORETYPE is when the library dlopens OpenBLAS (blas.cpp, choose_coretype):
//   TINYTORCH_OPENBLAS_CORETYPE if set, as given;
//   else on an AVX-512 CPU "SkylakeX", replacing an inherited OPENBLAS_CORETYPE;
//   else the inherited OPENBLAS_CORETYPE (unset: OpenBLAS detects the core itself).
struct OpenBlasCoreDecision {
  std::optional<std::string> coretype;  // nullopt: OpenBLAS auto-detects
  std::string source;  // "TINYTORCH_OPENBLAS_CORETYPE", "tinytorch (AVX-512 CPU)", "OPENBLAS_CORETYPE", "auto-detection"
  std::string replaced;  // an inherited OPENBLAS_CORETYPE the library replaces ("" if none)
};
OpenBlasCoreDecision decide_openblas_core(const CpuInfo& cpu, const char* openblas_coretype,
                                          const char* tinytorch_coretype);

// How fast a core's SGEMM kernels are, by the instructions they use:
//   3 AVX-512 (SkylakeX, Cooperlake, SapphireRapids)   2 AVX2 + FMA (Haswell, Zen, ...)
//   1 AVX (Sandybridge, Bulldozer, ...)                 0 SSE only
// nullopt for a name OpenBLAS does not know (it then ignores it and auto-detects).
std::optional<int> openblas_core_tier(std::string_view core);
// The tier of the best core this CPU can run.
int best_openblas_tier(const CpuInfo& cpu);
// Whether `cpu` can execute the kernels of `core` (a known name).
bool openblas_core_runs_on(std::string_view core, const CpuInfo& cpu);

// What loading OpenBLAS the library's way reported (probe_openblas).
struct OpenBlasProbe {
  std::string core;     // openblas_get_corename(): "SkylakeX"
  std::string config;   // openblas_get_config(): "OpenBLAS 0.3.21 NO_LAPACKE DYNAMIC_ARCH ..."
  std::string library;  // the file loaded: ".../openblas-pthread/libopenblasp-r0.3.21.so"
  std::string error;    // non-empty when it could not be loaded or queried
};

// The decision judged against this CPU (and, when given, what OpenBLAS itself reported):
//   problem  the core cannot run on this CPU; OpenBLAS cannot be loaded;
//   warn     an environment variable forces a slower core than the CPU allows, or a
//            name OpenBLAS does not know (or the probe shows it ignored the setting);
//   ok       otherwise — with a note when the library replaces an inherited setting.
CheckResult openblas_core_check(const CpuInfo& cpu, const OpenBlasCoreDecision& decision,
                                const std::optional<OpenBlasProbe>& probe, bool as_root);

// Loads libopenblas.so.0 in a child process with OPENBLAS_CORETYPE = `coretype`
// (unset for nullopt) and reports its core; never changes tito's own environment.
OpenBlasProbe probe_openblas(const std::optional<std::string>& coretype);

// ---- the build directory -------------------------------------------------------------------------

// Configured (CMakeCache.txt + a build system) for this checkout, its build type;
// warn when not configured yet (bin/tito configures it), problem when the cache
// belongs to another source folder.
CheckResult build_dir_check(const Workspace& ws);
// <build>/bin/tito exists and no tito source is newer (bin/tito rebuilds it otherwise).
CheckResult tito_binary_check(const Workspace& ws);

// ---- report --------------------------------------------------------------------------------------

// "  ok       cmake      3.25.1 (3.25 or newer needed)" and, for warn / problem,
// a second line "           fix: <fix>"; `check_width` aligns the detail column.
std::string format_check(const CheckResult& result, size_t check_width, bool color);
// 0 when nothing is a problem (warnings do not fail), else 1.
int doctor_exit_code(const std::vector<CheckResult>& results);

// Every check on the real machine, in report order.
std::vector<CheckResult> run_doctor_checks(const Workspace& ws);

}  // namespace tito
