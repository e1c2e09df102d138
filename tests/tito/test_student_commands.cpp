// test_student_commands.cpp — tito module start / reset, and the progress file.
#include <gtest/gtest.h>

#include <filesystem>

#include "fake_project.hpp"
#include "tito/commands.hpp"
#include "tito/progress.hpp"
#include "tito/results.hpp"
#include "tito/student_mode.hpp"

namespace tito::testing {
namespace {

constexpr const char* kStarterAlpha =
    "#include \"tinytorch/core/alpha.hpp\"\nint alpha() {\n  throw NotImplemented(\"01_alpha: alpha\");\n}\n";

// A student copy of the standard fake project: the marker, and the starter code of 01_alpha.
void make_student_copy(const FakeProject& project) {
  project.add_standard_project();
  project.write(kStudentMarker, "release: student\n");
  project.write(std::string(kStarterDir) + "/modules/01_alpha/alpha.cpp", kStarterAlpha);
  project.write("modules/01_alpha/alpha.cpp", kStarterAlpha);
}

Workspace workspace_of(const FakeProject& project) { return {project.root(), project.root() / "build"}; }

TEST(ModuleStart, RecordsTheStartAndRefusesWhenPrerequisitesHaveNotPassed) {
  FakeProject project;
  make_student_copy(project);
  const Workspace ws = workspace_of(project);
  EXPECT_EQ(module_start_command(ws, "01"), 0);  // no prerequisites
  const Progress progress = load_progress(project.root());
  ASSERT_EQ(progress.count("01_alpha"), 1u);
  EXPECT_FALSE(progress.at("01_alpha").started.empty());
  EXPECT_TRUE(progress.at("01_alpha").completed.empty());

  EXPECT_EQ(module_start_command(ws, "02"), 1);  // 02_beta needs 01_alpha to pass first
  EXPECT_EQ(load_progress(project.root()).count("02_beta"), 0u);

  PhaseResult passed;
  passed.verdict = Verdict::passed;
  record_results(results_path(ws), {{"01_alpha", SuiteRecord{"2026-11-23 12:00:00", {passed}}}});
  EXPECT_EQ(module_start_command(ws, "02"), 0);
}

TEST(ModuleCommands, RefuseOutsideAStudentCopy) {
  FakeProject project;
  project.add_standard_project();
  const Workspace ws = workspace_of(project);
  EXPECT_THROW(module_start_command(ws, "01"), UsageError);
  EXPECT_THROW(module_reset_command(ws, "01", false, ""), UsageError);
  EXPECT_THROW(module_complete_command(ws, "01"), UsageError);
}

TEST(ModuleReset, BacksUpTheStudentsFilesRestoresTheStarterAndABackup) {
  FakeProject project;
  make_student_copy(project);
  const Workspace ws = workspace_of(project);
  const std::string students_work = "#include \"tinytorch/core/alpha.hpp\"\nint alpha() { return 1; }\n";
  project.write("modules/01_alpha/alpha.cpp", students_work);

  EXPECT_EQ(module_reset_command(ws, "01", false, ""), 0);
  EXPECT_EQ(project.read("modules/01_alpha/alpha.cpp"), kStarterAlpha);

  // One backup, holding exactly the student's file.
  const fs::path backups = project.root() / kBackupDir / "01_alpha";
  std::vector<fs::path> stamps;
  for (const auto& entry : fs::directory_iterator(backups)) stamps.push_back(entry.path());
  ASSERT_EQ(stamps.size(), 1u);
  const std::string stamp = stamps[0].filename().string();
  EXPECT_EQ(stamp.size(), std::string("20261123-191500").size());
  EXPECT_EQ(project.read((fs::path(kBackupDir) / "01_alpha" / stamp / "alpha.cpp").string()), students_work);

  // Restoring it backs up the starter code first (a second backup), then puts the work back.
  EXPECT_EQ(module_reset_command(ws, "01", false, stamp), 0);
  EXPECT_EQ(project.read("modules/01_alpha/alpha.cpp"), students_work);
  std::size_t count = 0;
  for (const auto& entry : fs::directory_iterator(backups)) count += entry.is_directory() ? 1 : 0;
  EXPECT_EQ(count, 2u);

  EXPECT_EQ(module_reset_command(ws, "01", /*list_backups=*/true, ""), 0);
  EXPECT_THROW(module_reset_command(ws, "01", false, "19990101-000000"), UsageError);
  // A stamp is a backup's name, never a path: another module's folder is refused.
  project.write("modules/02_beta/beta.cpp", "// elsewhere\n");
  EXPECT_THROW(module_reset_command(ws, "01", false, "../../../modules/02_beta"), UsageError);
  EXPECT_EQ(project.read("modules/01_alpha/alpha.cpp"), students_work);
}

TEST(Progress, RoundTripsAndACorruptFileIsAnErrorNamingIt) {
  FakeProject project;
  Progress progress;
  progress["15_quantization"] = {"2026-11-23 19:20:00", "2026-11-24 10:02:13", 480, 480};
  save_progress(project.root(), progress);
  const Progress loaded = load_progress(project.root());
  ASSERT_EQ(loaded.count("15_quantization"), 1u);
  EXPECT_EQ(loaded.at("15_quantization").completed, "2026-11-24 10:02:13");
  EXPECT_EQ(loaded.at("15_quantization").tests_passed, 480);

  project.write(kProgressFile, "{\"modules\": {\"15_quantization\": ");  // truncated
  try {
    load_progress(project.root());
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("progress.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("corrupt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tito::testing
