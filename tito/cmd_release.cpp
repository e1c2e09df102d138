// cmd_release.cpp — `tito release student DIR [--force]`: write, verify and summarize a student copy.
#include <fmt/format.h>

#include "tito/commands.hpp"
#include "tito/error.hpp"
#include "tito/release.hpp"
#include "tito/term.hpp"

namespace tito {

namespace {

constexpr std::size_t kProblemsShown = 40;

// "quantize_int8, dequantize_int8, ..." wrapped under a 6-space indent.
std::string wrapped_names(const std::vector<std::string>& names) {
  std::string out = "      ";
  std::size_t column = 6;
  for (std::size_t i = 0; i < names.size(); ++i) {
    const std::string item = names[i] + (i + 1 < names.size() ? ", " : "");
    if (column + item.size() > 100 && column > 6) {
      out += "\n      ";
      column = 6;
    }
    out += item;
    column += item.size();
  }
  return out;
}

}  // namespace

int release_student_command(const Workspace& ws, const ReleaseOptions& options) {
  if (options.dir.empty()) throw UsageError("release student: name the folder to write the student copy into");
  const StudentRelease release = write_student_release(ws.root, options.dir, options.force);
  fmt::print("copied {} files of {} into {}; regenerated {} file(s) of tinytorch/ from the stubs\n",
             release.files.size(), ws.root.string(), release.dest.string(), release.regenerated);
  const std::vector<std::string> problems = verify_student_release(release);
  if (!problems.empty()) {
    for (std::size_t i = 0; i < problems.size() && i < kProblemsShown; ++i) {
      fmt::print(stderr, "  {} {}\n", err_paint("✗", Tone::bad), problems[i]);
    }
    if (problems.size() > kProblemsShown) fmt::print(stderr, "  ... and {} more\n", problems.size() - kProblemsShown);
    fmt::print(stderr,
               "{} {} problem(s): {} is NOT a valid student copy (it is not marked as one). The checkout was not "
               "changed; fix the regions in modules/ and run the release again (--force replaces the copy)\n",
               err_paint("release failed:", Tone::bad), problems.size(), release.dest.string());
    return kExitFailure;
  }
  mark_student_release(ws.root, release.dest);
  std::size_t regions = 0;
  std::size_t functions = 0;
  std::size_t files = 0;
  for (const auto& [module, stubs] : stubs_by_module(release.sources)) {
    fmt::print("  {:<18} {:>3} region(s) in {:>2} file(s), {:>3} function(s) stubbed:\n{}\n", module, stubs.regions,
               stubs.files, stubs.functions.size(), wrapped_names(stubs.functions));
    regions += stubs.regions;
    functions += stubs.functions.size();
    files += stubs.files;
  }
  fmt::print("{} {} region(s) in {} file(s) stubbed ({} functions); verified: no solution markers, no solution "
             "lines in modules/, tinytorch/ or .tito/, every region reinserts byte for byte\n",
             out_paint("released:", Tone::good), regions, files, functions);
  fmt::print("the student starts with:  cd {} && bin/tito module start 01\n", release.dest.string());
  return kExitOk;
}

}  // namespace tito
