// doctor.cpp — the checks of `tito doctor` (see doctor.hpp).
#include "tito/doctor.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <link.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tito/cmake_driver.hpp"
#include "tito/error.hpp"
#include "tito/file_io.hpp"
#include "tito/process.hpp"
#include "tito/term.hpp"

namespace tito {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view text) {
  size_t begin = 0;
  size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(begin, end - begin));
}

std::string first_line(std::string_view text) {
  const size_t end = text.find('\n');
  return trim(text.substr(0, end));
}

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

bool running_as_root() { return ::geteuid() == 0; }

CheckResult ok(std::string check, std::string detail) {
  return CheckResult{std::move(check), CheckStatus::ok, std::move(detail), ""};
}
CheckResult warn(std::string check, std::string detail, std::string fix) {
  return CheckResult{std::move(check), CheckStatus::warn, std::move(detail), std::move(fix)};
}
CheckResult problem(std::string check, std::string detail, std::string fix) {
  return CheckResult{std::move(check), CheckStatus::problem, std::move(detail), std::move(fix)};
}

// "47,040,016"
std::string with_thousands(uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace

const char* check_status_name(CheckStatus status) {
  switch (status) {
    case CheckStatus::warn: return "warn";
    case CheckStatus::problem: return "problem";
    case CheckStatus::ok: break;
  }
  return "ok";
}

// ---- versions ------------------------------------------------------------------------------------

std::optional<std::vector<int>> find_version(std::string_view text) {
  auto digit = [&](size_t i) { return i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])); };
  for (size_t i = 0; i < text.size(); ++i) {
    if (!digit(i) || (i > 0 && (digit(i - 1) || text[i - 1] == '.'))) continue;
    std::vector<int> parts;
    size_t j = i;
    while (true) {
      int part = 0;
      while (digit(j)) part = part * 10 + (text[j++] - '0');
      parts.push_back(part);
      if (j + 1 < text.size() && text[j] == '.' && digit(j + 1)) {
        ++j;
        continue;
      }
      break;
    }
    if (parts.size() >= 2) return parts;
    i = j;
  }
  return std::nullopt;
}

int compare_versions(const std::vector<int>& a, const std::vector<int>& b) {
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i) {
    const int x = i < a.size() ? a[i] : 0;
    const int y = i < b.size() ? b[i] : 0;
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

std::string version_string(const std::vector<int>& version) {
  std::string out;
  for (size_t i = 0; i < version.size(); ++i) {
    if (i > 0) out += '.';
    out += std::to_string(version[i]);
  }
  return out;
}

// ---- compiler and CMake --------------------------------------------------------------------------

std::optional<std::string> cmake_cache_value(const std::string& cache_text, const std::string& key) {
  std::istringstream lines(cache_text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.starts_with(key + ":") && !line.starts_with(key + "=")) continue;
    const size_t equals = line.find('=');
    if (equals == std::string::npos) continue;
    return trim(std::string_view(line).substr(equals + 1));
  }
  return std::nullopt;
}

namespace {

constexpr const char* kCompilerFix =
    "install g++ 12 or newer: sudo apt-get install -y g++ build-essential (Debian 12 ships g++ 12), then "
    "reconfigure with it: cmake --fresh -S . -B build -DCMAKE_CXX_COMPILER=g++";

}  // namespace

CheckResult assess_compiler_version(const std::string& compiler, const std::string& version_output) {
  const std::string line = first_line(version_output);
  const std::optional<std::vector<int>> version = find_version(line);
  if (line.empty() || !version) {
    return problem("compiler", fmt::format("{}: cannot tell its version ('{} --version' printed '{}')", compiler,
                                           compiler, line),
                   kCompilerFix);
  }
  const bool clang = lower(line).find("clang") != std::string::npos;
  const bool gcc = !clang && (version_output.find("Free Software Foundation") != std::string::npos ||
                              line.find("g++") != std::string::npos || line.find("GCC") != std::string::npos ||
                              line.starts_with("c++ "));
  const std::string name = clang ? "clang++" : gcc ? "g++" : "compiler";
  const std::string shown = fmt::format("{} {} ({})", name, version_string(*version), compiler);
  if (gcc && version->front() < kMinimumGccMajor) {
    return problem("compiler", fmt::format("{}: older than g++ {}, the compiler this project is built with", shown,
                                           kMinimumGccMajor),
                   kCompilerFix);
  }
  if (gcc) return ok("compiler", fmt::format("{}; g++ {} or newer needed", shown, kMinimumGccMajor));
  return ok("compiler", fmt::format("{}; not g++: judged by the C++20 test below", shown));
}

CheckResult assess_cmake_version(const std::string& version_output) {
  const std::optional<std::vector<int>> version = find_version(first_line(version_output));
  const std::string fix =
      "sudo apt-get install -y cmake (Debian 12 ships 3.25.1; elsewhere: python3 -m pip install --user "
      "'cmake>=3.25')";
  if (!version || version_output.find("cmake version") == std::string::npos) {
    return problem("cmake", "cmake not found or not answering 'cmake --version'", fix);
  }
  if (compare_versions(*version, kMinimumCmake) < 0) {
    return problem("cmake",
                   fmt::format("cmake {}: {} or newer needed", version_string(*version), version_string(kMinimumCmake)),
                   fix);
  }
  return ok("cmake", fmt::format("cmake {}; {} or newer needed", version_string(*version),
                                 version_string(kMinimumCmake)));
}

// ---- Debian packages -----------------------------------------------------------------------------

std::vector<std::string> bootstrap_packages(const std::string& script_text) {
  // The assignment starts a line, perhaps after declaration keywords ("readonly PACKAGES=(").
  static const std::set<std::string> kKeywords = {"readonly", "declare", "local", "typeset", "-a", "-r", "-ra", "-ar"};
  size_t start = std::string::npos;
  size_t line_start = 0;
  while (line_start < script_text.size() && start == std::string::npos) {
    const size_t line_end = std::min(script_text.find('\n', line_start), script_text.size());
    const std::string_view line(script_text.data() + line_start, line_end - line_start);
    const size_t at = line.find("PACKAGES=(");
    if (at != std::string_view::npos) {
      std::istringstream before{std::string(line.substr(0, at))};
      bool only_keywords = at == 0 || std::isspace(static_cast<unsigned char>(line[at - 1]));
      for (std::string word; only_keywords && before >> word;) only_keywords = kKeywords.count(word) != 0;
      if (only_keywords) start = line_start + at + std::strlen("PACKAGES=(");
    }
    line_start = line_end + 1;
  }
  if (start == std::string::npos) {
    throw Error(kExitFailure, "bin/tito has no PACKAGES=( ... ) array (the list of Debian packages)");
  }
  std::vector<std::string> packages;
  std::string word;
  bool in_comment = false;
  for (size_t i = start; i < script_text.size(); ++i) {
    const char c = script_text[i];
    if (in_comment) {
      in_comment = c != '\n';
      continue;
    }
    if (c == '#' && word.empty()) {
      in_comment = true;
    } else if (c == ')' || std::isspace(static_cast<unsigned char>(c))) {
      if (!word.empty()) packages.push_back(std::move(word));
      word.clear();
      if (c == ')') return packages;
    } else {
      word += c;
    }
  }
  throw Error(kExitFailure, "bin/tito: the PACKAGES=( array is not closed with ')'");
}

std::map<std::string, std::string> installed_packages(const std::string& dpkg_query_output) {
  std::map<std::string, std::string> installed;
  std::istringstream lines(dpkg_query_output);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string status;
    std::string name;
    std::string version;
    if (!(words >> status >> name) || status != "ii") continue;
    words >> version;
    installed[name] = version;
  }
  return installed;
}

std::string apt_install_line(const std::vector<std::string>& packages, bool as_root) {
  std::string line = as_root ? "apt-get install -y" : "sudo apt-get install -y";
  for (const auto& package : packages) line += " " + package;
  return line;
}

std::vector<CheckResult> package_checks(const std::vector<std::string>& wanted,
                                        const std::map<std::string, std::string>& installed, bool as_root) {
  std::vector<CheckResult> results;
  for (const auto& package : wanted) {
    const auto found = installed.find(package);
    if (found != installed.end()) {
      results.push_back(ok("package " + package, "installed " + found->second));
    } else {
      results.push_back(problem("package " + package, "not installed (bin/tito's list of Debian packages needs it)",
                                apt_install_line({package}, as_root)));
    }
  }
  return results;
}

// ---- the Fashion-MNIST files ---------------------------------------------------------------------

const std::vector<DatasetFile>& fashion_mnist_files() {
  // IDX: images 16-byte header + N·28·28 bytes, labels 8-byte header + N bytes.
  static const std::vector<DatasetFile> files = {
      {"train-images-idx3-ubyte", 16 + 60000ull * 28 * 28},
      {"train-labels-idx1-ubyte", 8 + 60000ull},
      {"t10k-images-idx3-ubyte", 16 + 10000ull * 28 * 28},
      {"t10k-labels-idx1-ubyte", 8 + 10000ull},
  };
  return files;
}

std::filesystem::path dataset_dir(const char* data_dir_variable) {
  if (data_dir_variable != nullptr && *data_dir_variable != '\0') return data_dir_variable;
  return kDefaultDatasetDir;
}

namespace {

std::string dataset_fix(const fs::path& dir, bool from_variable, bool as_root) {
  if (from_variable) {
    return fmt::format("put the four Fashion-MNIST files into {} (or unset {} to use {})", dir.string(),
                       kDatasetDirVariable, kDefaultDatasetDir);
  }
  return fmt::format("{} install --reinstall -y dataset-fashion-mnist", as_root ? "apt-get" : "sudo apt-get");
}

// Reads `count` bytes at `offset` (negative: from the end); nullopt if the file is shorter or unreadable.
std::optional<std::string> read_bytes(const fs::path& path, std::streamoff offset, size_t count) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  if (offset < 0) {
    in.seekg(offset, std::ios::end);
  } else {
    in.seekg(offset);
  }
  std::string bytes(count, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(count))) return std::nullopt;
  return bytes;
}

CheckResult dataset_file_check(const fs::path& dir, const DatasetFile& spec, bool from_variable, bool as_root) {
  const std::string stem = spec.stem;
  const std::string check = fmt::format("dataset {}", stem.substr(0, stem.find("-idx")));
  const std::string fix = dataset_fix(dir, from_variable, as_root);
  std::error_code ec;
  const fs::path compressed = dir / (std::string(spec.stem) + ".gz");
  const fs::path raw = dir / spec.stem;
  const bool gz = fs::is_regular_file(compressed, ec);
  if (!gz && !fs::is_regular_file(raw, ec)) {
    return problem(check, fmt::format("{} is missing", compressed.string()), fix);
  }
  const fs::path path = gz ? compressed : raw;
  if (::access(path.c_str(), R_OK) != 0) {
    return problem(check, fmt::format("{} is not readable: {}", path.string(), std::strerror(errno)),
                   from_variable ? fmt::format("chmod a+r {}", path.string()) : fix);
  }
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return problem(check, fmt::format("{}: cannot read its size: {}", path.string(), ec.message()), fix);
  if (!gz) {
    if (size != spec.raw_bytes) {
      return problem(check, fmt::format("{} has {} bytes; expected {}", path.string(), with_thousands(size),
                                        with_thousands(spec.raw_bytes)),
                     fix);
    }
    return ok(check, fmt::format("{} ({} bytes, uncompressed)", path.string(), with_thousands(size)));
  }
  // A gzip member: magic 1f 8b ... CRC32, ISIZE (uncompressed size mod 2^32, little-endian).
  const std::optional<std::string> magic = read_bytes(path, 0, 2);
  if (!magic || static_cast<unsigned char>((*magic)[0]) != 0x1f || static_cast<unsigned char>((*magic)[1]) != 0x8b) {
    return problem(check, fmt::format("{} is not a gzip file ({} bytes)", path.string(), with_thousands(size)), fix);
  }
  const uint64_t lowest = spec.raw_bytes / 4;
  const uint64_t highest = spec.raw_bytes + spec.raw_bytes / 100 + 1024;
  if (size < lowest || size > highest) {
    return problem(check, fmt::format("{} has {} bytes; a compressed Fashion-MNIST file has {} to {} (truncated?)",
                                      path.string(), with_thousands(size), with_thousands(lowest),
                                      with_thousands(highest)),
                   fix);
  }
  const std::optional<std::string> trailer = read_bytes(path, -4, 4);
  uint32_t isize = 0;
  for (int i = 3; trailer && i >= 0; --i) isize = (isize << 8) | static_cast<unsigned char>((*trailer)[static_cast<size_t>(i)]);
  if (!trailer || isize != static_cast<uint32_t>(spec.raw_bytes)) {
    return problem(check, fmt::format("{}: its gzip trailer gives {} bytes uncompressed, expected {} (truncated or "
                                      "not the Fashion-MNIST file)",
                                      path.string(), with_thousands(isize), with_thousands(spec.raw_bytes)),
                   fix);
  }
  return ok(check, fmt::format("{} ({} bytes, {} uncompressed)", path.string(), with_thousands(size),
                               with_thousands(spec.raw_bytes)));
}

}  // namespace

std::vector<CheckResult> dataset_checks(const fs::path& dir, bool from_variable, bool as_root) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    const std::string source = from_variable ? fmt::format(" (${})", kDatasetDirVariable) : "";
    return {problem("dataset", fmt::format("the folder {}{} does not exist", dir.string(), source),
                    dataset_fix(dir, from_variable, as_root))};
  }
  std::vector<CheckResult> results;
  for (const DatasetFile& spec : fashion_mnist_files()) results.push_back(dataset_file_check(dir, spec, from_variable, as_root));
  return results;
}

// ---- the CPU and the kernel path -----------------------------------------------------------------

CpuInfo parse_cpuinfo(const std::string& text) {
  CpuInfo cpu;
  std::istringstream lines(text);
  std::string line;
  bool in_block = false;
  while (std::getline(lines, line)) {
    const std::string stripped = trim(line);
    if (stripped.empty()) {
      if (in_block) break;  // the end of the first processor's block
      continue;
    }
    in_block = true;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(std::string_view(line).substr(0, colon));
    const std::string value = trim(std::string_view(line).substr(colon + 1));
    if (key == "vendor_id") {
      cpu.vendor = value;
    } else if (key == "model name") {
      cpu.model_name = value;
    } else if (key == "cpu family") {
      cpu.family = std::atoi(value.c_str());
    } else if (key == "model") {
      cpu.model = std::atoi(value.c_str());
    } else if (key == "flags") {
      std::istringstream words(value);
      std::string flag;
      while (words >> flag) cpu.flags.insert(flag);
    }
  }
  return cpu;
}

std::string cpu_generation(const CpuInfo& cpu) {
  if (cpu.vendor == "HygonGenuine" && cpu.family == 24) return "Hygon Dhyana (Zen)";
  if (cpu.vendor != "AuthenticAMD") return "";
  switch (cpu.family) {
    case 23: return "Zen / Zen 2";
    case 25: return cpu.has("avx512f") ? "Zen 4" : "Zen 3";  // family 25 holds both; only Zen 4 has AVX-512
    case 26: return "Zen 5";
    default: return "";
  }
}

std::string cpu_feature_list(const CpuInfo& cpu) {
  std::string out;
  for (const char* flag : {"avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512_vnni",
                           "avx512_bf16"}) {
    if (!cpu.has(flag)) continue;
    if (!out.empty()) out += ' ';
    out += flag;
  }
  return out;
}

const char* kernel_path_name(KernelPath path) {
  switch (path) {
    case KernelPath::avx512vnni: return "avx512vnni";
    case KernelPath::avx2: return "avx2";
    case KernelPath::scalar: break;
  }
  return "scalar";
}

namespace {

#if defined(__x86_64__) || defined(_M_X64)
constexpr bool kX86 = true;  // the library builds its SIMD units only on x86-64 (kX86SimdBuilt)
#else
constexpr bool kX86 = false;
#endif

constexpr std::array<KernelPath, 3> kPathsBestFirst{KernelPath::avx512vnni, KernelPath::avx2, KernelPath::scalar};

}  // namespace

bool kernel_path_supported(KernelPath path, const CpuInfo& cpu) {
  switch (path) {
    case KernelPath::avx512vnni: return kX86 && cpu.avx512() && cpu.has("avx512_vnni");
    case KernelPath::avx2: return kX86 && cpu.has("avx2") && cpu.has("fma");
    case KernelPath::scalar: break;
  }
  return true;
}

KernelPathChoice choose_kernel_path(const CpuInfo& cpu, const char* tinytorch_isa) {
  KernelPathChoice choice;
  for (KernelPath path : kPathsBestFirst) {
    if (kernel_path_supported(path, cpu)) {
      choice.best = path;
      break;
    }
  }
  choice.path = choice.best;
  if (tinytorch_isa == nullptr || *tinytorch_isa == '\0') return choice;
  const std::string name = lower(tinytorch_isa);
  for (KernelPath path : kPathsBestFirst) {
    if (name != kernel_path_name(path)) continue;
    if (kernel_path_supported(path, cpu)) {
      choice.path = path;
    } else {
      choice.warning = fmt::format("TINYTORCH_ISA={}: this CPU does not support it; the library uses {}",
                                   tinytorch_isa, kernel_path_name(choice.best));
    }
    return choice;
  }
  choice.warning = fmt::format("TINYTORCH_ISA={}: unknown path (expected avx512vnni, avx2 or scalar); the library uses {}",
                               tinytorch_isa, kernel_path_name(choice.best));
  return choice;
}

CheckResult cpu_check(const CpuInfo& cpu) {
  std::string who = cpu.model_name.empty() ? std::string("unknown model") : cpu.model_name;
  if (!cpu.vendor.empty()) who += fmt::format(" — {} family {} model {}", cpu.vendor, cpu.family, cpu.model);
  const std::string generation = cpu_generation(cpu);
  if (!generation.empty()) who += " (" + generation + ")";
  const std::string features = cpu_feature_list(cpu);
  return ok("cpu", fmt::format("{}: {}", who, features.empty() ? "no AVX2, FMA or AVX-512" : features));
}

CheckResult kernel_path_check(const CpuInfo& cpu, const char* tinytorch_isa) {
  const KernelPathChoice choice = choose_kernel_path(cpu, tinytorch_isa);
  // Half precision follows the INT8 path (half_precision.hpp).
  std::string half;
  switch (choice.path) {
    case KernelPath::avx512vnni:
      half = fmt::format("FP16 {}, BF16 {}", cpu.has("f16c") ? "f16c" : "scalar",
                         cpu.has("avx512_bf16") ? "avx512bf16" : "avx2");
      break;
    case KernelPath::avx2: half = fmt::format("FP16 {}, BF16 avx2", cpu.has("f16c") ? "f16c" : "scalar"); break;
    case KernelPath::scalar: half = "FP16/BF16 scalar"; break;
  }
  const std::string path = kernel_path_name(choice.path);
  if (!choice.warning.empty()) {
    return warn("int8 kernels", fmt::format("{}; {}", choice.warning, half),
                fmt::format("unset TINYTORCH_ISA (or set it to a path this CPU has: {})",
                            [&] {
                              std::string names;
                              for (KernelPath p : kPathsBestFirst) {
                                if (!kernel_path_supported(p, cpu)) continue;
                                if (!names.empty()) names += ", ";
                                names += kernel_path_name(p);
                              }
                              return names;
                            }()));
  }
  if (choice.path != choice.best) {
    return warn("int8 kernels",
                fmt::format("{} forced by TINYTORCH_ISA={}; this CPU could use {} (faster); {}", path, tinytorch_isa,
                            kernel_path_name(choice.best), half),
                "unset TINYTORCH_ISA");
  }
  std::string why;
  if (choice.best == KernelPath::scalar) {
    why = "this CPU has no AVX2 + FMA: the scalar references run (correct, slower)";
  } else if (choice.best == KernelPath::avx2) {
    why = "the best this CPU has: no AVX-512 VNNI";
  } else {
    why = "the best path";
  }
  return ok("int8 kernels", fmt::format("{} ({}); {}", path, why, half));
}

// ---- the OpenBLAS core ---------------------------------------------------------------------------

OpenBlasCoreDecision decide_openblas_core(const CpuInfo& cpu, const char* openblas_coretype,
                                          const char* tinytorch_coretype) {
  OpenBlasCoreDecision decision;
  if (tinytorch_coretype != nullptr && *tinytorch_coretype != '\0') {
    decision.coretype = tinytorch_coretype;
    decision.source = "TINYTORCH_OPENBLAS_CORETYPE";
    return decision;
  }
  const bool inherited = openblas_coretype != nullptr && *openblas_coretype != '\0';
  if (cpu.avx512()) {
    decision.coretype = "SkylakeX";
    decision.source = "tinytorch (AVX-512 CPU)";
    if (inherited && std::string_view(openblas_coretype) != "SkylakeX") decision.replaced = openblas_coretype;
    return decision;
  }
  if (inherited) {
    decision.coretype = openblas_coretype;
    decision.source = "OPENBLAS_CORETYPE";
    return decision;
  }
  decision.source = "auto-detection";
  return decision;
}

std::optional<int> openblas_core_tier(std::string_view core) {
  static const std::map<std::string, int> tiers = {
      {"skylakex", 3},    {"cooperlake", 3},   {"sapphirerapids", 3},                                           //
      {"haswell", 2},     {"zen", 2},          {"dhyana", 2},                                                   //
      {"sandybridge", 1}, {"bulldozer", 1},    {"piledriver", 1},   {"steamroller", 1}, {"excavator", 1},        //
      {"katmai", 0},      {"coppermine", 0},   {"northwood", 0},    {"prescott", 0},    {"banias", 0},           //
      {"atom", 0},        {"core2", 0},        {"penryn", 0},       {"dunnington", 0},  {"nehalem", 0},          //
      {"athlon", 0},      {"opteron", 0},      {"opteron_sse3", 0}, {"barcelona", 0},   {"nano", 0}, {"bobcat", 0}};
  const auto found = tiers.find(lower(core));
  if (found == tiers.end()) return std::nullopt;
  return found->second;
}

int best_openblas_tier(const CpuInfo& cpu) {
  if (cpu.avx512()) return 3;
  if (cpu.has("avx2") && cpu.has("fma")) return 2;
  if (cpu.has("avx")) return 1;
  return 0;
}

bool openblas_core_runs_on(std::string_view core, const CpuInfo& cpu) {
  const std::optional<int> tier = openblas_core_tier(core);
  if (!tier) return false;
  if (*tier > best_openblas_tier(cpu)) return false;
  const std::string name = lower(core);
  if (name == "cooperlake") return cpu.has("avx512_bf16");
  if (name == "sapphirerapids") return cpu.has("avx512_bf16") && cpu.has("amx_bf16");
  return true;
}

namespace {

const char* kBestCoreOfTier[] = {"Nehalem", "Sandybridge", "Haswell", "SkylakeX"};

// The variable to unset so that a forced core no longer applies.
std::string variable_of(const OpenBlasCoreDecision& decision) {
  return decision.source == "TINYTORCH_OPENBLAS_CORETYPE" ? "TINYTORCH_OPENBLAS_CORETYPE" : "OPENBLAS_CORETYPE";
}

}  // namespace

CheckResult openblas_core_check(const CpuInfo& cpu, const OpenBlasCoreDecision& decision,
                                const std::optional<OpenBlasProbe>& probe, bool as_root) {
  const std::string check = "openblas";
  if (probe && !probe->error.empty()) {
    return problem(check, "cannot load OpenBLAS: " + probe->error, apt_install_line({"libopenblas-dev"}, as_root));
  }
  std::string library;
  if (probe) {
    const std::optional<std::vector<int>> version = find_version(probe->config);
    library = fmt::format(" — OpenBLAS {}{}", version ? version_string(*version) : std::string("?"),
                          probe->library.empty() ? "" : ", " + probe->library);
  }
  const int best = best_openblas_tier(cpu);
  const std::string reported = probe ? probe->core : "";
  if (!decision.coretype) {
    // OpenBLAS detects the core itself; only the probe can say what it picked.
    if (probe) {
      const std::optional<int> tier = openblas_core_tier(reported);
      if (tier && *tier < best) {
        return warn(check,
                    fmt::format("core {} auto-detected, slower than this CPU allows (OpenBLAS may not know this CPU){}",
                                reported, library),
                    fmt::format("export TINYTORCH_OPENBLAS_CORETYPE={}", kBestCoreOfTier[best]));
      }
      return ok(check, fmt::format("core {} (auto-detected; OPENBLAS_CORETYPE unset){}", reported, library));
    }
    return ok(check, "OpenBLAS detects the core itself (OPENBLAS_CORETYPE unset)");
  }
  const std::string& core = *decision.coretype;
  const std::string variable = variable_of(decision);
  const std::string set_by = decision.source == "tinytorch (AVX-512 CPU)"
                                 ? "set by tinytorch on this AVX-512 CPU"
                                 : fmt::format("from ${}", decision.source);
  const std::optional<int> tier = openblas_core_tier(core);
  if (!tier) {
    return warn(check,
                fmt::format("OPENBLAS_CORETYPE={} ({}) is not a core OpenBLAS knows; it ignores it and auto-detects{}{}",
                            core, set_by, reported.empty() ? "" : " (" + reported + ")", library),
                fmt::format("unset {}", variable));
  }
  if (!openblas_core_runs_on(core, cpu)) {
    return problem(check,
                   fmt::format("OPENBLAS_CORETYPE={} ({}) needs instructions this CPU lacks (the best core it can run: "
                               "{}){}",
                               core, set_by, kBestCoreOfTier[best], library),
                   fmt::format("unset {}", variable));
  }
  if (*tier < best) {
    const std::string fix = decision.source == "TINYTORCH_OPENBLAS_CORETYPE"
                                ? fmt::format("unset TINYTORCH_OPENBLAS_CORETYPE (tinytorch then uses {})",
                                              cpu.avx512() ? "SkylakeX" : "OpenBLAS's own detection")
                                : "unset OPENBLAS_CORETYPE (OpenBLAS then detects the core itself)";
    return warn(check,
                fmt::format("core {} forced by ${}: slower than this CPU allows ({} kernels){}", core, variable,
                            kBestCoreOfTier[best], library),
                fix);
  }
  if (probe && lower(reported) != lower(core)) {
    return warn(check,
                fmt::format("OPENBLAS_CORETYPE={} ({}) but OpenBLAS reports core {}: this OpenBLAS does not know {} "
                            "or was built without DYNAMIC_ARCH{}",
                            core, set_by, reported, core, library),
                fmt::format("unset {}", variable));
  }
  std::string detail = fmt::format("core {} (OPENBLAS_CORETYPE={} {})", probe ? reported : core, core, set_by);
  if (!decision.replaced.empty()) {
    detail += fmt::format("; the inherited OPENBLAS_CORETYPE={} is replaced for tinytorch (other programs in this "
                          "shell still get {}: unset OPENBLAS_CORETYPE for them)",
                          decision.replaced, decision.replaced);
  }
  return ok(check, detail + library);
}

OpenBlasProbe probe_openblas(const std::optional<std::string>& coretype) {
  OpenBlasProbe probe;
  // The child: the library's environment, then dlopen as blas.cpp does. Lines: core, config, path.
  const CapturedRun run = capture_child([&coretype] {
    const int devnull = ::open("/dev/null", O_WRONLY);
    if (devnull >= 0) ::dup2(devnull, STDERR_FILENO);  // OpenBLAS's own complaints
    if (coretype) {
      ::setenv("OPENBLAS_CORETYPE", coretype->c_str(), 1);
    } else {
      ::unsetenv("OPENBLAS_CORETYPE");
    }
    ::setenv("OPENBLAS_NUM_THREADS", "1", 1);  // no worker threads for a question
    void* handle = nullptr;
    for (const char* candidate : {"libopenblas.so.0", "libopenblas.so"}) {
      handle = ::dlopen(candidate, RTLD_NOW | RTLD_LOCAL);
      if (handle != nullptr) break;
    }
    if (handle == nullptr) {
      const char* why = ::dlerror();
      fmt::print("!libopenblas.so.0 not found: {}\n", why ? why : "dlopen failed");
      return;
    }
    using TextFn = char* (*)();
    auto corename = reinterpret_cast<TextFn>(::dlsym(handle, "openblas_get_corename"));
    auto config = reinterpret_cast<TextFn>(::dlsym(handle, "openblas_get_config"));
    link_map* map = nullptr;
    ::dlinfo(handle, RTLD_DI_LINKMAP, &map);
    if (corename == nullptr) {
      fmt::print("!libopenblas.so.0 has no openblas_get_corename (not OpenBLAS?)\n");
      return;
    }
    fmt::print("{}\n{}\n{}\n", corename(), config ? config() : "", map && map->l_name ? map->l_name : "");
  });
  const std::string& output = run.output;
  if (run.exit_code > 128) {
    const int signal_number = run.exit_code - 128;
    probe.error = fmt::format("loading it killed the process with signal {} ({})", signal_number,
                              ::strsignal(signal_number));
    return probe;
  }
  if (run.exit_code != 0) {
    probe.error = fmt::format("the probe process failed (exit {}): {}", run.exit_code, first_line(output));
    return probe;
  }
  if (output.starts_with("!")) {
    probe.error = first_line(std::string_view(output).substr(1));
    return probe;
  }
  std::istringstream lines(output);
  std::getline(lines, probe.core);
  std::getline(lines, probe.config);
  std::getline(lines, probe.library);
  if (probe.core.empty()) {
    probe.error = "the probe process reported nothing";
    return probe;
  }
  std::error_code ec;
  const fs::path real = fs::canonical(probe.library, ec);
  if (!ec) probe.library = real.string();
  return probe;
}

// ---- the build directory -------------------------------------------------------------------------

namespace {

std::string configure_line(const Workspace& ws) {
  return fmt::format("cmake -S {} -B {} -DCMAKE_BUILD_TYPE=Release", ws.root.string(), ws.build.string());
}

}  // namespace

CheckResult build_dir_check(const Workspace& ws) {
  std::error_code ec;
  const fs::path cache = ws.build / "CMakeCache.txt";
  if (!fs::exists(cache, ec)) {
    return warn("build dir", fmt::format("{} is not configured yet", ws.build.string()),
                fmt::format("bin/tito configures it on first use, or: {}", configure_line(ws)));
  }
  const std::string cache_text = read_file(cache).value_or("");
  const std::optional<std::string> home = cmake_cache_value(cache_text, "CMAKE_HOME_DIRECTORY");
  if (home && fs::weakly_canonical(*home, ec) != fs::weakly_canonical(ws.root, ec)) {
    return problem("build dir",
                   fmt::format("{} is configured for another source folder ({})", ws.build.string(), *home),
                   fmt::format("rm -rf {} && {} (or set TINYTORCH_BUILD_DIR to another folder)", ws.build.string(),
                               configure_line(ws)));
  }
  if (!is_configured(ws)) {
    return problem("build dir",
                   fmt::format("{} has a CMakeCache.txt but no build system: the last configure failed",
                               ws.build.string()),
                   fmt::format("{} (and read its errors)", configure_line(ws)));
  }
  const std::string type = cmake_cache_value(cache_text, "CMAKE_BUILD_TYPE").value_or("");
  const std::string generator = cmake_cache_value(cache_text, "CMAKE_GENERATOR").value_or("?");
  const std::string compiler = cmake_cache_value(cache_text, "CMAKE_CXX_COMPILER").value_or("?");
  const std::string shown = fmt::format("{} configured ({}, {}, {})", ws.build.string(),
                                        type.empty() ? "no build type" : type, generator, compiler);
  if (type.empty() || type == "Debug") {
    return warn("build dir", shown + ": unoptimised, milestones and benchmarks run many times slower",
                fmt::format("cmake -S {} -B {} -DCMAKE_BUILD_TYPE=Release", ws.root.string(), ws.build.string()));
  }
  return ok("build dir", shown);
}

CheckResult tito_binary_check(const Workspace& ws) {
  std::error_code ec;
  const fs::path binary = ws.build / "bin" / "tito";
  const std::string rebuild = fmt::format("cmake --build {} --target tito (bin/tito does this itself)", ws.build.string());
  if (!fs::is_regular_file(binary, ec)) {
    return warn("tito binary", fmt::format("{} is not built", binary.string()), rebuild);
  }
  const fs::file_time_type built = fs::last_write_time(binary, ec);
  std::optional<fs::path> newer;
  auto consider = [&](const fs::path& source) {
    std::error_code time_ec;
    const fs::file_time_type changed = fs::last_write_time(source, time_ec);
    if (!time_ec && changed > built && (!newer || changed > fs::last_write_time(*newer, time_ec))) newer = source;
  };
  consider(ws.root / "CMakeLists.txt");
  for (auto it = fs::recursive_directory_iterator(ws.root / "tito", ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (it->is_regular_file(ec)) consider(it->path());
  }
  if (newer) {
    return warn("tito binary",
                fmt::format("{} is older than {}", binary.string(), fs::relative(*newer, ws.root, ec).string()),
                rebuild);
  }
  return ok("tito binary", fmt::format("{} built and up to date", binary.string()));
}

// ---- report --------------------------------------------------------------------------------------

std::string format_check(const CheckResult& result, size_t check_width, bool color) {
  constexpr size_t kStatusWidth = 7;  // "problem"
  const std::string status = check_status_name(result.status);
  const Tone tone = result.status == CheckStatus::ok     ? Tone::good
                    : result.status == CheckStatus::warn ? Tone::warn
                                                         : Tone::bad;
  std::string line = fmt::format("  {}{}  {}", paint(status, tone, color),
                                 std::string(kStatusWidth - status.size(), ' '), result.check);
  line += std::string(check_width > result.check.size() ? check_width - result.check.size() : 0, ' ');
  line += "  " + result.detail + "\n";
  if (result.status != CheckStatus::ok && !result.fix.empty()) {
    line += std::string(2 + kStatusWidth + 2, ' ') + paint("fix:", Tone::strong, color) + " " + result.fix + "\n";
  }
  return line;
}

int doctor_exit_code(const std::vector<CheckResult>& results) {
  const bool any_problem = std::any_of(results.begin(), results.end(),
                                       [](const CheckResult& r) { return r.status == CheckStatus::problem; });
  return any_problem ? kExitFailure : kExitOk;
}

// ---- the real machine ----------------------------------------------------------------------------

namespace {

// The compiler CMake uses (or would): the cache's, else $CXX, else c++ / g++ on PATH.
std::pair<std::string, std::string> cmake_compiler(const Workspace& ws) {
  if (const auto cache = read_file(ws.build / "CMakeCache.txt")) {
    if (auto compiler = cmake_cache_value(*cache, "CMAKE_CXX_COMPILER"); compiler && !compiler->empty()) {
      return {*compiler, "from the build's CMakeCache.txt"};
    }
  }
  if (auto cxx = env("CXX")) return {first_line(cxx->substr(0, cxx->find(' '))), "from $CXX"};
  const std::string path = env("PATH").value_or("/usr/bin:/bin");
  for (const char* name : {"c++", "g++", "clang++"}) {
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
      if (::access(candidate.c_str(), X_OK) == 0) return {candidate.string(), "first on PATH, as CMake would pick"};
    }
  }
  return {"c++", "not found on PATH"};
}

constexpr const char* kCxx20Program = R"(// tito doctor: does this compiler speak C++20?
#include <algorithm>
#include <bit>
#include <compare>
#include <concepts>
#include <cstdio>
#include <ranges>
#include <span>
#include <vector>

template <std::integral T>
consteval T square(T x) { return x * x; }

struct Version {
  int major = 0;
  int minor = 0;
  auto operator<=>(const Version&) const = default;
};

int main() {
  std::vector<int> values{3, 1, 2};
  std::ranges::sort(values);
  const std::span<const int> view(values);
  auto evens = view | std::views::filter([](int v) { return v % 2 == 0; });
  constexpr Version needed{.major = 3, .minor = 25};
  const bool ordered = Version{.major = 3, .minor = 24} < needed;
  const float one = std::bit_cast<float>(0x3f800000u);
  if (square(4) != 16 || !ordered || std::ranges::distance(evens) != 1 || one != 1.0f || view.front() != 1) return 1;
  std::puts("C++20 ok");
  return 0;
}
)";

CheckResult cxx20_check(const std::string& compiler) {
  const std::string fix = kCompilerFix;
  std::string pattern = (fs::temp_directory_path() / "tito-doctor-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    return problem("C++20", fmt::format("cannot create a temporary folder: {}", std::strerror(errno)),
                   "make $TMPDIR (or /tmp) writable");
  }
  const fs::path dir = pattern;
  const fs::path source = dir / "cxx20.cpp";
  const fs::path program = dir / "cxx20";
  std::ofstream(source) << kCxx20Program;
  // -std=c++20 without GNU extensions: what CMAKE_CXX_STANDARD 20 + CMAKE_CXX_EXTENSIONS OFF pass.
  const CapturedRun compiled = capture_command(
      Command{{compiler, "-std=c++20", "-O1", source.string(), "-o", program.string()}, std::nullopt});
  CheckResult result;
  if (compiled.exit_code != 0) {
    std::string first_error;
    std::istringstream lines(compiled.output);
    for (std::string line; std::getline(lines, line);) {
      if (line.find("error") != std::string::npos) {
        first_error = trim(line);
        break;
      }
    }
    if (first_error.empty()) first_error = first_line(compiled.output);
    result = problem("C++20", fmt::format("{} -std=c++20 failed on a small C++20 program: {}", compiler, first_error),
                     fix);
  } else {
    const CapturedRun ran = capture_command(Command{{program.string()}, std::nullopt});
    if (ran.exit_code != 0 || ran.output.find("C++20 ok") == std::string::npos) {
      result = problem("C++20",
                       fmt::format("a C++20 test program built with {} ran wrongly (exit {})", compiler, ran.exit_code),
                       fix);
    } else {
      result = ok("C++20", fmt::format("{} -std=c++20 compiled, linked and ran a C++20 program (concepts, ranges, "
                                       "span, <=>, consteval, bit_cast)",
                                       compiler));
    }
  }
  std::error_code ec;
  fs::remove_all(dir, ec);
  return result;
}

std::vector<CheckResult> system_package_checks(const Workspace& ws, bool as_root) {
  const fs::path script = ws.root / "bin" / "tito";
  const std::optional<std::string> text = read_file(script);
  if (!text) {
    return {problem("packages", fmt::format("cannot read {} (the list of Debian packages)", script.string()),
                    "restore it: git checkout -- bin/tito")};
  }
  std::vector<std::string> wanted;
  try {
    wanted = bootstrap_packages(*text);
  } catch (const Error& e) {
    return {problem("packages", e.what(), "restore it: git checkout -- bin/tito")};
  }
  std::vector<std::string> argv{"dpkg-query", "-W", "-f=${db:Status-Abbrev} ${Package} ${Version}\\n"};
  argv.insert(argv.end(), wanted.begin(), wanted.end());
  // dpkg-query exits 1 when a package is unknown; its lines for the others still count.
  const CapturedRun query = capture_command(Command{argv, std::nullopt});
  if (query.exit_code == 127) {
    std::string list;
    for (const auto& package : wanted) {
      if (!list.empty()) list += ' ';
      list += package;
    }
    return {problem("packages", "dpkg-query not found: not a Debian system, so packages cannot be checked",
                    "install the equivalents of: " + list)};
  }
  return package_checks(wanted, installed_packages(query.output), as_root);
}

}  // namespace

std::vector<CheckResult> run_doctor_checks(const Workspace& ws) {
  const bool as_root = running_as_root();
  std::vector<CheckResult> results;

  const auto [compiler, compiler_source] = cmake_compiler(ws);
  const CapturedRun version = capture_command(Command{{compiler, "--version"}, std::nullopt});
  if (version.exit_code != 0) {
    results.push_back(problem("compiler", fmt::format("{} ({}) cannot be run", compiler, compiler_source),
                              apt_install_line({"g++", "build-essential"}, as_root)));
  } else {
    results.push_back(assess_compiler_version(fmt::format("{}, {}", compiler, compiler_source), version.output));
    results.push_back(cxx20_check(compiler));
  }
  results.push_back(assess_cmake_version(capture_command(Command{{"cmake", "--version"}, std::nullopt}).output));

  for (CheckResult& result : system_package_checks(ws, as_root)) results.push_back(std::move(result));

  const char* data_dir = std::getenv(kDatasetDirVariable);
  const bool from_variable = data_dir != nullptr && *data_dir != '\0';
  for (CheckResult& result : dataset_checks(dataset_dir(data_dir), from_variable, as_root)) {
    results.push_back(std::move(result));
  }

  const CpuInfo cpu = parse_cpuinfo(read_file("/proc/cpuinfo").value_or(""));
  results.push_back(cpu_check(cpu));
  results.push_back(kernel_path_check(cpu, std::getenv("TINYTORCH_ISA")));
  const OpenBlasCoreDecision decision =
      decide_openblas_core(cpu, std::getenv("OPENBLAS_CORETYPE"), std::getenv("TINYTORCH_OPENBLAS_CORETYPE"));
  results.push_back(openblas_core_check(cpu, decision, probe_openblas(decision.coretype), as_root));

  results.push_back(build_dir_check(ws));
  results.push_back(tito_binary_check(ws));
  return results;
}

}  // namespace tito
