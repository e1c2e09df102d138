// test_phases.cpp — which phases `tito test` runs for a module and how each is
// judged; above all, that a phase finding zero tests fails.
#include <gtest/gtest.h>

#include "tito/phases.hpp"

namespace tito {
namespace {

ModuleSpec module_with(bool checks, std::vector<std::string> milestones) {
  ModuleSpec module;
  module.name = "01_alpha";
  module.number = 1;
  if (checks) module.checks = "checks.cpp";
  module.tests = {"test_alpha.cpp"};
  module.milestones = std::move(milestones);
  return module;
}

JunitReport report_of(int passed, int failed, int skipped, std::vector<std::string> failed_names = {}) {
  JunitReport report;
  report.counts = {passed + failed + skipped, passed, failed, skipped};
  report.failed_tests = std::move(failed_names);
  return report;
}

const PhasePlan kUnitTests{"unit tests", "01_alpha", true};

TEST(Phases, ChecksThenUnitTestsThenEachMilestone) {
  const auto plans = plan_test_phases(module_with(true, {"03_demo", "06_other"}));
  ASSERT_EQ(plans.size(), 4u);
  EXPECT_EQ(plans[0].label, "01_alpha.checks");
  EXPECT_EQ(plans[1].label, "01_alpha");
  EXPECT_EQ(plans[2].label, "milestone.03_demo");
  EXPECT_EQ(plans[3].label, "milestone.06_other");
  for (const auto& plan : plans) EXPECT_TRUE(plan.declared) << plan.title;
}

TEST(Phases, UndeclaredChecksAndMilestonesAreNotRun) {
  const auto plans = plan_test_phases(module_with(false, {}));
  ASSERT_EQ(plans.size(), 3u);
  EXPECT_FALSE(plans[0].declared);
  EXPECT_TRUE(plans[1].declared) << "unit tests always run: a module without tests is not complete";
  EXPECT_FALSE(plans[2].declared);
  EXPECT_EQ(result_text(not_declared_phase("01_alpha", plans[0])), "none declared");
}

TEST(Phases, BuildTargetsFollowTheManifest) {
  EXPECT_EQ(build_targets_for(module_with(true, {"03_demo"})),
            (std::vector<std::string>{"checks_01_alpha", "test_01_alpha", "milestone_03_demo"}));
  ModuleSpec bare = module_with(false, {});
  bare.tests.clear();
  EXPECT_TRUE(build_targets_for(bare).empty());
}

TEST(Phases, ZeroTestsFails) {
  const PhaseResult result = judge_phase("01_alpha", kUnitTests, report_of(0, 0, 0), 0, 0.1);
  EXPECT_EQ(result.verdict, Verdict::failed);
  EXPECT_EQ(result.note, "no tests found for label 01_alpha — a module with no tests is not complete");
  EXPECT_EQ(result_text(result), "FAILED");
}

TEST(Phases, AllPassingPasses) {
  const PhaseResult result = judge_phase("01_alpha", kUnitTests, report_of(12, 0, 0), 0, 1.5);
  EXPECT_EQ(result.verdict, Verdict::passed);
  EXPECT_EQ(result_text(result), "12/12 passed");
}

TEST(Phases, AnyFailureFailsAndNamesTheTest) {
  const PhaseResult result = judge_phase("01_alpha", kUnitTests, report_of(3, 1, 0, {"Tensor.Views"}), 8, 1.0);
  EXPECT_EQ(result.verdict, Verdict::failed);
  EXPECT_EQ(result_text(result), "3/4 FAILED");
  EXPECT_EQ(result.note, "failed: Tensor.Views");
}

TEST(Phases, SkippedTestsAreShownNotFailed) {
  const PhaseResult result = judge_phase("01_alpha", kUnitTests, report_of(5, 0, 2), 0, 1.0);
  EXPECT_EQ(result.verdict, Verdict::passed);
  EXPECT_EQ(result_text(result), "5/7 passed, 2 skipped");
}

TEST(Phases, EverythingSkippedVerifiesNothingAndFails) {
  EXPECT_EQ(judge_phase("01_alpha", kUnitTests, report_of(0, 0, 3), 0, 1.0).verdict, Verdict::failed);
}

TEST(Phases, CtestErrorWithoutFailedTestFails) {
  const PhaseResult result = judge_phase("01_alpha", kUnitTests, report_of(2, 0, 0), 8, 1.0);
  EXPECT_EQ(result.verdict, Verdict::failed);
  EXPECT_EQ(result.note, "ctest exited with code 8 although no test failed");
}

TEST(Phases, AllPassedIgnoresUndeclaredButNotUnrunPhases) {
  const PhasePlan checks{"inline checks", "01_alpha.checks", false};
  const PhaseResult passed = judge_phase("01_alpha", kUnitTests, report_of(1, 0, 0), 0, 0);
  EXPECT_TRUE(all_passed({not_declared_phase("01_alpha", checks), passed}));
  EXPECT_FALSE(all_passed({passed, not_run_phase("01_alpha", kUnitTests, "build failed")}));
}

}  // namespace
}  // namespace tito
