// phases.cpp — the phases of `tito test` and their verdicts (see phases.hpp).
#include "tito/phases.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace tito {

namespace {

constexpr size_t kFailedNamesShown = 5;

std::string failed_names(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kFailedNamesShown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > kFailedNamesShown) out += fmt::format(" and {} more", names.size() - kFailedNamesShown);
  return out;
}

PhaseResult start_result(const std::string& suite, const PhasePlan& plan) {
  PhaseResult result;
  result.suite = suite;
  result.title = plan.title;
  result.label = plan.label;
  return result;
}

}  // namespace

std::vector<PhasePlan> plan_test_phases(const ModuleSpec& module) {
  std::vector<PhasePlan> phases;
  phases.push_back({"inline checks", module.name + ".checks", module.checks.has_value()});
  phases.push_back({"unit tests", module.name, true});
  for (const auto& id : module.milestones) phases.push_back({"milestone " + id, "milestone." + id, true});
  if (module.milestones.empty()) phases.push_back({"milestone checks", "", false});
  return phases;
}

PhasePlan self_test_phase() { return {"self-tests", "tito", true}; }

std::vector<std::string> build_targets_for(const ModuleSpec& module) {
  std::vector<std::string> targets;
  if (module.checks) targets.push_back("checks_" + module.name);
  if (!module.tests.empty()) targets.push_back("test_" + module.name);
  for (const auto& id : module.milestones) targets.push_back("milestone_" + id);
  return targets;
}

PhaseResult judge_phase(const std::string& suite, const PhasePlan& plan, const JunitReport& report,
                        int ctest_exit_code, double seconds) {
  PhaseResult result = start_result(suite, plan);
  result.counts = report.counts;
  result.seconds = seconds;
  result.verdict = Verdict::failed;
  if (report.counts.total == 0) {
    result.note = fmt::format("no tests found for label {} — a module with no tests is not complete", plan.label);
  } else if (report.counts.failed > 0) {
    result.note = "failed: " + failed_names(report.failed_tests);
  } else if (report.counts.passed == 0) {
    result.note = fmt::format("all {} tests were skipped — nothing was verified", report.counts.total);
  } else if (ctest_exit_code != 0) {
    result.note = fmt::format("ctest exited with code {} although no test failed", ctest_exit_code);
  } else {
    result.verdict = Verdict::passed;
  }
  return result;
}

PhaseResult not_declared_phase(const std::string& suite, const PhasePlan& plan) {
  PhaseResult result = start_result(suite, plan);
  result.verdict = Verdict::not_declared;
  return result;
}

PhaseResult failed_phase(const std::string& suite, const std::string& title, const std::string& label,
                         const std::string& note) {
  PhaseResult result;
  result.suite = suite;
  result.title = title;
  result.label = label;
  result.verdict = Verdict::failed;
  result.note = note;
  return result;
}

PhaseResult not_run_phase(const std::string& suite, const PhasePlan& plan, const std::string& reason) {
  PhaseResult result = start_result(suite, plan);
  result.verdict = Verdict::not_run;
  result.note = reason;
  return result;
}

std::string result_text(const PhaseResult& result) {
  const std::string skipped =
      result.counts.skipped > 0 ? fmt::format(", {} skipped", result.counts.skipped) : std::string();
  switch (result.verdict) {
    case Verdict::not_declared: return "none declared";
    case Verdict::not_run: return "not run";
    case Verdict::passed: return fmt::format("{}/{} passed{}", result.counts.passed, result.counts.total, skipped);
    case Verdict::failed:
      if (result.counts.total == 0) return "FAILED";
      return fmt::format("{}/{} FAILED{}", result.counts.passed, result.counts.total, skipped);
  }
  return "";
}

bool all_passed(const std::vector<PhaseResult>& results) {
  return std::all_of(results.begin(), results.end(),
                     [](const PhaseResult& r) { return r.verdict == Verdict::passed || r.verdict == Verdict::not_declared; });
}

}  // namespace tito
