// cmd_milestone.cpp — `tito milestone list` and `tito milestone run ID [ARGS...]`.
//
// A milestone's prerequisites are derived: the modules whose module.yaml lists
// it. `run` exports those modules if they are out of sync, builds the program
// and runs <build>/bin/milestone_<id> from <build>/ (so models land in
// build/models/) with the yaml's run_args followed by the user's arguments,
// returning the program's own exit code.
#include <fmt/format.h>

#include "tito/cmake_driver.hpp"
#include "tito/commands.hpp"
#include "tito/error.hpp"
#include "tito/process.hpp"
#include "tito/resolve.hpp"
#include "tito/results.hpp"
#include "tito/student_mode.hpp"
#include "tito/table.hpp"
#include "tito/term.hpp"

namespace tito {

namespace {

// "01, 02, 03" — prerequisite modules by number, compact enough for a table.
std::string prerequisite_numbers(const Project& project, const MilestoneSpec& milestone) {
  std::string out;
  for (const auto& name : milestone.prerequisites) {
    const ModuleSpec* module = project.find_module(name);
    out += (out.empty() ? "" : ", ") + (module ? module->number_prefix() : name);
  }
  return out.empty() ? "-" : out;
}

std::vector<const ModuleSpec*> prerequisite_modules(const Project& project, const MilestoneSpec& milestone) {
  std::vector<const ModuleSpec*> modules;
  for (const auto& name : milestone.prerequisites) {
    if (const ModuleSpec* module = project.find_module(name)) modules.push_back(module);
  }
  return modules;
}

}  // namespace

Cell milestone_status_cell(const Project& project, const MilestoneSpec& milestone, const ResultsBySuite& results,
                           bool student_copy) {
  if (!student_copy) return Cell("open", Tone::dim);  // the instructor's checkout locks nothing
  const MilestoneLock lock = milestone_lock(project, milestone, results);
  if (!lock.locked) return Cell("unlocked", Tone::good);
  return Cell(fmt::format("locked: {} module{} to pass", lock.missing.size(), lock.missing.size() == 1 ? "" : "s"),
              Tone::warn);
}

int milestone_list_command(const Workspace& ws) {
  const Project project = load_project(ws.root);
  if (project.milestones.empty()) {
    fmt::print("no milestones yet (milestones/NN_name/milestone.yaml)\n");
    return kExitOk;
  }
  Table table({"Milestone", "Title", "Prerequisite modules", "Built", "Status"});
  const ResultsBySuite results = load_results(results_path(ws));
  const bool student = is_student_copy(ws.root);
  for (const auto& milestone : project.milestones) {
    std::error_code ec;
    const bool built = fs::exists(milestone_binary(ws, milestone.id), ec);
    table.add_row({milestone.id, milestone.title, prerequisite_numbers(project, milestone),
                   built ? Cell("yes", Tone::good) : Cell("no", Tone::dim),
                   milestone_status_cell(project, milestone, results, student)});
  }
  fmt::print("{}", table.render(color_enabled(stdout)));
  fmt::print("run one with: tito milestone run <id> [args...]   (e.g. tito milestone run {})\n",
             project.milestones.front().id.substr(0, project.milestones.front().id.find('_')));
  return kExitOk;
}

int milestone_run_command(const Workspace& ws, const std::string& spelled_id,
                          const std::vector<std::string>& extra_args, bool force) {
  const Project project = load_project(ws.root);
  const MilestoneSpec& milestone = resolve_milestone(project, spelled_id);
  if (is_student_copy(ws.root)) {
    const MilestoneLock lock = milestone_lock(project, milestone, load_results(results_path(ws)));
    if (lock.locked && !force) {
      fmt::print(stderr, "{} milestone {} is locked: these modules have not passed their tests yet:\n",
                 err_paint("error:", Tone::bad), milestone.id);
      for (const std::string& missing : lock.missing) fmt::print(stderr, "  {}\n", missing);
      fmt::print(stderr, "run 'tito test NN' for each until it passes, or 'tito milestone run --force {}'\n",
                 milestone.id.substr(0, milestone.id.find('_')));
      return kExitFailure;
    }
    if (lock.locked) fmt::print("{} running locked milestone {} (--force)\n", out_paint("note:", Tone::warn), milestone.id);
  }
  export_if_out_of_sync(project, prerequisite_modules(project, milestone));
  if (const int status = ensure_configured(ws); status != 0) {
    fmt::print(stderr, "{} configuring {} failed (cmake exit {})\n", err_paint("error:", Tone::bad),
               ws.build.string(), status);
    return kExitFailure;
  }
  if (build_targets(ws, {"milestone_" + milestone.id}) != 0) {
    fmt::print(stderr, "{} milestone_{} does not build; see the compiler errors above\n",
               err_paint("error:", Tone::bad), milestone.id);
    return kExitFailure;
  }
  Command command{{milestone_binary(ws, milestone.id).string()}, ws.build};
  command.argv.insert(command.argv.end(), milestone.run_args.begin(), milestone.run_args.end());
  command.argv.insert(command.argv.end(), extra_args.begin(), extra_args.end());
  fmt::print("{}\n", out_paint("$ " + shell_line(command), Tone::dim));
  return run_command(command);
}

}  // namespace tito
