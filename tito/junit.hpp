// junit.hpp — reading the JUnit XML that `ctest --output-junit` writes.
//
// Test counts shown by tito come from CTest's own results, never from tito's
// bookkeeping. CTest 3.25 writes one <testsuite tests= failures= disabled=
// skipped=> holding one <testcase name= status=> per test, status being run,
// fail, notrun (with <skipped/> when GTEST_SKIP matched) or disabled. This is a
// small hand parser for exactly that shape.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tito {

struct TestCounts {
  int total = 0;    // test cases CTest selected
  int passed = 0;
  int failed = 0;   // failed, or could not run
  int skipped = 0;  // GTEST_SKIP / SKIP_REGULAR_EXPRESSION, or DISABLED_
};

enum class TestOutcome { passed, failed, skipped };

// One <testcase>: its CTest name ("Suite.Test", "Prefix/Suite.Test/Param  # GetParam() = ...").
struct TestCaseResult {
  std::string name;
  TestOutcome outcome = TestOutcome::failed;
};

struct JunitReport {
  TestCounts counts;
  std::vector<std::string> failed_tests;  // names, in file order
  std::vector<TestCaseResult> cases;      // every test case, in file order
};

// Throws tito::Error (exit 1) when `xml` has no <testsuite>, or its test count
// disagrees with the <testcase> elements.
JunitReport parse_junit(std::string_view xml);

// parse_junit() of a file; tito::Error when it cannot be read.
JunitReport read_junit_file(const std::string& path);

}  // namespace tito
