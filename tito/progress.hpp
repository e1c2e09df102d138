// progress.hpp — a student's progress, in one file: <root>/.tito/progress.json.
//
//   {"modules": {"15_quantization": {"started": "2026-11-23 19:20:00",
//                                     "completed": "2026-11-24 10:02:13", "tests_passed": 480, "tests_total": 480}}}
//
// `tito module start` writes "started"; `tito module complete` writes "completed"
// and the CTest counts of the run that passed. Nothing else writes it. A corrupt
// file is an error naming it and what is wrong — never silently reset, since it is
// the record of the student's work.
#pragma once
#include <filesystem>
#include <map>
#include <string>

namespace tito {

inline constexpr const char* kProgressFile = ".tito/progress.json";

struct ModuleProgress {
  std::string started;    // local time, "" = not started
  std::string completed;  // local time of the last passing `tito module complete`, "" = never
  int tests_passed = 0;
  int tests_total = 0;
};

using Progress = std::map<std::string, ModuleProgress>;  // module name -> progress

// A missing file is no progress; an unreadable or malformed one is a tito::Error (exit 1).
Progress load_progress(const std::filesystem::path& root);
// Written atomically.
void save_progress(const std::filesystem::path& root, const Progress& progress);

}  // namespace tito
