// cmd_common.cpp — what several commands share: choosing modules from the
// command line, exporting before a build when out of sync, and formatting.
#include <fmt/format.h>

#include <cmath>

#include "tito/commands.hpp"
#include "tito/error.hpp"
#include "tito/export.hpp"
#include "tito/resolve.hpp"
#include "tito/sync.hpp"
#include "tito/term.hpp"

namespace tito {

void print_export_report(const std::vector<const ModuleSpec*>& modules, const ExportReport& report) {
  for (const auto& shown : report.written) fmt::print("  {} {}\n", out_paint("wrote", Tone::good), shown);
  for (const auto& shown : report.removed) fmt::print("  {} {} (stale)\n", out_paint("removed", Tone::warn), shown);
  fmt::print("exported {}: {} written, {} unchanged{}\n", join_module_names(modules), report.written.size(),
             report.unchanged.size(),
             report.removed.empty() ? "" : fmt::format(", {} stale removed", report.removed.size()));
}

void require_names_or_all(const std::vector<std::string>& names, bool all) {
  if (all && !names.empty()) throw UsageError("name modules or pass --all, not both");
  if (!all && names.empty()) throw UsageError("name at least one module (e.g. 01_tensor, 1, tensor) or pass --all");
}

std::vector<const ModuleSpec*> select_modules(const Project& project, const std::vector<std::string>& names,
                                              bool all) {
  require_names_or_all(names, all);
  return all ? all_modules(project) : resolve_modules(project, names);
}

void export_if_out_of_sync(const Project& project, const std::vector<const ModuleSpec*>& modules) {
  const std::vector<GeneratedFile> plan = plan_export(project, modules);
  const std::vector<Drift> drifts = compare_with_disk(plan);
  if (drifts.empty()) return;
  fmt::print("{} {} generated file(s) out of sync with modules/ (first: {}); exporting {} first\n",
             out_paint("note:", Tone::warn), drifts.size(), drifts.front().shown,
             modules.empty() ? std::string("manifest.cmake") : join_module_names(modules));
  print_export_report(modules, apply_export(project, plan, {}));
}

std::string format_seconds(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const int whole = static_cast<int>(std::lround(seconds));
  return fmt::format("{}m {:02}s", whole / 60, whole % 60);
}

std::string join_module_names(const std::vector<const ModuleSpec*>& modules) {
  std::string out;
  for (auto* module : modules) out += (out.empty() ? "" : ", ") + module->name;
  return out.empty() ? "(no modules)" : out;
}

}  // namespace tito
