// phases.hpp — what `tito test` runs for a module, and how each phase is judged.
//
// A module is tested in phases, each one CTest label:
//   1. inline checks     label "<module>.checks"       (only if module.yaml declares checks)
//   2. unit tests        label "<module>"              (always: no tests means not complete)
//   3. milestone checks  label "milestone.<id>"        (one per milestone the module lists)
// A phase whose label finds zero tests FAILS; a phase the yaml does not declare
// is shown as "none declared" and not counted. Everything here is pure: the
// counts come in from CTest's JUnit, the verdicts go out.
#pragma once

#include <string>
#include <vector>

#include "tito/junit.hpp"
#include "tito/manifest.hpp"

namespace tito {

struct PhasePlan {
  std::string title;      // "inline checks", "unit tests", "milestone 03_1986_mlp"
  std::string label;      // the CTest label, exactly
  bool declared = true;   // false: module.yaml declares nothing for this phase
};

// The phases of `module`, in the order they run.
std::vector<PhasePlan> plan_test_phases(const ModuleSpec& module);

// The tito self-tests (label "tito"), run after `tito test --all`.
PhasePlan self_test_phase();

// CMake targets `tito test` builds for `module` (besides the library).
std::vector<std::string> build_targets_for(const ModuleSpec& module);

enum class Verdict { passed, failed, not_declared, not_run };

struct PhaseResult {
  std::string suite;  // module name, or "tito"
  std::string title;
  std::string label;
  Verdict verdict = Verdict::not_run;
  TestCounts counts;
  double seconds = 0;
  std::string note;   // why it failed / what was special
};

// Judges one CTest run of `plan`'s label: zero tests, any failure, all tests
// skipped, or a CTest error each fail the phase.
PhaseResult judge_phase(const std::string& suite, const PhasePlan& plan, const JunitReport& report,
                        int ctest_exit_code, double seconds);

PhaseResult not_declared_phase(const std::string& suite, const PhasePlan& plan);
PhaseResult failed_phase(const std::string& suite, const std::string& title, const std::string& label,
                         const std::string& note);
PhaseResult not_run_phase(const std::string& suite, const PhasePlan& plan, const std::string& reason);

// "3/3 passed", "2/3 FAILED", "none declared", "not run"; ", 1 skipped" appended when tests were skipped.
std::string result_text(const PhaseResult& result);

// Phases that count: every verdict except not_declared.
bool all_passed(const std::vector<PhaseResult>& results);

}  // namespace tito
