// cmd_doctor.cpp — `tito doctor`: one line per check of this machine, the fix under each problem.
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>

#include "tito/commands.hpp"
#include "tito/doctor.hpp"
#include "tito/term.hpp"

namespace tito {

int doctor_command(const Workspace& ws) {
  fmt::print("{} checkout {}, build {}\n", out_paint("tito doctor:", Tone::strong), ws.root.string(),
             ws.build.string());
  const std::vector<CheckResult> results = run_doctor_checks(ws);
  size_t width = 0;
  for (const CheckResult& result : results) width = std::max(width, result.check.size());
  static const bool color = color_enabled(stdout);
  int warnings = 0;
  int problems = 0;
  std::vector<std::string> missing_packages;
  for (const CheckResult& result : results) {
    fmt::print("{}", format_check(result, width, color));
    if (result.status == CheckStatus::warn) ++warnings;
    if (result.status == CheckStatus::problem) ++problems;
    if (result.status == CheckStatus::problem && result.check.starts_with("package ")) {
      missing_packages.push_back(result.check.substr(std::string("package ").size()));
    }
  }
  if (missing_packages.size() > 1) {
    fmt::print("\nall missing packages at once: {}\n", apt_install_line(missing_packages, ::geteuid() == 0));
  }
  const int exit_code = doctor_exit_code(results);
  fmt::print("\ndoctor: {} checks, {} ok, {} {}, {} {}{}\n", results.size(),
             results.size() - static_cast<size_t>(warnings + problems), warnings,
             warnings == 1 ? "warning" : "warnings", problems, problems == 1 ? "problem" : "problems",
             problems > 0 ? " — fix each as shown above" : warnings > 0 ? " (warnings do not fail)" : "");
  return exit_code;
}

}  // namespace tito
