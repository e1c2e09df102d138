// cmd_test.cpp — `tito test NAME... | --all`.
//
// For each module, in number order: build what it needs, then run its phases
// through CTest (inline checks, unit tests, milestone checks — see phases.hpp)
// and count from CTest's JUnit output. Prints a summary table, records the
// results in <build>/tito-results.json, and exits 1 if any phase failed.
// `--all` ends with the tito self-tests.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tito/cmake_driver.hpp"
#include "tito/commands.hpp"
#include "tito/error.hpp"
#include "tito/phases.hpp"
#include "tito/results.hpp"
#include "tito/table.hpp"
#include "tito/term.hpp"

namespace tito {

namespace {

constexpr const char* kLibraryTarget = "tinytorch";
constexpr const char* kSelfTestTarget = "test_tito";

Tone tone_of(Verdict verdict) {
  switch (verdict) {
    case Verdict::passed: return Tone::good;
    case Verdict::failed: return Tone::bad;
    case Verdict::not_declared: return Tone::dim;
    case Verdict::not_run: return Tone::warn;
  }
  return Tone::plain;
}

void print_heading(const std::string& suite, const std::string& title) {
  fmt::print("\n{}\n", out_paint(fmt::format("━━ {} · {}", suite, title), Tone::strong));
}

void print_phase_line(const PhaseResult& result) {
  std::string line = fmt::format("{}: {}", result.title, out_paint(result_text(result), tone_of(result.verdict)));
  if (!result.note.empty()) line += " — " + result.note;
  fmt::print("  {}\n", line);
}

PhaseResult run_phase(const Workspace& ws, const std::string& suite, const PhasePlan& plan) {
  if (!plan.declared) return not_declared_phase(suite, plan);
  fmt::print("{}\n", out_paint(fmt::format("▸ {} (CTest label {})", plan.title, plan.label), Tone::strong));
  const CtestRun run = run_ctest_label(ws, plan.label);
  if (!run.report_error.empty()) {
    PhaseResult result = failed_phase(suite, plan.title, plan.label, run.report_error);
    result.seconds = run.seconds;
    return result;
  }
  return judge_phase(suite, plan, run.report, run.exit_code, run.seconds);
}

// The phases after a failed build: one failed "build" row, the rest not run.
std::vector<PhaseResult> build_failure(const std::string& suite, const std::vector<PhasePlan>& plans,
                                       const std::string& note) {
  std::vector<PhaseResult> results{failed_phase(suite, "build", "", note)};
  for (const auto& plan : plans) {
    results.push_back(plan.declared ? not_run_phase(suite, plan, "build failed") : not_declared_phase(suite, plan));
  }
  return results;
}

std::vector<PhaseResult> run_phases(const Workspace& ws, const std::string& suite,
                                    const std::vector<PhasePlan>& plans) {
  std::vector<PhaseResult> results;
  for (const auto& plan : plans) {
    results.push_back(run_phase(ws, suite, plan));
    print_phase_line(results.back());
  }
  return results;
}

SuiteRecord test_module(const Workspace& ws, const ModuleSpec& module, bool library_builds) {
  print_heading(module.name, module.title);
  const std::vector<PhasePlan> plans = plan_test_phases(module);
  SuiteRecord record{local_timestamp(), {}};
  std::string build_problem;
  if (!library_builds) {
    build_problem = "the tinytorch library does not compile (errors above)";
  } else if (const auto targets = build_targets_for(module); !targets.empty() && build_targets(ws, targets) != 0) {
    build_problem = "its checks, tests or milestone programs do not compile (errors above)";
  }
  if (build_problem.empty()) {
    record.phases = run_phases(ws, module.name, plans);
  } else {
    record.phases = build_failure(module.name, plans, build_problem);
    print_phase_line(record.phases.front());
  }
  return record;
}

SuiteRecord test_tito_itself(const Workspace& ws) {
  print_heading("tito", "the tito CLI's own tests");
  const std::vector<PhasePlan> plans{self_test_phase()};
  SuiteRecord record{local_timestamp(), {}};
  if (build_targets(ws, {kSelfTestTarget}) != 0) {
    record.phases = build_failure("tito", plans, "test_tito does not compile (errors above)");
    print_phase_line(record.phases.front());
  } else {
    record.phases = run_phases(ws, "tito", plans);
  }
  return record;
}

bool build_library(const Workspace& ws) {
  fmt::print("\n{}\n", out_paint("━━ building the tinytorch library", Tone::strong));
  return build_targets(ws, {kLibraryTarget}) == 0;
}

void print_summary(const ResultsBySuite& latest, const std::vector<std::string>& order) {
  Table table({"Module", "Phase", "Result", "Time"});
  std::vector<std::string> notes;
  for (const auto& suite : order) {
    for (const auto& phase : latest.at(suite).phases) {
      const bool ran = phase.verdict == Verdict::passed || phase.verdict == Verdict::failed;
      table.add_row({suite, phase.title, Cell(result_text(phase), tone_of(phase.verdict)),
                     ran && phase.title != "build" ? format_seconds(phase.seconds) : "-"});
      if (phase.verdict == Verdict::failed) notes.push_back(fmt::format("{} {}: {}", suite, phase.title, phase.note));
    }
  }
  fmt::print("\n{}", table.render(color_enabled(stdout)));
  for (const auto& note : notes) fmt::print("  {} {}\n", out_paint("✗", Tone::bad), note);
}

int print_verdict(const ResultsBySuite& latest, const std::vector<std::string>& order) {
  std::vector<std::string> failed;
  for (const auto& suite : order) {
    if (!latest.at(suite).passed()) failed.push_back(suite);
  }
  if (failed.empty()) {
    fmt::print("\n{} {}\n", out_paint("PASSED:", Tone::good),
               order.size() == 1 ? order.front() + " passed" : fmt::format("all {} suites passed", order.size()));
    return kExitOk;
  }
  fmt::print("\n{} {} of {} suites failed: {}\n", out_paint("FAILED:", Tone::bad), failed.size(), order.size(),
             fmt::join(failed, ", "));
  return kExitFailure;
}

}  // namespace

int test_command(const Workspace& ws, const TestOptions& options) {
  require_names_or_all(options.names, options.all);
  const Project project = load_project(ws.root);
  const auto modules = select_modules(project, options.names, options.all);
  export_if_out_of_sync(project, modules);
  if (const int status = ensure_configured(ws); status != 0) {
    fmt::print(stderr, "{} configuring {} failed (cmake exit {}); see the errors above\n",
               err_paint("error:", Tone::bad), ws.build.string(), status);
    return kExitFailure;
  }
  const bool library_builds = build_library(ws);
  ResultsBySuite latest;
  std::vector<std::string> order;
  for (const ModuleSpec* module : modules) {
    latest[module->name] = test_module(ws, *module, library_builds);
    order.push_back(module->name);
  }
  if (options.all) {
    latest["tito"] = test_tito_itself(ws);
    order.push_back("tito");
  }
  record_results(results_path(ws), latest);
  print_summary(latest, order);
  return print_verdict(latest, order);
}

}  // namespace tito
