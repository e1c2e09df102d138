// `tito grade`: points in module.yaml, the GoogleTest listing, and how results become points.
// The expected points are worked out by hand from the rule in grade.hpp:
//   test points = file points / graded tests of the file (passing-on-starter and skipped tests excluded).
#include <gtest/gtest.h>

#include "fake_project.hpp"
#include "tito/error.hpp"
#include "tito/grade.hpp"

namespace tito {
namespace {

using testing::expect_manifest_error;
using testing::FakeProject;

constexpr const char* kGammaHead = R"(name: 01_gamma
number: 1
title: Gamma
exports:
  gamma.cpp: core/gamma.cpp
tests: [test_a.cpp, test_b.cpp]
)";

void write_gamma(const FakeProject& fake, const std::string& points_yaml) {
  fake.write("modules/01_gamma/module.yaml", std::string(kGammaHead) + points_yaml);
  fake.write("modules/01_gamma/gamma.cpp", "int gamma() { return 3; }\n");
  fake.write("tests/01_gamma/test_a.cpp", "// a\n");
  fake.write("tests/01_gamma/test_b.cpp", "// b\n");
}

TEST(ManifestPoints, OneNumberIsTheModuleTotal) {
  FakeProject fake;
  write_gamma(fake, "points: 40\n");
  const Project project = fake.load();
  EXPECT_TRUE(project.modules[0].points.declared);
  EXPECT_EQ(project.modules[0].points.total, 40);
  EXPECT_TRUE(project.modules[0].points.per_test_file.empty());
}

TEST(ManifestPoints, PerTestFilePointsAddUpToTheTotal) {
  FakeProject fake;
  write_gamma(fake, "points:\n  test_b.cpp: 7\n  test_a.cpp: 3\n");
  const Project project = fake.load();
  const ModulePoints& points = project.modules[0].points;
  EXPECT_EQ(points.total, 10);
  ASSERT_EQ(points.per_test_file.size(), 2u);
  EXPECT_EQ(points.per_test_file[0], (std::pair<std::string, int>{"test_b.cpp", 7}));  // yaml order
  EXPECT_EQ(points.per_test_file[1], (std::pair<std::string, int>{"test_a.cpp", 3}));
}

TEST(ManifestPoints, AbsentMeansNotDeclared) {
  FakeProject fake;
  write_gamma(fake, "");
  EXPECT_FALSE(fake.load().modules[0].points.declared);
}

TEST(ManifestPoints, BadPointsNameTheFileLineAndWhatWasExpected) {
  FakeProject fake;
  write_gamma(fake, "points:\n  test_a.cpp: 3\n  test_c.cpp: 4\n");
  expect_manifest_error([&] { fake.load(); },
                        {"modules/01_gamma/module.yaml:9", "'test_c.cpp'", "not one of the module's tests",
                         "test_a.cpp, test_b.cpp"});
  write_gamma(fake, "points:\n  test_a.cpp: 3\n");
  expect_manifest_error([&] { fake.load(); }, {"module.yaml", "no points to the test file 'test_b.cpp'"});
  write_gamma(fake, "points: -5\n");
  expect_manifest_error([&] { fake.load(); }, {"module.yaml:7", "whole number of points >= 0", "'-5'"});
  write_gamma(fake, "points:\n  test_a.cpp: lots\n  test_b.cpp: 1\n");
  expect_manifest_error([&] { fake.load(); }, {"'points' of test_a.cpp", "'lots'"});
  write_gamma(fake, "points: [1, 2]\n");
  expect_manifest_error([&] { fake.load(); }, {"'points' must be a number or a map"});
}

TEST(GtestListing, MapsEachTestIdToItsFileName) {
  const std::string json = R"({"tests": 3, "name": "AllTests", "testsuites": [
    {"name": "Quantize", "tests": 2, "testsuite": [
      {"name": "RoundsHalfToEven", "file": "/x/tests/15_quantization/test_quantize.cpp", "line": 10},
      {"name": "Clamps", "file": "/x/tests/15_quantization/test_quantize.cpp", "line": 20}]},
    {"name": "Io/RoundTrip", "tests": 1, "testsuite": [
      {"name": "Reloads/Int8", "value_param": "Int8", "file": "/x/tests/15_quantization/test_io.cpp", "line": 5}]}]})";
  const auto files = parse_gtest_listing(json);
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files.at("Quantize.RoundsHalfToEven"), "test_quantize.cpp");
  EXPECT_EQ(files.at("Quantize.Clamps"), "test_quantize.cpp");
  EXPECT_EQ(files.at("Io/RoundTrip.Reloads/Int8"), "test_io.cpp");
}

TEST(GtestListing, NotAListingIsAClearError) {
  for (const char* bad : {"", "{", R"({"testsuites": [{"name": "A"}]})"}) {
    try {
      parse_gtest_listing(bad);
      ADD_FAILURE() << "expected an error for: " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("GoogleTest listing"), std::string::npos) << e.what();
    }
  }
}

TEST(CtestTestId, DropsTheGetParamComment) {
  EXPECT_EQ(ctest_test_id("Io/RoundTrip.Reloads/Int8  # GetParam() = Int8"), "Io/RoundTrip.Reloads/Int8");
  EXPECT_EQ(ctest_test_id("Quantize.Clamps"), "Quantize.Clamps");
}

ModuleSpec gamma_spec(ModulePoints points) {
  ModuleSpec module;
  module.name = "01_gamma";
  module.tests = {"test_a.cpp", "test_b.cpp"};
  module.points = std::move(points);
  return module;
}

ModuleRun gamma_run() {
  ModuleRun run;
  run.file_of_test = {{"A.Free", "test_a.cpp"},   {"A.Pass", "test_a.cpp"}, {"A.Fail", "test_a.cpp"},
                      {"B.Skip", "test_b.cpp"},   {"B.Pass", "test_b.cpp"},
                      {"TestConcepts.EverySuiteNamesItsConcept_test_15_q", "test_main.cpp"}};
  run.results = {{"A.Free", TestOutcome::passed}, {"A.Pass", TestOutcome::passed},
                 {"A.Fail", TestOutcome::failed}, {"B.Skip", TestOutcome::skipped},
                 {"B.Pass  # GetParam() = 1", TestOutcome::passed},
                 {"TestConcepts.EverySuiteNamesItsConcept_test_15_q", TestOutcome::passed}};
  run.passes_on_starter = {"A.Free"};
  run.skipped_on_solution = {"B.Skip"};
  return run;
}

TEST(GradeModule, FilePointsAreSharedByTheFilesGradedTests) {
  // test_a.cpp 10 points: A.Free passes on the starter (not graded) -> A.Pass and A.Fail get 10/2 = 5 each.
  // test_b.cpp 6 points: B.Skip skipped -> B.Pass gets all 6. Earned 5 + 6 = 11 of 16.
  ModulePoints points{true, 16, {{"test_a.cpp", 10}, {"test_b.cpp", 6}}};
  const ModuleGrade grade = grade_module(gamma_spec(points), gamma_run());
  EXPECT_DOUBLE_EQ(grade.points, 11.0);
  EXPECT_DOUBLE_EQ(grade.max_points, 16.0);
  EXPECT_EQ(grade.passed, 2);
  EXPECT_EQ(grade.graded, 3);
  EXPECT_EQ(grade.free_passes, 1);
  EXPECT_EQ(grade.skipped, 1);
  ASSERT_EQ(grade.tests.size(), 5u);  // the shared main's TestConcepts check is not a module test
  EXPECT_EQ(grade.tests[0].status, "passes-on-starter");
  EXPECT_DOUBLE_EQ(grade.tests[0].max_points, 0.0);
  EXPECT_EQ(grade.tests[1].status, "passed");
  EXPECT_DOUBLE_EQ(grade.tests[1].points, 5.0);
  EXPECT_EQ(grade.tests[2].status, "failed");
  EXPECT_DOUBLE_EQ(grade.tests[2].points, 0.0);
  EXPECT_DOUBLE_EQ(grade.tests[2].max_points, 5.0);
  EXPECT_EQ(grade.tests[3].status, "skipped");
  EXPECT_EQ(grade.tests[4].test, "B.Pass");
  EXPECT_DOUBLE_EQ(grade.tests[4].points, 6.0);
  EXPECT_TRUE(grade.note.empty()) << grade.note;
}

TEST(GradeModule, OneNumberIsSharedByEveryGradedTest) {
  // 12 points over the 3 graded tests (A.Pass, A.Fail, B.Pass): 4 each; 2 passed -> 8 of 12.
  const ModuleGrade grade = grade_module(gamma_spec({true, 12, {}}), gamma_run());
  EXPECT_DOUBLE_EQ(grade.points, 8.0);
  EXPECT_DOUBLE_EQ(grade.max_points, 12.0);
}

TEST(GradeModule, ATestTheSolutionRunsButTheStudentSkipsCountsAsFailed) {
  // A.Pass skipped in the student's run (its fixture threw) but not by the solution: graded, 0 of 5.
  ModuleRun run = gamma_run();
  run.results[1].outcome = TestOutcome::skipped;
  const ModuleGrade grade = grade_module(gamma_spec({true, 16, {{"test_a.cpp", 10}, {"test_b.cpp", 6}}}), run);
  EXPECT_EQ(grade.tests[1].status, "failed");
  EXPECT_DOUBLE_EQ(grade.tests[1].max_points, 5.0);
  EXPECT_DOUBLE_EQ(grade.points, 6.0);
  EXPECT_DOUBLE_EQ(grade.max_points, 16.0);
}

TEST(GradeModule, AFileWithNoGradedTestLeavesItsPointsOutAndSaysSo) {
  // Every test of test_b.cpp skipped or free: its 6 points are not in the maximum.
  ModuleRun run = gamma_run();
  run.passes_on_starter.insert("B.Pass");
  const ModuleGrade grade = grade_module(gamma_spec({true, 16, {{"test_a.cpp", 10}, {"test_b.cpp", 6}}}), run);
  EXPECT_DOUBLE_EQ(grade.points, 5.0);
  EXPECT_DOUBLE_EQ(grade.max_points, 10.0);
  EXPECT_NE(grade.note.find("no graded test in test_b.cpp"), std::string::npos) << grade.note;
}

TEST(GradeModule, ABuildErrorIsInTheNote) {
  ModuleRun run = gamma_run();
  run.build_error = "gamma.cpp:3:1: error: expected ';'";
  const ModuleGrade grade = grade_module(gamma_spec({true, 12, {}}), run);
  EXPECT_NE(grade.note.find("did not compile"), std::string::npos);
  EXPECT_NE(grade.note.find("expected ';'"), std::string::npos);
}

TEST(GradesCsv, RowsPerTestPerModuleAndATotalWithQuotedFields) {
  StudentGrade student{"ada, lovelace", {grade_module(gamma_spec({true, 12, {}}), gamma_run())}};
  const std::string csv = grades_csv({student});
  EXPECT_EQ(csv.substr(0, csv.find('\n')), "student,kind,module,file,test,status,points,max_points");
  EXPECT_NE(csv.find("\"ada, lovelace\",test,01_gamma,test_a.cpp,A.Pass,passed,4.00,4.00\n"), std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\"ada, lovelace\",test,01_gamma,test_a.cpp,A.Free,passes-on-starter,0.00,0.00\n"),
            std::string::npos);
  EXPECT_NE(csv.find(",module,01_gamma,,,2/3 graded tests passed; 1 pass on the starter code (not graded); "
                     "1 skipped,8.00,12.00\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("\"ada, lovelace\",total,,,,1 module(s),8.00,12.00\n"), std::string::npos) << csv;
}

TEST(StudentNames, FolderNamesThenParentsThenWholePathsToTellCopiesApart) {
  EXPECT_EQ(student_names({"/srv/sub/alice", "/srv/sub/bob/"}), (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(student_names({"/srv/sub/alice/tinytorch", "/srv/sub/bob/tinytorch", "/srv/sub/carol"}),
            (std::vector<std::string>{"alice/tinytorch", "bob/tinytorch", "carol"}));
  EXPECT_EQ(student_names({"/a/x/tinytorch", "/b/x/tinytorch"}),
            (std::vector<std::string>{"/a/x/tinytorch", "/b/x/tinytorch"}));
}

}  // namespace
}  // namespace tito
