// cmake_driver.hpp — configuring, building and testing through CMake and CTest.
//
// Every step prints the command it runs, then streams that command's output.
// Failures come back as exit codes; the caller decides what they mean.
#pragma once

#include <string>
#include <vector>

#include "tito/junit.hpp"
#include "tito/paths.hpp"

namespace tito {

// <build>/CMakeCache.txt and a generated build system (Makefile or build.ninja) exist.
bool is_configured(const Workspace& ws);

// `cmake -S <root> -B <build> -DCMAKE_BUILD_TYPE=Release` unless is_configured().
// Returns 0 on success, else cmake's exit status.
int ensure_configured(const Workspace& ws);

// `cmake --build <build> --target <targets...> -j<jobs>`; returns its exit status.
int build_targets(const Workspace& ws, const std::vector<std::string>& targets);

struct CtestRun {
  int exit_code = 0;
  double seconds = 0;
  JunitReport report;
  std::string report_error;  // non-empty when the JUnit file was missing or malformed
};

// `ctest --test-dir <build> -L '^<label>$' --output-on-failure --output-junit <file> -j2`,
// counting from the JUnit file CTest wrote.
CtestRun run_ctest_label(const Workspace& ws, const std::string& label);

// The anchored CTest label regex for `label`: "^01_tensor\.checks$".
std::string exact_label_regex(const std::string& label);

}  // namespace tito
