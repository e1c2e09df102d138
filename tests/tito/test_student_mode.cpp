// test_student_mode.cpp — student copies and milestone locks.
#include <gtest/gtest.h>

#include "fake_project.hpp"
#include "tito/commands.hpp"
#include "tito/student_mode.hpp"

namespace tito::testing {
namespace {

SuiteRecord record(Verdict verdict, int passed, int total) {
  PhaseResult phase;
  phase.verdict = verdict;
  phase.counts.passed = passed;
  phase.counts.total = total;
  return {"2026-11-23 12:00:00", {phase}};
}

// The standard fake project: 03_demo is listed by 01_alpha and 02_beta; 02_beta needs 01_alpha.
TEST(ModulesNeeded, AreTheListingModulesAndTheirPrerequisitesInNumberOrder) {
  FakeProject project;
  project.add_standard_project();
  const Project loaded = project.load();
  EXPECT_EQ(modules_needed(loaded, *loaded.find_milestone("03_demo")),
            (std::vector<std::string>{"01_alpha", "02_beta"}));
}

TEST(ModulesNeeded, FollowPrerequisitesOfPrerequisites) {
  FakeProject project;
  project.add_standard_project();
  // 02_beta alone lists the milestone now; it still needs 01_alpha through its prerequisites.
  project.write("modules/01_alpha/module.yaml",
                "name: 01_alpha\nnumber: 1\ntitle: Alpha\nexports:\n  alpha.hpp: core/alpha.hpp\n  alpha.cpp: "
                "core/alpha.cpp\nchecks: checks.cpp\ntests: [test_alpha.cpp]\n");
  const Project loaded = project.load();
  EXPECT_EQ(loaded.find_milestone("03_demo")->prerequisites, (std::vector<std::string>{"02_beta"}));
  EXPECT_EQ(modules_needed(loaded, *loaded.find_milestone("03_demo")),
            (std::vector<std::string>{"01_alpha", "02_beta"}));
}

TEST(MilestoneLock, LockedUntilEveryNeededModuleHasPassed) {
  FakeProject project;
  project.add_standard_project();
  const Project loaded = project.load();
  const MilestoneSpec& demo = *loaded.find_milestone("03_demo");

  ResultsBySuite results;
  MilestoneLock lock = milestone_lock(loaded, demo, results);
  EXPECT_TRUE(lock.locked);
  EXPECT_EQ(lock.missing, (std::vector<std::string>{"01_alpha (never tested)", "02_beta (never tested)"}));

  results["01_alpha"] = record(Verdict::passed, 5, 5);
  results["02_beta"] = record(Verdict::failed, 3, 4);
  lock = milestone_lock(loaded, demo, results);
  EXPECT_TRUE(lock.locked);
  ASSERT_EQ(lock.missing.size(), 1u);
  EXPECT_EQ(lock.missing[0], "02_beta (" + record_summary(results["02_beta"]) + ")");

  results["02_beta"] = record(Verdict::passed, 4, 4);
  lock = milestone_lock(loaded, demo, results);
  EXPECT_FALSE(lock.locked);
  EXPECT_TRUE(lock.missing.empty());
}

TEST(StudentCopy, IsMarkedByTheReleaseMarkerOnly) {
  FakeProject project;
  project.add_standard_project();
  EXPECT_FALSE(is_student_copy(project.root()));
  project.write(kStudentMarker, "release: student\n");
  EXPECT_TRUE(is_student_copy(project.root()));
}

TEST(MilestoneRun, StudentCopyRefusesALockedMilestoneBeforeBuildingAnything) {
  FakeProject project;
  project.add_standard_project();
  project.write(kStudentMarker, "release: student\n");
  const Workspace ws{project.root(), project.root() / "build"};
  EXPECT_EQ(milestone_run_command(ws, "03", {}, /*force=*/false), 1);
  EXPECT_FALSE(project.exists("build"));  // refused before configuring
}

TEST(MilestoneStatusCell, OpenInTheInstructorCheckoutLockedOrUnlockedInAStudentCopy) {
  FakeProject project;
  project.add_standard_project();
  const Project loaded = project.load();
  const MilestoneSpec& demo = *loaded.find_milestone("03_demo");
  ResultsBySuite results;
  EXPECT_EQ(milestone_status_cell(loaded, demo, results, false).text, "open");
  EXPECT_EQ(milestone_status_cell(loaded, demo, results, true).text, "locked: 2 modules to pass");
  results["01_alpha"] = record(Verdict::passed, 1, 1);
  results["02_beta"] = record(Verdict::passed, 1, 1);
  EXPECT_EQ(milestone_status_cell(loaded, demo, results, true).text, "unlocked");
}

}  // namespace
}  // namespace tito::testing
