// cmd_grade.cpp — `tito grade STUDENT_DIR... --output grades.csv`.
//
// Grading never trusts the student's copy beyond the code they were asked to write: a
// grading workspace (default <build>/grade/src) is a copy of THIS checkout — its tests,
// module.yaml points, CMake files — in which only the module sources (modules/NN_name/
// *.cpp|hpp, the files `tito release student` stubs) come from the student. It is
// exported, built (Release, benchmarks off) in <build>/grade/build and tested through
// CTest; grade.hpp turns the results into points.
//
// - The tests that pass without the student's work are not graded. For module NN that is
//   its starter code with the modules before it solved (the instructor's sources) — what a
//   student who finished modules 01..NN-1 sees before writing a line of NN. They are found
//   by walking the course once: all starter code, test module 01, put its solutions back,
//   build, test module 02, ... (cached in <build>/grade/starter.txt until a source of this
//   checkout changes; the walk's test logs stay in logs/starter-NN_name.log). The walk ends
//   with every module solved and runs all tests once more: the tests the solution itself
//   skips (a CPU feature this machine lacks) are not graded either.
// - Students are built and tested first, the walk (when not cached) after them: a copy that
//   is still the starter code then needs no second build, and the walk ends with this
//   checkout's own sources built.
// - A module whose sources do not compile gets its starter code instead (the compiler's
//   first error becomes its note), so one broken module never costs the other modules
//   their points. Files the student deleted are replaced by their starter version too.
// - Files are written only when their content changes, so grading several students (or
//   one again) rebuilds only what differs.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include "tito/commands.hpp"
#include "tito/error.hpp"
#include "tito/export.hpp"
#include "tito/file_io.hpp"
#include "tito/grade.hpp"
#include "tito/junit.hpp"
#include "tito/process.hpp"
#include "tito/release.hpp"
#include "tito/table.hpp"
#include "tito/term.hpp"

namespace tito {

namespace {

// Where grading happens.
struct GradeSpace {
  fs::path src;    // the workspace checkout
  fs::path build;  // its build directory
  fs::path logs;   // build and test logs, one set per student
};

// Module sources by relative path: what the workspace compiles for them.
using SourceSet = std::map<std::string, std::string>;

// The instructor's checkout: every file, and the starter version of each module source.
struct Instructor {
  Project project;
  std::vector<std::string> files;
  std::map<std::string, std::string> content;  // every file, as in the checkout
  SourceSet starter;                           // module sources with their regions stubbed
  std::map<std::string, std::string> module_of_source;
};

Instructor read_instructor(const Workspace& ws) {
  Instructor instructor{load_project(ws.root), project_files(ws.root), {}, {}, {}};
  for (const std::string& file : instructor.files) {
    auto text = read_file(ws.root / file);
    if (!text) throw Error(kExitFailure, fmt::format("tito grade: cannot read {} of this checkout", file));
    instructor.content[file] = std::move(*text);
  }
  for (const StudentFile& source : student_sources(ws.root, instructor.files)) {
    instructor.starter[source.shown] = source.student;
    instructor.module_of_source[source.shown] = source.module;
  }
  return instructor;
}

// 64-bit FNV-1a of every file: the starter results are reused while it is unchanged.
std::string fingerprint(const Instructor& instructor) {
  std::uint64_t hash = 1469598103934665603ull;
  auto mix = [&hash](const std::string& text) {
    for (const unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
    hash = (hash ^ 0xff) * 1099511628211ull;
  };
  for (const auto& [file, text] : instructor.content) {
    mix(file);
    mix(text);
  }
  return fmt::format("{:016x}", hash);
}

void require_points(const Project& project) {
  for (const ModuleSpec& module : project.modules) {
    if (!module.tests.empty() && !module.points.declared) {
      throw ManifestError(fmt::format("{}: no 'points:' — tito grade needs the points of the module's tests "
                                      "(e.g. 'points: 40', or one number per test file)",
                                      module.yaml_rel));
    }
  }
}

// The student's module sources; a file they no longer have gets its starter version.
SourceSet read_student_sources(const Instructor& instructor, const fs::path& student_dir,
                               std::map<std::string, std::vector<std::string>>& missing_by_module) {
  SourceSet sources;
  for (const auto& [file, starter] : instructor.starter) {
    auto text = read_file(student_dir / file);
    if (!text) missing_by_module[instructor.module_of_source.at(file)].push_back(file);
    sources[file] = text ? std::move(*text) : starter;
  }
  return sources;
}

// Makes the workspace hold this checkout with `sources` for the module sources, then exports.
void prepare_workspace(const Instructor& instructor, const GradeSpace& space, const SourceSet& sources) {
  for (const auto& [file, text] : instructor.content) {
    const auto own = sources.find(file);
    write_if_changed(space.src / file, own == sources.end() ? text : own->second);
  }
  const Project project = load_project(space.src);
  std::vector<const ModuleSpec*> all;
  for (const ModuleSpec& module : project.modules) all.push_back(&module);
  apply_export(project, plan_export(project, all), {});
}

void write_log(const fs::path& path, const std::string& text) { write_file_atomically(path, text); }

// The modules whose files the compiler or linker complained about, read from error lines.
std::set<std::string> modules_in_errors(const Project& project, const std::string& log,
                                        std::string& first_error) {
  std::map<std::string, std::string> module_of_target;
  for (const ModuleSpec& module : project.modules) {
    for (const ExportSpec& spec : module.exports) module_of_target["tinytorch/" + spec.target] = module.name;
  }
  static const std::regex path_pattern(R"((tinytorch/[A-Za-z0-9_/]+\.[ch]pp)|(?:modules|tests)/([0-9][0-9]_[A-Za-z0-9_]+)/)");
  std::set<std::string> modules;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("error") == std::string::npos && line.find("undefined reference") == std::string::npos) continue;
    bool named = false;
    for (auto it = std::sregex_iterator(line.begin(), line.end(), path_pattern); it != std::sregex_iterator(); ++it) {
      const std::smatch& match = *it;
      if (match[1].matched) {
        const auto owner = module_of_target.find(match[1].str());
        if (owner != module_of_target.end()) {
          modules.insert(owner->second);
          named = true;
        }
      } else {
        modules.insert(match[2].str());
        named = true;
      }
    }
    if (named && first_error.empty()) first_error = line.substr(0, 300);
  }
  return modules;
}

std::vector<std::string> test_targets(const Project& project) {
  std::vector<std::string> targets;
  for (const ModuleSpec& module : project.modules) {
    if (!module.tests.empty()) targets.push_back("test_" + module.name);
  }
  return targets;
}

// cmake --build <grading build> -j N --target <targets...>
Command build_targets_command(const GradeSpace& space, const std::vector<std::string>& targets) {
  Command build{{"cmake", "--build", space.build.string(), "-j", std::to_string(build_jobs()), "--target"},
                std::nullopt};
  build.argv.insert(build.argv.end(), targets.begin(), targets.end());
  return build;
}

// Configures (once) and builds the test executables. When the build fails, the modules
// named by its errors get their starter sources and it is tried again; `build_errors`
// collects each such module's first error. tito::Error when no module can be blamed.
void build_with_fallback(const Instructor& instructor, const GradeSpace& space, SourceSet& sources,
                         const std::string& label, std::map<std::string, std::string>& build_errors) {
  if (!fs::exists(space.build / "CMakeCache.txt")) {
    const CapturedRun configure = capture_command(
        {{"cmake", "-S", space.src.string(), "-B", space.build.string(), "-DCMAKE_BUILD_TYPE=Release",
          "-DTINYTORCH_BUILD_BENCHMARKS=OFF"},
         std::nullopt});
    write_log(space.logs / (label + "-configure.log"), configure.output);
    if (configure.exit_code != 0) {
      throw Error(kExitFailure, fmt::format("tito grade: configuring the grading build failed (log: {})",
                                            (space.logs / (label + "-configure.log")).string()));
    }
  }
  for (std::size_t attempt = 0; attempt <= instructor.project.modules.size(); ++attempt) {
    const CapturedRun run = capture_command(build_targets_command(space, test_targets(instructor.project)));
    const fs::path log = space.logs / (attempt == 0 ? fmt::format("{}-build.log", label)
                                                    : fmt::format("{}-build-{}.log", label, attempt));
    write_log(log, run.output);
    if (run.exit_code == 0) return;
    std::string first_error;
    std::set<std::string> blamed = modules_in_errors(instructor.project, run.output, first_error);
    for (const auto& [module, error] : build_errors) blamed.erase(module);
    for (const std::string& module : blamed) {
      bool already_starter = true;
      for (const auto& [file, text] : sources) {
        if (instructor.module_of_source.at(file) == module && text != instructor.starter.at(file)) {
          already_starter = false;
        }
      }
      if (already_starter) {
        throw Error(kExitFailure, fmt::format("tito grade: {}: the starter code of {} itself does not compile: {} "
                                              "(log: {})",
                                              label, module, first_error, log.string()));
      }
    }
    if (blamed.empty()) {
      throw Error(kExitFailure, fmt::format("tito grade: {}: the build failed and no module source could be "
                                            "blamed (log: {})",
                                            label, log.string()));
    }
    for (const std::string& module : blamed) {
      fmt::print("  {}: does not compile — graded on its starter code: {}\n", module, first_error);
      build_errors[module] = first_error;
      for (auto& [file, text] : sources) {
        if (instructor.module_of_source.at(file) == module) text = instructor.starter.at(file);
      }
    }
    prepare_workspace(instructor, space, sources);
  }
  throw Error(kExitFailure, fmt::format("tito grade: {}: the build still fails after replacing every module "
                                        "blamed by its errors (logs in {})",
                                        label, space.logs.string()));
}

// Runs one module's unit tests through CTest (JUnit results) and lists its executable's
// tests (which file each test is in). Logs: logs/<label>-<module>.log.
ModuleRun run_module_tests(const ModuleSpec& module, const GradeSpace& space, const std::string& label,
                           int timeout_seconds) {
  ModuleRun run;
  const fs::path junit = space.logs / fmt::format("{}-{}.junit.xml", label, module.name);
  std::error_code ignored;
  fs::remove(junit, ignored);
  const CapturedRun ctest = capture_command(
      {{"ctest", "--test-dir", space.build.string(), "-L", "^" + module.name + "$", "--timeout",
        std::to_string(timeout_seconds), "-j", std::to_string(build_jobs()), "--output-on-failure",
        "--output-junit", junit.string()},
       std::nullopt});
  write_log(space.logs / fmt::format("{}-{}.log", label, module.name), ctest.output);
  run.results = read_junit_file(junit.string()).cases;
  const fs::path listing = space.logs / fmt::format("{}-{}.tests.json", label, module.name);
  const CapturedRun list = capture_command(
      {{(space.build / "bin" / ("test_" + module.name)).string(), "--gtest_list_tests",
        "--gtest_output=json:" + listing.string()},
       std::nullopt});
  auto json = read_file(listing);
  if (list.exit_code != 0 || !json) {
    throw Error(kExitFailure, fmt::format("tito grade: test_{} did not list its tests: {}", module.name,
                                          list.output.substr(0, 300)));
  }
  run.file_of_test = parse_gtest_listing(*json);
  return run;
}

std::map<std::string, ModuleRun> run_all_tests(const Project& project, const GradeSpace& space,
                                               const std::string& label, int timeout_seconds) {
  std::map<std::string, ModuleRun> runs;
  for (const ModuleSpec& module : project.modules) {
    if (!module.tests.empty()) runs[module.name] = run_module_tests(module, space, label, timeout_seconds);
  }
  return runs;
}

// What grading needs to know about this checkout, per module: the test ids passing on its
// starter code, and those the solution skips.
struct Baseline {
  std::map<std::string, std::set<std::string>> starter_passes;
  std::map<std::string, std::set<std::string>> solution_skips;
};
constexpr const char* kStarterPass = "starter-pass";
constexpr const char* kSolutionSkip = "solution-skip";

fs::path starter_cache(const GradeSpace& space) { return space.src.parent_path() / "starter.txt"; }

// starter.txt: "fingerprint HEX", then one "kind<TAB>module<TAB>test id" line per entry.
std::optional<Baseline> cached_baseline(const Instructor& instructor, const GradeSpace& space) {
  auto text = read_file(starter_cache(space));
  if (!text || !text->starts_with("fingerprint " + fingerprint(instructor) + "\n")) return std::nullopt;
  Baseline baseline;
  std::istringstream lines(*text);
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    const auto tab1 = line.find('\t');
    const auto tab2 = tab1 == std::string::npos ? tab1 : line.find('\t', tab1 + 1);
    if (tab2 == std::string::npos) return std::nullopt;  // not a file this version wrote: walk again
    const std::string kind = line.substr(0, tab1);
    const std::string module = line.substr(tab1 + 1, tab2 - tab1 - 1);
    auto& sets = kind == kStarterPass ? baseline.starter_passes : baseline.solution_skips;
    sets[module].insert(line.substr(tab2 + 1));
  }
  return baseline;
}

std::string baseline_text(const Instructor& instructor, const Baseline& baseline) {
  std::string text = "fingerprint " + fingerprint(instructor) + "\n";
  for (const auto& [kind, sets] : {std::pair{kStarterPass, &baseline.starter_passes},
                                   std::pair{kSolutionSkip, &baseline.solution_skips}}) {
    for (const auto& [module, tests] : *sets) {
      for (const std::string& test : tests) text += fmt::format("{}\t{}\t{}\n", kind, module, test);
    }
  }
  return text;
}

// The walk described at the top of this file: per module, the tests passing on its starter
// code with the modules before it solved. Cached in starter.txt.
Baseline walk_starter_code(const Instructor& instructor, const GradeSpace& space, int timeout_seconds) {
  fmt::print("grade: finding the tests that pass without the student's work — module by module, on its starter "
             "code with the modules before it solved\n");
  SourceSet sources = instructor.starter;
  Baseline baseline;
  for (const ModuleSpec& module : instructor.project.modules) {
    if (!module.tests.empty()) {
      prepare_workspace(instructor, space, sources);
      const std::string label = "starter-" + module.name;
      const CapturedRun run = capture_command(build_targets_command(space, {"test_" + module.name}));
      write_log(space.logs / (label + "-build.log"), run.output);
      if (run.exit_code != 0) {
        throw Error(kExitFailure, fmt::format("tito grade: the starter code of {} does not compile with the modules "
                                              "before it solved (log: {}); run .ci/student_release_check",
                                              module.name, (space.logs / (label + "-build.log")).string()));
      }
      const ModuleRun tests = run_module_tests(module, space, "starter", timeout_seconds);
      std::set<std::string>& module_passes = baseline.starter_passes[module.name];
      for (const TestCaseResult& result : tests.results) {
        if (result.outcome == TestOutcome::passed) module_passes.insert(ctest_test_id(result.name));
      }
      fmt::print("  {}: {} of {} tests pass on its starter code\n", module.name, module_passes.size(),
                 tests.results.size());
    }
    for (auto& [file, content] : sources) {  // the module is solved for the modules after it
      if (instructor.module_of_source.at(file) == module.name) content = instructor.content.at(file);
    }
  }
  fmt::print("grade: every module solved: the tests the solution skips on this machine\n");
  prepare_workspace(instructor, space, sources);
  std::map<std::string, std::string> no_errors;
  build_with_fallback(instructor, space, sources, "solution", no_errors);
  for (const auto& [module, run] : run_all_tests(instructor.project, space, "solution", timeout_seconds)) {
    for (const TestCaseResult& result : run.results) {
      if (result.outcome == TestOutcome::skipped) baseline.solution_skips[module].insert(ctest_test_id(result.name));
    }
    if (!baseline.solution_skips[module].empty()) {
      fmt::print("  {}: {} skipped by the solution: {}\n", module, baseline.solution_skips[module].size(),
                 fmt::join(baseline.solution_skips[module], ", "));
    }
  }
  write_file_atomically(starter_cache(space), baseline_text(instructor, baseline));
  return baseline;
}

void check_options(const Workspace& ws, const GradeOptions& options, const fs::path& work) {
  if (options.student_dirs.empty()) throw UsageError("tito grade: give at least one STUDENT_DIR");
  if (options.output.empty()) throw UsageError("tito grade: --output FILE.csv is required");
  if (options.timeout_seconds <= 0) {
    throw UsageError(fmt::format("tito grade: --timeout must be > 0 seconds, got {}", options.timeout_seconds));
  }
  for (const std::string& dir : options.student_dirs) {
    if (!looks_like_root(dir)) {
      throw UsageError(fmt::format("tito grade: '{}' is not a TinyTorch copy (expected modules/ and "
                                   "CMakeLists.txt in it)",
                                   dir));
    }
    const fs::path student = fs::weakly_canonical(dir);
    if (student == fs::weakly_canonical(work / "src")) {
      throw UsageError(fmt::format("tito grade: '{}' is the grading workspace itself", dir));
    }
  }
  if (fs::weakly_canonical(work).string().starts_with(fs::weakly_canonical(ws.root / "modules").string())) {
    throw UsageError(fmt::format("tito grade: --work '{}' must not be inside modules/", work.string()));
  }
}

void print_student_table(const StudentGrade& grade) {
  Table table({"Module", "Graded tests passed", "Points", "Note"});
  for (const ModuleGrade& module : grade.modules) {
    table.add_row({module.module, fmt::format("{}/{}", module.passed, module.graded),
                   fmt::format("{:.1f} / {:.1f}", module.points, module.max_points), module.note.substr(0, 80)});
  }
  table.add_row({"total", "", fmt::format("{:.1f} / {:.1f}", grade.points(), grade.max_points()), ""});
  fmt::print("{}", table.render(color_enabled(stdout)));
}

// One student's copy built and tested (the points come once the starter results are known).
struct StudentRun {
  std::string student;
  std::map<std::string, ModuleRun> runs;
  std::map<std::string, std::string> build_errors;
};

StudentRun build_and_test_student(const Instructor& instructor, const GradeSpace& space, const fs::path& dir,
                                  const std::string& name, const std::string& label, int timeout_seconds) {
  StudentRun student{name, {}, {}};
  std::map<std::string, std::vector<std::string>> missing;
  SourceSet sources = read_student_sources(instructor, dir, missing);
  for (const auto& [module, files] : missing) {
    fmt::print("  {}: {} file(s) missing in the copy, graded with their starter version: {}\n", module,
               files.size(), fmt::join(files, ", "));
  }
  prepare_workspace(instructor, space, sources);
  build_with_fallback(instructor, space, sources, label, student.build_errors);
  student.runs = run_all_tests(instructor.project, space, label, timeout_seconds);
  return student;
}

StudentGrade grade_student(const Project& project, const StudentRun& student, const Baseline& baseline) {
  StudentGrade grade{student.student, {}};
  for (const ModuleSpec& module : project.modules) {
    const auto found = student.runs.find(module.name);
    if (found == student.runs.end()) continue;
    ModuleRun run = found->second;
    if (const auto free = baseline.starter_passes.find(module.name); free != baseline.starter_passes.end()) {
      run.passes_on_starter = free->second;
    }
    if (const auto skips = baseline.solution_skips.find(module.name); skips != baseline.solution_skips.end()) {
      run.skipped_on_solution = skips->second;
    }
    if (const auto error = student.build_errors.find(module.name); error != student.build_errors.end()) {
      run.build_error = error->second;
    }
    grade.modules.push_back(grade_module(module, run));
  }
  return grade;
}

}  // namespace

int grade_command(const Workspace& ws, const GradeOptions& options) {
  const fs::path work = options.work_dir.empty() ? ws.build / "grade" : fs::path(options.work_dir);
  check_options(ws, options, work);
  const Instructor instructor = read_instructor(ws);
  require_points(instructor.project);
  const GradeSpace space{work / "src", work / "build", work / "logs"};
  fs::create_directories(space.logs);

  std::vector<fs::path> dirs;
  for (const std::string& dir : options.student_dirs) dirs.push_back(fs::weakly_canonical(dir));
  const std::vector<std::string> names = student_names(dirs);
  std::vector<StudentRun> students;
  for (std::size_t s = 0; s < dirs.size(); ++s) {
    fmt::print("grade: [{}/{}] {} — building this checkout with its module sources in {}\n", s + 1, dirs.size(),
               dirs[s].string(), space.build.string());
    students.push_back(build_and_test_student(instructor, space, dirs[s], names[s], fmt::format("student-{}", s + 1),
                                              options.timeout_seconds));
  }
  std::optional<Baseline> baseline = cached_baseline(instructor, space);
  if (baseline) {
    fmt::print("grade: the tests passing on the starter code and skipped by the solution: reused from {}\n",
               starter_cache(space).string());
  } else {
    baseline = walk_starter_code(instructor, space, options.timeout_seconds);
  }
  std::vector<StudentGrade> grades;
  for (const StudentRun& student : students) {
    grades.push_back(grade_student(instructor.project, student, *baseline));
    fmt::print("\n{}:\n", student.student);
    print_student_table(grades.back());
  }
  write_file_atomically(options.output, grades_csv(grades));
  fmt::print("grade: wrote {} ({} student(s); logs in {})\n", options.output, grades.size(), space.logs.string());
  return 0;
}

}  // namespace tito
