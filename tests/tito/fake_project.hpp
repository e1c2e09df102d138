// fake_project.hpp — a throwaway TinyTorch checkout in a temporary folder.
//
// tito's tests never read the real modules: each test builds the small project
// it needs here, so a module being rewritten cannot break them. The standard
// project has
//   modules/01_alpha   exports alpha.hpp, alpha.cpp; checks.cpp; tests/01_alpha/test_alpha.cpp
//   modules/02_beta    exports beta.cpp, an ISA kernel, a .cmake file; prerequisite 01_alpha
//   milestones/03_demo listed by both modules
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tito/error.hpp"
#include "tito/manifest.hpp"

namespace tito::testing {

namespace fs = std::filesystem;

inline constexpr const char* kAlphaYaml = R"(name: 01_alpha
number: 1
title: Alpha
summary: The first fake module.
prerequisites: []
exports:
  alpha.hpp: core/alpha.hpp
  alpha.cpp: core/alpha.cpp
checks: checks.cpp
tests: [test_alpha.cpp]
milestones: [03_demo]
)";

inline constexpr const char* kBetaYaml = R"(name: 02_beta
number: 2
title: Beta
prerequisites: [01_alpha]
exports:
  beta.cpp: core/beta.cpp
  gemm_vnni.cpp: {to: perf/gemm_avx512vnni.cpp, isa: avx512vnni}
  beta.cmake: cmake/beta.cmake
tests:
  - test_beta.cpp
milestones: [03_demo]
points: 10
)";

inline constexpr const char* kDemoYaml = R"(id: 03_demo
title: Demo
sources: [main.cpp]
check_args: [--quick, --json, check.json]
run_args: [--epochs, "1"]
)";

class FakeProject {
 public:
  FakeProject() {
    std::string pattern = (fs::temp_directory_path() / "tito-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    root_ = pattern;
    write("CMakeLists.txt", "# fake\n");
    fs::create_directories(root_ / "modules");
  }
  ~FakeProject() {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  FakeProject(const FakeProject&) = delete;
  FakeProject& operator=(const FakeProject&) = delete;

  const fs::path& root() const { return root_; }

  void write(const std::string& rel, const std::string& content) const {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel, std::ios::binary) << content;
  }

  std::string read(const std::string& rel) const {
    std::ifstream in(root_ / rel, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  }

  bool exists(const std::string& rel) const { return fs::exists(root_ / rel); }
  void remove(const std::string& rel) const { fs::remove(root_ / rel); }

  // The standard project described at the top of this file.
  void add_standard_project() const {
    write("modules/01_alpha/module.yaml", kAlphaYaml);
    write("modules/01_alpha/alpha.hpp", "#pragma once\nint alpha();\n");
    write("modules/01_alpha/alpha.cpp", "#include \"tinytorch/core/alpha.hpp\"\nint alpha() { return 1; }\n");
    write("modules/01_alpha/checks.cpp", "int main() { return 0; }\n");
    write("tests/01_alpha/test_alpha.cpp", "// test\n");
    write("modules/02_beta/module.yaml", kBetaYaml);
    write("modules/02_beta/beta.cpp", "int beta() { return 2; }\n");
    write("modules/02_beta/gemm_vnni.cpp", "// vnni kernel\n");
    write("modules/02_beta/beta.cmake", "set(BETA ON)\n");
    write("tests/02_beta/test_beta.cpp", "// test\n");
    write("milestones/03_demo/milestone.yaml", kDemoYaml);
    write("milestones/03_demo/main.cpp", "int main() {}\n");
  }

  Project load() const { return load_project(root_); }

 private:
  fs::path root_;
};

// Runs `load`, expecting a ManifestError whose message contains every fragment.
template <typename Load>
void expect_manifest_error(Load load, std::initializer_list<std::string> fragments) {
  try {
    load();
    ADD_FAILURE() << "expected a ManifestError containing '" << *fragments.begin() << "'";
  } catch (const ManifestError& e) {
    const std::string message = e.what();
    for (const auto& fragment : fragments) {
      EXPECT_NE(message.find(fragment), std::string::npos) << "message: " << message << "\nmissing: " << fragment;
    }
  }
}

}  // namespace tito::testing
