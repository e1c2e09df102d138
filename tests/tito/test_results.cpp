// test_results.cpp — tito-results.json: recorded by `tito test`, read by `tito module status`.
#include <gtest/gtest.h>

#include "fake_project.hpp"
#include "tito/results.hpp"

namespace tito {
namespace {

SuiteRecord record_of(int passed, int total) {
  PhaseResult phase;
  phase.suite = "01_alpha";
  phase.title = "unit tests";
  phase.label = "01_alpha";
  phase.verdict = passed == total ? Verdict::passed : Verdict::failed;
  phase.counts = {total, passed, total - passed, 0};
  phase.seconds = 1.25;
  return SuiteRecord{"2024-11-23 14:02:11", {phase}};
}

TEST(Results, SummaryCountsTestsOverPhases) {
  EXPECT_EQ(record_summary(record_of(12, 12)), "12/12 passed");
  EXPECT_EQ(record_summary(record_of(3, 12)), "3/12 FAILED");
}

TEST(Results, RoundTripsThroughTheFile) {
  testing::FakeProject fake;
  const fs::path file = fake.root() / "build" / "tito-results.json";
  record_results(file, {{"01_alpha", record_of(3, 4)}});
  const ResultsBySuite loaded = load_results(file);
  ASSERT_EQ(loaded.count("01_alpha"), 1u);
  const SuiteRecord& record = loaded.at("01_alpha");
  EXPECT_EQ(record.timestamp, "2024-11-23 14:02:11");
  ASSERT_EQ(record.phases.size(), 1u);
  EXPECT_EQ(record.phases[0].verdict, Verdict::failed);
  EXPECT_EQ(record.phases[0].counts.passed, 3);
  EXPECT_EQ(record.phases[0].counts.total, 4);
  EXPECT_DOUBLE_EQ(record.phases[0].seconds, 1.25);
}

TEST(Results, RecordingOneModuleKeepsTheOthers) {
  testing::FakeProject fake;
  const fs::path file = fake.root() / "tito-results.json";
  record_results(file, {{"01_alpha", record_of(1, 1)}});
  record_results(file, {{"02_beta", record_of(0, 1)}});
  const ResultsBySuite loaded = load_results(file);
  EXPECT_EQ(loaded.size(), 2u);
  EXPECT_TRUE(loaded.at("01_alpha").passed());
  EXPECT_FALSE(loaded.at("02_beta").passed());
}

TEST(Results, MissingOrDamagedFileMeansNeverRun) {
  testing::FakeProject fake;
  EXPECT_TRUE(load_results(fake.root() / "absent.json").empty());
  fake.write("damaged.json", "{ not json");
  EXPECT_TRUE(load_results(fake.root() / "damaged.json").empty());
}

}  // namespace
}  // namespace tito
