// student_mode.hpp — what makes a checkout a student copy, and which milestones it has earned.
//
// `tito release student DIR` marks the copy it writes with STUDENT_MARKER
// (.tito/student.yaml). In a student copy a milestone is LOCKED until every module
// it needs has passed its tests (the last `tito test` result in
// <build>/tito-results.json, counted by CTest); `tito milestone run` refuses a
// locked milestone and says what is missing (--force runs it anyway). In the
// instructor's checkout nothing is locked: the README's main command must run on a
// fresh clone before any test has.
//
// The modules a milestone needs: the modules whose module.yaml lists it, and
// everything those need in turn (their prerequisites, transitively).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "tito/manifest.hpp"
#include "tito/results.hpp"

namespace tito {

inline constexpr const char* kStudentMarker = ".tito/student.yaml";
// The starter code as released (modules/NN_name/... with stubs), what `tito module reset` restores.
inline constexpr const char* kStarterDir = ".tito/starter";
// `tito module reset` backs the student's files up here: .tito/backups/NN_name/YYYYMMDD-HHMMSS/<file>.
inline constexpr const char* kBackupDir = ".tito/backups";

bool is_student_copy(const std::filesystem::path& root);

// Module names in number order (unknown names, which load_project rejects, are skipped).
std::vector<std::string> modules_needed(const Project& project, const MilestoneSpec& milestone);

struct MilestoneLock {
  bool locked = false;
  std::vector<std::string> missing;  // "05_autograd (never tested)", "15_quantization (120/480 passed)"
};

// Locked when any needed module has no passing test record.
MilestoneLock milestone_lock(const Project& project, const MilestoneSpec& milestone, const ResultsBySuite& results);

}  // namespace tito
