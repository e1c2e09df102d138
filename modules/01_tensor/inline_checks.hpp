// inline_checks.hpp — the tiny harness behind each module's checks.cpp.
//
// A module's inline checks are the quick "does my code work at all?" tests a
// student runs first (`bin/tito test 01` runs them as phase 1, before the full
// GoogleTest suite). Each check is a named lambda; a failure names the check and
// quotes the formula it tested. The program's exit code is the number of failures.
#pragma once

#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>

namespace tinytorch::inline_checks {

struct CheckFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Check {
  const char* name;
  std::function<void()> body;
};

inline void expect(bool condition, const std::string& what) {
  if (!condition) throw CheckFailed(what);
}

// |actual - expected| <= tolerance, printing both values on failure.
inline void expect_near(double actual, double expected, double tolerance, const std::string& what) {
  if (!(std::fabs(actual - expected) <= tolerance)) {
    throw CheckFailed(what + ": got " + std::to_string(actual) + ", expected " + std::to_string(expected) +
                      " (tolerance " + std::to_string(tolerance) + ")");
  }
}

// Runs every check; prints one line each; returns the number that failed.
inline int run(const char* module, std::initializer_list<Check> checks) {
  int failures = 0;
  std::printf("Inline checks of %s\n", module);
  for (const Check& check : checks) {
    try {
      check.body();
      std::printf("  ok    %s\n", check.name);
    } catch (const std::exception& error) {
      ++failures;
      std::printf("  FAIL  %s: %s\n", check.name, error.what());
    }
  }
  std::printf("%d of %zu checks passed\n", static_cast<int>(checks.size()) - failures, checks.size());
  return failures;
}

}  // namespace tinytorch::inline_checks
