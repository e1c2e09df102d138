// results.hpp — <build>/tito-results.json: the last `tito test` result per module.
//
// `tito test` records, per module (and for the tito self-tests), every
// phase's counts and verdict with a timestamp; `tito module status` reads it
// back. Recording merges: testing one module keeps the others' results.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "tito/phases.hpp"

namespace tito {

struct SuiteRecord {
  std::string timestamp;              // local time, "2024-11-23 14:02:11"
  std::vector<PhaseResult> phases;    // as run, in order

  bool passed() const { return all_passed(phases); }
};

using ResultsBySuite = std::map<std::string, SuiteRecord>;  // module name (or "tito") -> last run

// Reads the file; a missing or unreadable file is no results (never an error).
ResultsBySuite load_results(const std::filesystem::path& file);

// Merges `latest` into the file (replacing those suites' records) and writes it.
void record_results(const std::filesystem::path& file, const ResultsBySuite& latest);

// "12/12 passed", "3/12 FAILED" — counted over the phases that ran.
std::string record_summary(const SuiteRecord& record);

// The current local time as "YYYY-MM-DD HH:MM:SS".
std::string local_timestamp();

}  // namespace tito
