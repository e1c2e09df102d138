// student_mode.cpp — student copies and milestone locks (see student_mode.hpp).
#include "tito/student_mode.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace tito {

bool is_student_copy(const std::filesystem::path& root) {
  std::error_code ec;
  return std::filesystem::is_regular_file(root / kStudentMarker, ec);
}

std::vector<std::string> modules_needed(const Project& project, const MilestoneSpec& milestone) {
  std::set<std::string> needed;
  std::vector<std::string> to_visit = milestone.prerequisites;
  while (!to_visit.empty()) {
    const std::string name = to_visit.back();
    to_visit.pop_back();
    const ModuleSpec* module = project.find_module(name);
    if (module == nullptr || !needed.insert(name).second) continue;
    to_visit.insert(to_visit.end(), module->prerequisites.begin(), module->prerequisites.end());
  }
  std::vector<std::string> ordered;
  for (const ModuleSpec& module : project.modules) {  // project.modules is in number order
    if (needed.count(module.name) != 0) ordered.push_back(module.name);
  }
  return ordered;
}

MilestoneLock milestone_lock(const Project& project, const MilestoneSpec& milestone, const ResultsBySuite& results) {
  MilestoneLock lock;
  for (const std::string& name : modules_needed(project, milestone)) {
    const auto record = results.find(name);
    if (record == results.end()) {
      lock.missing.push_back(name + " (never tested)");
    } else if (!record->second.passed()) {
      lock.missing.push_back(fmt::format("{} ({})", name, record_summary(record->second)));
    }
  }
  lock.locked = !lock.missing.empty();
  return lock;
}

}  // namespace tito
