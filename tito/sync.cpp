// sync.cpp — comparing tinytorch/ with what export would write (see sync.hpp).
#include "tito/sync.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "tito/file_io.hpp"
#include "tito/paths.hpp"
#include "tito/stamp.hpp"

namespace tito {

namespace {

std::optional<Drift> compare_one(const GeneratedFile& file) {
  auto on_disk = read_file(file.path);
  if (!on_disk) return Drift{file.shown, DriftKind::missing, file.source};
  if (*on_disk == file.content) return std::nullopt;
  const bool stamped = is_generated_stamp(first_line_of(*on_disk));
  const bool overwritable = stamped || file.is_manifest;
  return Drift{file.shown, overwritable ? DriftKind::differs : DriftKind::hand_written, file.source};
}

std::set<std::string> all_export_targets(const Project& project) {
  std::set<std::string> targets{"tinytorch/manifest.cmake"};
  for (const auto& module : project.modules) {
    for (const auto& spec : module.exports) targets.insert("tinytorch/" + spec.target);
  }
  return targets;
}

bool in_scope(const std::string& stamped_from, const std::vector<const ModuleSpec*>& scope) {
  if (scope.empty()) return true;
  return std::any_of(scope.begin(), scope.end(),
                     [&](const ModuleSpec* m) { return stamped_from.starts_with("modules/" + m->name + "/"); });
}

bool covers_project(const Project& project, const std::vector<const ModuleSpec*>& scope) {
  return scope.size() == project.modules.size();
}

}  // namespace

std::vector<Drift> compare_with_disk(const std::vector<GeneratedFile>& plan) {
  std::vector<Drift> drifts;
  for (const auto& file : plan) {
    if (auto drift = compare_one(file)) drifts.push_back(std::move(*drift));
  }
  return drifts;
}

std::vector<Drift> find_stale_files(const Project& project, const std::vector<const ModuleSpec*>& scope) {
  std::vector<Drift> stale;
  const fs::path library = library_dir(project.root);
  std::error_code ec;
  if (!fs::is_directory(library, ec)) return stale;
  const std::set<std::string> exported = all_export_targets(project);
  for (auto it = fs::recursive_directory_iterator(library, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    const std::string shown = "tinytorch/" + it->path().lexically_relative(library).generic_string();
    if (exported.count(shown)) continue;
    auto line = read_first_line(it->path());
    if (!line || !is_generated_stamp(*line)) continue;
    if (!in_scope(stamped_source(*line).value_or(""), scope)) continue;
    stale.push_back(Drift{shown, DriftKind::stale, ""});
  }
  std::sort(stale.begin(), stale.end(), [](const Drift& a, const Drift& b) { return a.shown < b.shown; });
  return stale;
}

std::vector<Drift> find_drift(const Project& project, const std::vector<const ModuleSpec*>& scope) {
  std::vector<Drift> drifts = compare_with_disk(plan_export(project, scope));
  const auto stale_scope = covers_project(project, scope) ? std::vector<const ModuleSpec*>{} : scope;
  auto stale = find_stale_files(project, stale_scope);
  drifts.insert(drifts.end(), stale.begin(), stale.end());
  return drifts;
}

std::string describe_drift(const Drift& drift) {
  switch (drift.kind) {
    case DriftKind::missing:
      return fmt::format("{} is missing (generated from {})", drift.shown, drift.source);
    case DriftKind::differs:
      return fmt::format("{} differs from {} (the source changed, or the generated file was edited by hand)",
                         drift.shown, drift.source);
    case DriftKind::hand_written:
      return fmt::format("{} is not a tito-generated file (no GENERATED stamp) but should be generated from {}",
                         drift.shown, drift.source);
    case DriftKind::stale:
      return fmt::format("{} is a stale generated file: no module exports it any more", drift.shown);
  }
  return drift.shown;
}

std::vector<std::string> stale_paths(const std::vector<Drift>& drifts) {
  std::vector<std::string> paths;
  for (const auto& drift : drifts) {
    if (drift.kind == DriftKind::stale) paths.push_back(drift.shown);
  }
  return paths;
}

}  // namespace tito
