// cmake_driver.cpp — cmake/ctest invocations (see cmake_driver.hpp).
#include "tito/cmake_driver.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstring>

#include "tito/error.hpp"
#include "tito/process.hpp"
#include "tito/term.hpp"

namespace tito {

namespace {

constexpr const char* kCtestParallelJobs = "-j2";

int run_announced(const Command& command) {
  fmt::print("{}\n", out_paint("$ " + shell_line(command), Tone::dim));
  return run_command(command);
}

fs::path junit_path(const Workspace& ws, const std::string& label) {
  return ws.build / "tito-junit" / (label + ".xml");
}

}  // namespace

bool is_configured(const Workspace& ws) {
  // A configure that failed leaves CMakeCache.txt but no build system behind.
  std::error_code ec;
  const bool has_build_system =
      fs::is_regular_file(ws.build / "Makefile", ec) || fs::is_regular_file(ws.build / "build.ninja", ec);
  return has_build_system && fs::is_regular_file(ws.build / "CMakeCache.txt", ec);
}

int ensure_configured(const Workspace& ws) {
  if (is_configured(ws)) return 0;
  return run_announced(Command{
      {"cmake", "-S", ws.root.string(), "-B", ws.build.string(), "-DCMAKE_BUILD_TYPE=Release"}, std::nullopt});
}

int build_targets(const Workspace& ws, const std::vector<std::string>& targets) {
  std::vector<std::string> argv{"cmake", "--build", ws.build.string(), "--target"};
  argv.insert(argv.end(), targets.begin(), targets.end());
  argv.push_back(fmt::format("-j{}", build_jobs()));
  return run_announced(Command{argv, std::nullopt});
}

std::string exact_label_regex(const std::string& label) {
  std::string regex = "^";
  for (char c : label) {
    if (std::strchr(".^$|()[]{}*+?\\", c) != nullptr) regex += '\\';
    regex += c;
  }
  return regex + "$";
}

CtestRun run_ctest_label(const Workspace& ws, const std::string& label) {
  const fs::path junit = junit_path(ws, label);
  std::error_code ec;
  fs::create_directories(junit.parent_path(), ec);
  fs::remove(junit, ec);
  const Command command{{"ctest", "--test-dir", ws.build.string(), "-L", exact_label_regex(label),
                         "--output-on-failure", "--output-junit", junit.string(), kCtestParallelJobs},
                        std::nullopt};
  CtestRun run;
  const auto start = std::chrono::steady_clock::now();
  run.exit_code = run_announced(command);
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  try {
    run.report = read_junit_file(junit.string());
  } catch (const Error& e) {
    run.report_error = e.what();
  }
  return run;
}

}  // namespace tito
