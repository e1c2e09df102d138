// cmd_export.cpp — `tito export NAME... | --all [--check] [--no-build]`.
//
// Copies each module source to its place under tinytorch/ with a GENERATED
// stamp, regenerates tinytorch/manifest.cmake, removes stale generated files,
// then rebuilds the library if the build directory is configured. With
// --check it writes nothing and lists every file out of sync.
#include <fmt/format.h>

#include "tito/cmake_driver.hpp"
#include "tito/commands.hpp"
#include "tito/error.hpp"
#include "tito/export.hpp"
#include "tito/sync.hpp"
#include "tito/term.hpp"

namespace tito {

namespace {

// What to type to fix the drift: "tito export --all" or "tito export 01_tensor 02_activations".
std::string export_command_line(const Project& project, const std::vector<const ModuleSpec*>& modules) {
  if (modules.size() == project.modules.size()) return "tito export --all";
  std::string line = "tito export";
  for (auto* module : modules) line += " " + module->name;
  return line;
}

int check_sync(const Project& project, const std::vector<const ModuleSpec*>& modules) {
  const std::vector<Drift> drifts = find_drift(project, modules);
  if (drifts.empty()) {
    fmt::print("{} tinytorch/ matches modules/ for {} module(s) and manifest.cmake\n",
               out_paint("in sync:", Tone::good), modules.size());
    return kExitOk;
  }
  for (const auto& drift : drifts) fmt::print("  {} {}\n", out_paint("✗", Tone::bad), describe_drift(drift));
  fmt::print("{} {} file(s) out of sync; run '{}'\n", out_paint("out of sync:", Tone::bad), drifts.size(),
             export_command_line(project, modules));
  return kExitFailure;
}

int rebuild_library(const Workspace& ws) {
  if (!is_configured(ws)) {
    fmt::print("{} {} is not configured yet; skipping the library build ('tito test' configures it)\n",
               out_paint("note:", Tone::warn), ws.build.string());
    return kExitOk;
  }
  if (build_targets(ws, {"tinytorch"}) != 0) {
    fmt::print(stderr, "{} the tinytorch library does not build; fix the errors above in the module sources "
               "(modules/), then export again\n", err_paint("error:", Tone::bad));
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int export_command(const Workspace& ws, const ExportOptions& options) {
  require_names_or_all(options.names, options.all);
  const Project project = load_project(ws.root);
  const auto modules = select_modules(project, options.names, options.all);
  if (options.check) return check_sync(project, modules);
  const auto stale_scope = options.all ? std::vector<const ModuleSpec*>{} : modules;
  const auto stale = stale_paths(find_stale_files(project, stale_scope));
  print_export_report(modules, apply_export(project, plan_export(project, modules), stale));
  if (options.no_build) return kExitOk;
  return rebuild_library(ws);
}

}  // namespace tito
