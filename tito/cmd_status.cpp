// cmd_status.cpp — `tito module status`: one row per module.
//
//   #   Module      Title   Exported  In sync  Last test
//   01  01_tensor   Tensor  yes       yes      52/52 passed (2024-11-23 14:02:11)
//
// Exported: every export target exists. In sync: every target is what
// `tito export` would write. Last test: from <build>/tito-results.json.
#include <fmt/format.h>

#include <algorithm>

#include "tito/commands.hpp"
#include "tito/error.hpp"
#include "tito/export.hpp"
#include "tito/progress.hpp"
#include "tito/results.hpp"
#include "tito/student_mode.hpp"
#include "tito/sync.hpp"
#include "tito/table.hpp"
#include "tito/term.hpp"

namespace tito {

namespace {

size_t count_kind(const std::vector<Drift>& drifts, DriftKind kind) {
  return static_cast<size_t>(std::count_if(drifts.begin(), drifts.end(), [&](const Drift& d) { return d.kind == kind; }));
}

Cell exported_cell(const ModuleSpec& module, const std::vector<Drift>& drifts) {
  if (module.exports.empty()) return Cell("nothing to export", Tone::dim);
  const size_t missing = count_kind(drifts, DriftKind::missing);
  if (missing == 0) return Cell("yes", Tone::good);
  if (missing == module.exports.size()) return Cell("no", Tone::warn);
  return Cell(fmt::format("{} of {} missing", missing, module.exports.size()), Tone::warn);
}

Cell sync_cell(const std::vector<Drift>& drifts) {
  if (drifts.empty()) return Cell("yes", Tone::good);
  return Cell(fmt::format("no ({} file{})", drifts.size(), drifts.size() == 1 ? "" : "s"), Tone::bad);
}

Cell last_test_cell(const ResultsBySuite& results, const std::string& suite) {
  auto it = results.find(suite);
  if (it == results.end()) return Cell("never run", Tone::dim);
  return Cell(fmt::format("{} ({})", record_summary(it->second), it->second.timestamp),
              it->second.passed() ? Tone::good : Tone::bad);
}

Cell progress_cell(const Progress& progress, const std::string& module) {
  const auto entry = progress.find(module);
  if (entry == progress.end() || entry->second.started.empty()) return Cell("not started", Tone::dim);
  if (entry->second.completed.empty()) return Cell("started " + entry->second.started.substr(0, 10), Tone::warn);
  return Cell(fmt::format("complete ({}/{} tests)", entry->second.tests_passed, entry->second.tests_total), Tone::good);
}

// Lines under the table for drift that belongs to no single module.
void print_project_wide_drift(const Project& project) {
  if (!compare_with_disk({plan_manifest_file(project)}).empty()) {
    fmt::print("{} tinytorch/manifest.cmake is out of sync; run 'tito export --all'\n", out_paint("note:", Tone::warn));
  }
  const auto stale = find_stale_files(project, {});
  if (!stale.empty()) {
    fmt::print("{} {} stale generated file(s) under tinytorch/ (first: {}); run 'tito export --all'\n",
               out_paint("note:", Tone::warn), stale.size(), stale.front().shown);
  }
}

}  // namespace

int module_status_command(const Workspace& ws) {
  const Project project = load_project(ws.root);
  const ResultsBySuite results = load_results(results_path(ws));
  // A student copy adds the student's own record (progress.hpp): started, completed.
  const bool student = is_student_copy(ws.root);
  const Progress progress = student ? load_progress(ws.root) : Progress{};
  std::vector<std::string> columns = {"#", "Module", "Title", "Exported", "In sync", "Last test"};
  if (student) columns.push_back("Progress");
  Table table(columns);
  for (const auto& module : project.modules) {
    const std::vector<Drift> drifts = compare_with_disk(plan_module_files(project, module));
    std::vector<Cell> row = {module.number_prefix(), module.name, module.title, exported_cell(module, drifts),
                             sync_cell(drifts), last_test_cell(results, module.name)};
    if (student) row.push_back(progress_cell(progress, module.name));
    table.add_row(row);
  }
  if (project.modules.empty()) {
    fmt::print("no modules yet (modules/NN_name/module.yaml)\n");
    return kExitOk;
  }
  fmt::print("{}", table.render(color_enabled(stdout)));
  print_project_wide_drift(project);
  if (!project.milestones.empty()) {
    Table milestones({"Milestone", "Needs modules", "Status"});
    for (const MilestoneSpec& milestone : project.milestones) {
      std::string needs;
      for (const std::string& name : modules_needed(project, milestone)) {
        needs += (needs.empty() ? "" : ", ") + name.substr(0, name.find('_'));
      }
      milestones.add_row({milestone.id, needs, milestone_status_cell(project, milestone, results, student)});
    }
    fmt::print("\n{}", milestones.render(color_enabled(stdout)));
    if (student) {
      fmt::print("a milestone unlocks when every module it needs has passed 'tito test' (counts from CTest)\n");
    }
  }
  return kExitOk;
}

}  // namespace tito
