// cmd_student.cpp — the student's commands: `tito module start | reset | complete NN`.
//
//   start NN      checks that the modules NN needs have passed their tests, lists the
//                 starter files and the functions still to write (their NotImplemented
//                 stubs), and records the start in the progress file.
//   reset NN      backs the module's current files up under .tito/backups/NN/STAMP/ and
//                 puts the starter code back; --list-backups lists the backups,
//                 --restore STAMP puts one back (backing the current files up first).
//   complete NN   runs `tito test NN` (which exports the sources first); when every phase
//                 passes, records it with CTest's counts and says what is now unlocked.
//
// Only in a student copy (student_mode.hpp): in the instructor's checkout there is no
// starter code to go back to, and nothing to unlock.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <utility>

#include "tito/commands.hpp"
#include "tito/error.hpp"
#include "tito/file_io.hpp"
#include "tito/progress.hpp"
#include "tito/resolve.hpp"
#include "tito/results.hpp"
#include "tito/student_mode.hpp"
#include "tito/term.hpp"

namespace tito {

namespace {

void require_student_copy(const Workspace& ws, const std::string& command) {
  if (is_student_copy(ws.root)) return;
  throw UsageError(fmt::format("'tito module {}' works in a student copy ({} is the instructor's checkout: it has no "
                               "{}); make one with 'tito release student DIR'",
                               command, ws.root.string(), kStudentMarker));
}

// The module's files in the starter code: paths relative to the module folder.
std::vector<std::string> starter_files(const Workspace& ws, const ModuleSpec& module) {
  std::vector<std::string> files;
  const fs::path folder = ws.root / kStarterDir / "modules" / module.name;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return files;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), folder).generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The functions still stubbed in a starter file, read from its NotImplemented("NN_name: function")
// lines, in file order, each once: "finish_vector"
// or, for a function whose solution is split in several regions, "finish_vector (3 parts)".
std::vector<std::string> stubbed_functions(const std::string& text, const std::string& module_name) {
  std::vector<std::pair<std::string, int>> parts;  // function, regions still stubbed
  const std::string key = "NotImplemented(\"" + module_name + ": ";
  for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at + 1)) {
    const std::size_t begin = at + key.size();
    const std::size_t end = text.find('"', begin);
    if (end == std::string::npos) continue;
    const std::string name = text.substr(begin, end - begin);
    auto seen = std::find_if(parts.begin(), parts.end(), [&](const auto& entry) { return entry.first == name; });
    if (seen == parts.end()) {
      parts.emplace_back(name, 1);
    } else {
      ++seen->second;
    }
  }
  std::vector<std::string> names;
  for (const auto& [name, count] : parts) {
    names.push_back(count == 1 ? name : fmt::format("{} ({} parts)", name, count));
  }
  return names;
}

std::string backup_stamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", &local);
  return text;
}

// Copies the module's current files (those the starter code has) to a new backup folder.
fs::path back_up(const Workspace& ws, const ModuleSpec& module, const std::vector<std::string>& files) {
  const fs::path base = ws.root / kBackupDir / module.name;
  fs::path folder = base / backup_stamp();
  for (int n = 2; fs::exists(folder); ++n) folder = base / fmt::format("{}-{}", backup_stamp(), n);
  for (const std::string& file : files) {
    const fs::path from = ws.root / "modules" / module.name / file;
    if (!fs::exists(from)) continue;  // deleted by the student: nothing to keep
    fs::create_directories((folder / file).parent_path());
    fs::copy_file(from, folder / file);
  }
  fs::create_directories(folder);  // also when every file was missing
  return folder;
}

void copy_files_into_module(const Workspace& ws, const ModuleSpec& module, const fs::path& from_folder,
                            const std::vector<std::string>& files) {
  for (const std::string& file : files) {
    const std::optional<std::string> content = read_file(from_folder / file);
    if (!content) throw Error(kExitFailure, fmt::format("cannot read {}", (from_folder / file).string()));
    write_file_atomically(ws.root / "modules" / module.name / file, *content);
  }
}

std::vector<std::string> backups_of(const Workspace& ws, const ModuleSpec& module) {
  std::vector<std::string> stamps;
  const fs::path base = ws.root / kBackupDir / module.name;
  std::error_code ec;
  if (!fs::is_directory(base, ec)) return stamps;
  for (const auto& entry : fs::directory_iterator(base)) {
    if (entry.is_directory()) stamps.push_back(entry.path().filename().string());
  }
  std::sort(stamps.begin(), stamps.end());
  return stamps;
}

}  // namespace

int module_start_command(const Workspace& ws, const std::string& spelled_name) {
  require_student_copy(ws, "start");
  const Project project = load_project(ws.root);
  const ModuleSpec& module = resolve_module(project, spelled_name);
  const ResultsBySuite results = load_results(results_path(ws));
  std::vector<std::string> not_passed;
  for (const std::string& name : module.prerequisites) {
    const auto record = results.find(name);
    if (record == results.end() || !record->second.passed()) not_passed.push_back(name);
  }
  if (!not_passed.empty()) {
    fmt::print(stderr, "{} {} needs these modules to pass their tests first:\n", err_paint("error:", Tone::bad),
               module.name);
    for (const std::string& name : not_passed) fmt::print(stderr, "  {}   (tito module complete {})\n", name, name);
    return kExitFailure;
  }
  Progress progress = load_progress(ws.root);
  if (progress[module.name].started.empty()) progress[module.name].started = local_timestamp();
  save_progress(ws.root, progress);

  fmt::print("{} — {}\n{}\n\nlesson: modules/{}/ABOUT.md\nyour files (modules/{}/):\n",
             out_paint(module.name, Tone::strong), module.title, module.summary, module.name, module.name);
  for (const std::string& file : starter_files(ws, module)) {
    const std::vector<std::string> todo =
        stubbed_functions(read_file(ws.root / "modules" / module.name / file).value_or(""), module.name);
    if (todo.empty()) continue;
    fmt::print("  {:<28} {} to write: {}\n", file, todo.size(), fmt::join(todo, ", "));
  }
  fmt::print("\nwhen a function is written: tito test {0}   (each test names the concept it checks)\n"
             "when all pass:              tito module complete {0}\n",
             module.number_prefix());
  return kExitOk;
}

int module_reset_command(const Workspace& ws, const std::string& spelled_name, bool list_backups,
                         const std::string& restore_stamp) {
  require_student_copy(ws, "reset");
  const Project project = load_project(ws.root);
  const ModuleSpec& module = resolve_module(project, spelled_name);
  if (list_backups) {
    const std::vector<std::string> stamps = backups_of(ws, module);
    if (stamps.empty()) fmt::print("no backups of {} yet\n", module.name);
    for (const std::string& stamp : stamps) fmt::print("{}   {}\n", stamp, (ws.root / kBackupDir / module.name / stamp).string());
    return kExitOk;
  }
  const std::vector<std::string> files = starter_files(ws, module);
  if (files.empty()) {
    throw Error(kExitFailure, fmt::format("no starter code for {} in {}/modules/{}; was this copy made by 'tito release "
                                          "student'?",
                                          module.name, kStarterDir, module.name));
  }
  fs::path source = ws.root / kStarterDir / "modules" / module.name;
  std::vector<std::string> to_copy = files;
  if (!restore_stamp.empty()) {
    source = ws.root / kBackupDir / module.name / restore_stamp;
    const std::vector<std::string> stamps = backups_of(ws, module);  // never a path outside the backups
    if (std::find(stamps.begin(), stamps.end(), restore_stamp) == stamps.end()) {
      throw UsageError(fmt::format("no backup {} of {}; 'tito module reset {} --list-backups' lists them", restore_stamp,
                                   module.name, module.number_prefix()));
    }
    to_copy.clear();
    for (const std::string& file : files) {
      if (fs::exists(source / file)) to_copy.push_back(file);
    }
  }
  const fs::path backup = back_up(ws, module, files);
  copy_files_into_module(ws, module, source, to_copy);
  fmt::print("backed up your files of {} to {}\n", module.name, fs::relative(backup, ws.root).string());
  fmt::print("{} {} file(s) from {}\n", restore_stamp.empty() ? "restored the starter code:" : "restored",
             to_copy.size(), restore_stamp.empty() ? std::string("the release") : "backup " + restore_stamp);
  return kExitOk;
}

int module_complete_command(const Workspace& ws, const std::string& spelled_name) {
  require_student_copy(ws, "complete");
  const Project project = load_project(ws.root);
  const ModuleSpec& module = resolve_module(project, spelled_name);
  const ResultsBySuite before = load_results(results_path(ws));

  TestOptions options;
  options.names = {module.name};
  const int status = test_command(ws, options);  // exports first, then every phase through CTest
  const ResultsBySuite after = load_results(results_path(ws));
  const auto record = after.find(module.name);
  if (status != kExitOk || record == after.end() || !record->second.passed()) {
    fmt::print("\n{} is not complete yet: fix the failing tests above, then run 'tito module complete {}' again\n",
               module.name, module.number_prefix());
    return kExitFailure;
  }
  Progress progress = load_progress(ws.root);
  ModuleProgress& entry = progress[module.name];
  if (entry.started.empty()) entry.started = record->second.timestamp;
  entry.completed = record->second.timestamp;
  entry.tests_passed = 0;
  entry.tests_total = 0;
  for (const PhaseResult& phase : record->second.phases) {
    entry.tests_passed += phase.counts.passed;
    entry.tests_total += phase.counts.total;
  }
  save_progress(ws.root, progress);
  fmt::print("\n{} complete: {}/{} tests passed (recorded in {})\n", out_paint(module.name, Tone::good),
             entry.tests_passed, entry.tests_total, kProgressFile);

  for (const MilestoneSpec& milestone : project.milestones) {
    const bool was_locked = milestone_lock(project, milestone, before).locked;
    const MilestoneLock now = milestone_lock(project, milestone, after);
    if (was_locked && !now.locked) {
      fmt::print("unlocked: milestone {} — tito milestone run {}\n", milestone.id,
                 milestone.id.substr(0, milestone.id.find('_')));
    }
  }
  for (const ModuleSpec& next : project.modules) {
    const auto passed = [&](const std::string& name) {
      const auto found = after.find(name);
      return found != after.end() && found->second.passed();
    };
    const bool needed_this = std::find(next.prerequisites.begin(), next.prerequisites.end(), module.name) !=
                             next.prerequisites.end();
    if (needed_this && !passed(next.name) &&
        std::all_of(next.prerequisites.begin(), next.prerequisites.end(), passed)) {
      fmt::print("ready to start: {} — tito module start {}\n", next.name, next.number_prefix());
    }
  }
  return kExitOk;
}

}  // namespace tito
