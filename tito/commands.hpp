// commands.hpp — the tito commands, one function each; main.cpp only parses
// arguments and calls these. Each returns the process exit code (0 ok,
// 1 a check/build/test failed) or throws tito::Error (exit 2 for usage and
// manifest errors).
#pragma once

#include <string>
#include <vector>

#include "tito/export.hpp"
#include "tito/manifest.hpp"
#include "tito/paths.hpp"
#include "tito/results.hpp"
#include "tito/table.hpp"

namespace tito {

struct ExportOptions {
  std::vector<std::string> names;  // modules as typed; empty with all=true
  bool all = false;
  bool check = false;     // write nothing; exit 1 if anything is out of sync
  bool no_build = false;  // do not rebuild the library afterwards
};
int export_command(const Workspace& ws, const ExportOptions& options);

struct TestOptions {
  std::vector<std::string> names;
  bool all = false;  // every module in number order, then the tito self-tests
};
int test_command(const Workspace& ws, const TestOptions& options);

int milestone_list_command(const Workspace& ws);
// In a student copy (student_mode.hpp) a locked milestone is refused with exit 1 unless `force`.
int milestone_run_command(const Workspace& ws, const std::string& spelled_id,
                          const std::vector<std::string>& extra_args, bool force = false);

int module_status_command(const Workspace& ws);

// The student's commands (cmd_student.cpp); each a UsageError outside a student copy.
int module_start_command(const Workspace& ws, const std::string& module);
int module_reset_command(const Workspace& ws, const std::string& module, bool list_backups,
                         const std::string& restore_stamp);
int module_complete_command(const Workspace& ws, const std::string& module);

// Writes docs/modules/*.md from the manifests (docs.hpp); with `check`, writes nothing
// and returns 1 when a page is out of date or stale.
int docs_command(const Workspace& ws, bool check);

// Checks this machine (doctor.hpp): one line per check, the fix under each warning or
// problem; returns 1 when any check is a problem (warnings do not fail), else 0.
int doctor_command(const Workspace& ws);

// `tito release student DIR [--force]` (cmd_release.cpp, release.hpp): writes the student copy,
// verifies it (no solution markers or lines; regions reinsert byte for byte); 1 on a failed check.
struct ReleaseOptions {
  std::string dir;
  bool force = false;  // replace an earlier student release in a non-empty DIR
};
int release_student_command(const Workspace& ws, const ReleaseOptions& options);

// `tito grade STUDENT_DIR... --output grades.csv` (cmd_grade.cpp, grade.hpp): grades each copy's
// module sources against this checkout's tests and points; 0 when the CSV was written.
struct GradeOptions {
  std::vector<std::string> student_dirs;
  std::string output;          // the CSV to write
  std::string work_dir;        // default <build>/grade
  int timeout_seconds = 120;   // per test (an endless loop in a student's code fails one test)
};
int grade_command(const Workspace& ws, const GradeOptions& options);

// --- shared by the commands (cmd_common.cpp) ---

// Exactly one of "names" and --all must be given (UsageError otherwise).
void require_names_or_all(const std::vector<std::string>& names, bool all);

// The modules named (resolved, number order) or, with `all`, every module.
std::vector<const ModuleSpec*> select_modules(const Project& project, const std::vector<std::string>& names,
                                              bool all);

// Exports `modules` (and manifest.cmake) if any of their generated files is
// out of sync, after printing a note saying so. Does nothing when in sync.
void export_if_out_of_sync(const Project& project, const std::vector<const ModuleSpec*>& modules);

// "  wrote tinytorch/core/tensor.cpp" lines, then "exported 01_tensor: 1 written, 15 unchanged".
void print_export_report(const std::vector<const ModuleSpec*>& modules, const ExportReport& report);

// "0.4s", "12.3s", "2m 05s"
std::string format_seconds(double seconds);

// "01_tensor, 02_activations"
std::string join_module_names(const std::vector<const ModuleSpec*>& modules);

// A milestone's state for tables (cmd_milestone.cpp): "open" in the instructor's checkout;
// in a student copy "unlocked", or "locked: 2 modules to pass" (student_mode.hpp).
Cell milestone_status_cell(const Project& project, const MilestoneSpec& milestone, const ResultsBySuite& results,
                           bool student_copy);

}  // namespace tito
