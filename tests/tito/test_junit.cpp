// test_junit.cpp — counting tests from CTest's JUnit output.
//
// The XML below is what CTest 3.25 wrote (`ctest --output-junit`) for a
// GoogleTest binary with one passing, one failing, one GTEST_SKIP and one
// DISABLED_ test, trimmed of its <system-out> text.
#include <gtest/gtest.h>

#include "tito/error.hpp"
#include "tito/junit.hpp"

namespace tito {
namespace {

constexpr const char* kCtest325Output = R"xml(<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="(empty)"
	tests="4"
	failures="1"
	disabled="1"
	skipped="1"
	hostname=""
	time="0"
	timestamp="2024-11-23T13:57:57"
	>
	<testcase name="A.Pass" classname="A.Pass" time="0.00203137" status="run">
		<system-out>[ RUN      ] A.Pass
[       OK ] A.Pass (0 ms)
</system-out>
	</testcase>
	<testcase name="A.Fail" classname="A.Fail" time="0.00212197" status="fail">
		<failure message=""/>
		<system-out>quote "&lt;testcase&gt;"
</system-out>
	</testcase>
	<testcase name="A.Skip" classname="A.Skip" time="0.00171751" status="notrun">
		<skipped message="SKIP_REGULAR_EXPRESSION_MATCHED"/>
		<system-out>[  SKIPPED ] A.Skip (0 ms)</system-out>
	</testcase>
	<testcase name="A.Dis" classname="A.Dis" time="0" status="disabled">
		<system-out>Disabled</system-out>
	</testcase>
</testsuite>)xml";

constexpr const char* kNoTestsFound = R"xml(<?xml version="1.0" encoding="UTF-8"?>
<testsuite name="(empty)"
	tests="0"
	failures="0"
	disabled="0"
	skipped="0"
	hostname=""
	time="0"
	timestamp="2024-11-23T13:57:58"/>)xml";

TEST(Junit, CountsPassedFailedAndSkipped) {
  const JunitReport report = parse_junit(kCtest325Output);
  EXPECT_EQ(report.counts.total, 4);
  EXPECT_EQ(report.counts.passed, 1);
  EXPECT_EQ(report.counts.failed, 1);
  EXPECT_EQ(report.counts.skipped, 2);  // GTEST_SKIP + DISABLED_
  EXPECT_EQ(report.failed_tests, std::vector<std::string>{"A.Fail"});
}

TEST(Junit, ZeroTestsIsAnEmptyReportNotAnError) {
  const JunitReport report = parse_junit(kNoTestsFound);
  EXPECT_EQ(report.counts.total, 0);
  EXPECT_EQ(report.counts.passed, 0);
}

TEST(Junit, TestThatCouldNotRunCountsAsFailed) {
  const JunitReport report = parse_junit(
      R"(<testsuite tests="1"><testcase name="m.checks" status="notrun"><system-out>Could not find executable</system-out></testcase></testsuite>)");
  EXPECT_EQ(report.counts.failed, 1);
  EXPECT_EQ(report.failed_tests, std::vector<std::string>{"m.checks"});
}

TEST(Junit, EntitiesInNamesAreDecoded) {
  const JunitReport report = parse_junit(
      R"(<testsuite tests='1'><testcase name="Shapes/Gemm.Exact/&lt;1x2&gt; &amp; more" status="fail"/></testsuite>)");
  EXPECT_EQ(report.failed_tests, std::vector<std::string>{"Shapes/Gemm.Exact/<1x2> & more"});
}

TEST(Junit, MissingTestsuiteIsAnError) {
  EXPECT_THROW(parse_junit("<html>not junit</html>"), Error);
  EXPECT_THROW(parse_junit(""), Error);
}

TEST(Junit, CountDisagreeingWithTestcasesIsAnError) {
  EXPECT_THROW(parse_junit(R"(<testsuite tests="2"><testcase name="a" status="run"/></testsuite>)"), Error);
}

TEST(Junit, UnterminatedTestcaseIsAnError) {
  EXPECT_THROW(parse_junit(R"(<testsuite tests="1"><testcase name="a" status="run">)"), Error);
}

}  // namespace
}  // namespace tito
