// grade.hpp — turning test results into points (`tito grade`).
//
// The instructor's module.yaml declares the points (manifest.hpp, ModulePoints); CTest's
// JUnit file says which test passed; the GoogleTest listing of each test executable says
// which test file each test lives in. A test is *graded* unless
//   - it passes on the starter code as well (an argument check or an error message the
//     starter already has right): passing it shows nothing the student wrote, or
//   - it is skipped by the solution too (e.g. "this CPU has no AVX-512 VNNI"): it tests
//     nothing on this machine. (A test the solution runs but the student's copy skips —
//     its fixture threw — counts as failed.)
// A file's points are shared equally by its graded tests (the single-number form shares
// the module's points over all its graded tests), so
//
//     test points = file points / graded tests of the file,
//     module points = sum over passed graded tests.
//
// A module whose own sources did not compile was graded on its starter code (cmd_grade.cpp),
// so its graded tests fail and it scores 0 — with the compiler's first error as the note.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tito/junit.hpp"
#include "tito/manifest.hpp"

namespace tito {

// "Suite.Test" (the CTest name, GetParam() comment removed) -> test file name ("test_quantize.cpp"),
// from the JSON that `test_NN --gtest_list_tests --gtest_output=json:FILE` writes.
// tito::Error (exit 1) when the JSON is not such a listing.
std::map<std::string, std::string> parse_gtest_listing(std::string_view json);

// The CTest name of a GoogleTest test without the "  # GetParam() = ..." comment CMake adds.
std::string ctest_test_id(const std::string& ctest_name);

// What happened to one module in the grading build.
struct ModuleRun {
  std::vector<TestCaseResult> results;                // CTest's JUnit cases of the module's label
  std::map<std::string, std::string> file_of_test;    // parse_gtest_listing() of its executable
  std::set<std::string> passes_on_starter;            // test ids passing on the starter code
  std::set<std::string> skipped_on_solution;          // test ids the instructor's sources skip
  std::string build_error;  // non-empty: the student's sources did not compile (the first error)
};

struct GradedTest {
  std::string file;    // "test_quantize.cpp"
  std::string test;    // test id
  std::string status;  // passed, failed, skipped, passes-on-starter
  double points = 0;
  double max_points = 0;
};

struct ModuleGrade {
  std::string module;
  double points = 0;
  double max_points = 0;
  int passed = 0;          // graded tests passed
  int graded = 0;          // graded tests
  int free_passes = 0;     // tests passing on the starter code too (not graded)
  int skipped = 0;
  std::string note;        // build error, or files with no graded test
  std::vector<GradedTest> tests;
};

// Points for one module. Tests outside the module's test files (the shared main's
// TestConcepts check) are ignored. ManifestError-free: `module.points.declared` must hold.
ModuleGrade grade_module(const ModuleSpec& module, const ModuleRun& run);

struct StudentGrade {
  std::string student;
  std::vector<ModuleGrade> modules;
  double points() const;
  double max_points() const;
};

// The student column of each copy: its folder's name ("alice" for submissions/alice/). Copies
// whose folders share a name ("a/tinytorch", "b/tinytorch") are told apart by their
// parents ("a/tinytorch", "b/tinytorch"), and by their whole path when that is not enough.
std::vector<std::string> student_names(const std::vector<std::filesystem::path>& canonical_dirs);

// The CSV `tito grade --output` writes: a header, then per student one row per test,
// one per module and one total —
//   student,kind,module,file,test,status,points,max_points
// kind is test, module or total; points with two decimals.
std::string grades_csv(const std::vector<StudentGrade>& students);

}  // namespace tito
