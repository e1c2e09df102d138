// grade.cpp — see grade.hpp.
#include "tito/grade.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "tito/error.hpp"

namespace tito {

namespace {

// A file's (or, in the single-number form, the module's) graded tests share its points.
struct PointsPool {
  double points = 0;
  int graded = 0;
};

std::string csv_field(const std::string& text) {
  if (text.find_first_of(",\"\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string csv_row(const std::string& student, const std::string& kind, const std::string& module,
                    const std::string& file, const std::string& test, const std::string& status, double points,
                    double max_points) {
  return fmt::format("{},{},{},{},{},{},{:.2f},{:.2f}\n", csv_field(student), kind, csv_field(module),
                     csv_field(file), csv_field(test), csv_field(status), points, max_points);
}

std::string module_status(const ModuleGrade& grade) {
  std::string status = fmt::format("{}/{} graded tests passed", grade.passed, grade.graded);
  if (grade.free_passes > 0) status += fmt::format("; {} pass on the starter code (not graded)", grade.free_passes);
  if (grade.skipped > 0) status += fmt::format("; {} skipped", grade.skipped);
  if (!grade.note.empty()) status += "; " + grade.note;
  return status;
}

}  // namespace

std::string ctest_test_id(const std::string& ctest_name) {
  const auto comment = ctest_name.find("  # ");
  return comment == std::string::npos ? ctest_name : ctest_name.substr(0, comment);
}

std::map<std::string, std::string> parse_gtest_listing(std::string_view json) {
  std::map<std::string, std::string> file_of_test;
  try {
    const nlohmann::json listing = nlohmann::json::parse(json);
    for (const auto& suite : listing.at("testsuites")) {
      const std::string suite_name = suite.at("name").get<std::string>();
      for (const auto& test : suite.at("testsuite")) {
        const std::string file = test.at("file").get<std::string>();
        file_of_test[suite_name + "." + test.at("name").get<std::string>()] =
            std::filesystem::path(file).filename().string();
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw Error(kExitFailure, fmt::format("GoogleTest listing: not the JSON of --gtest_list_tests "
                                          "--gtest_output=json ({})",
                                          e.what()));
  }
  return file_of_test;
}

ModuleGrade grade_module(const ModuleSpec& module, const ModuleRun& run) {
  ModuleGrade grade;
  grade.module = module.name;
  grade.note = run.build_error.empty() ? "" : "did not compile, graded on the starter code: " + run.build_error;
  // Pools: one per test file, or one for the module.
  std::map<std::string, PointsPool> pools;
  const bool per_file = !module.points.per_test_file.empty();
  if (per_file) {
    for (const auto& [file, points] : module.points.per_test_file) pools[file].points = points;
  } else {
    pools[""].points = module.points.total;
  }
  // First pass: classify every test of the module's files, count each pool's graded tests.
  for (const TestCaseResult& result : run.results) {
    const std::string id = ctest_test_id(result.name);
    const auto file = run.file_of_test.find(id);
    if (file == run.file_of_test.end()) continue;  // not from a test file of the module
    if (std::find(module.tests.begin(), module.tests.end(), file->second) == module.tests.end()) continue;
    GradedTest test{file->second, id, "", 0, 0};
    if (run.skipped_on_solution.count(id) != 0) {
      test.status = "skipped";
      ++grade.skipped;
    } else if (run.passes_on_starter.count(id) != 0) {
      test.status = "passes-on-starter";
      ++grade.free_passes;
    } else {
      // Skipped here but run by the solution: its fixture failed on the student's code.
      test.status = result.outcome == TestOutcome::passed ? "passed" : "failed";
      ++pools[per_file ? test.file : ""].graded;
    }
    grade.tests.push_back(test);
  }
  // Second pass: each graded test's share of its pool.
  for (GradedTest& test : grade.tests) {
    if (test.status != "passed" && test.status != "failed") continue;
    const PointsPool& pool = pools[per_file ? test.file : ""];
    test.max_points = pool.points / pool.graded;
    ++grade.graded;
    if (test.status == "passed") {
      test.points = test.max_points;
      ++grade.passed;
    }
    grade.points += test.points;
  }
  std::vector<std::string> ungraded_files;
  for (const auto& [file, pool] : pools) {
    if (pool.graded > 0) {
      grade.max_points += pool.points;
    } else if (pool.points > 0) {
      ungraded_files.push_back(file.empty() ? module.name : file);
    }
  }
  if (!ungraded_files.empty()) {
    const std::string files = fmt::format("{}", fmt::join(ungraded_files, ", "));
    grade.note += (grade.note.empty() ? "" : "; ") +
                  fmt::format("no graded test in {} (its points are left out of the maximum)", files);
  }
  return grade;
}

double StudentGrade::points() const {
  double sum = 0;
  for (const auto& module : modules) sum += module.points;
  return sum;
}

double StudentGrade::max_points() const {
  double sum = 0;
  for (const auto& module : modules) sum += module.max_points;
  return sum;
}

namespace {

// The last `count` components of an absolute path, joined by '/'.
std::string last_components(const std::filesystem::path& dir, std::size_t count) {
  std::vector<std::string> parts;
  for (const auto& part : dir.relative_path()) {
    if (!part.empty()) parts.push_back(part.string());
  }
  const std::size_t skip = parts.size() > count ? parts.size() - count : 0;
  return fmt::format("{}", fmt::join(parts.begin() + static_cast<std::ptrdiff_t>(skip), parts.end(), "/"));
}

// Replaces each name used more than once by longer_name(i).
template <typename LongerName>
void lengthen_repeated(std::vector<std::string>& names, LongerName longer_name) {
  std::map<std::string, int> uses;
  for (const std::string& name : names) ++uses[name];
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (uses[names[i]] > 1) names[i] = longer_name(i);
  }
}

}  // namespace

std::vector<std::string> student_names(const std::vector<std::filesystem::path>& canonical_dirs) {
  std::vector<std::string> names;
  for (const auto& dir : canonical_dirs) names.push_back(last_components(dir, 1));
  lengthen_repeated(names, [&](std::size_t i) { return last_components(canonical_dirs[i], 2); });
  lengthen_repeated(names, [&](std::size_t i) { return canonical_dirs[i].string(); });
  return names;
}

std::string grades_csv(const std::vector<StudentGrade>& students) {
  std::string csv = "student,kind,module,file,test,status,points,max_points\n";
  for (const StudentGrade& student : students) {
    for (const ModuleGrade& module : student.modules) {
      for (const GradedTest& test : module.tests) {
        csv += csv_row(student.student, "test", module.module, test.file, test.test, test.status, test.points,
                       test.max_points);
      }
      csv += csv_row(student.student, "module", module.module, "", "", module_status(module), module.points,
                     module.max_points);
    }
    csv += csv_row(student.student, "total", "", "", "", fmt::format("{} module(s)", student.modules.size()),
                   student.points(), student.max_points());
  }
  return csv;
}

}  // namespace tito
