// process.hpp — running a program with its output streamed to ours.
//
// tito drives cmake, ctest and milestone programs as child processes that
// inherit stdout/stderr, so their output (compiler errors, test logs, training
// progress) reaches the user unchanged and as it happens.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace tito {

struct Command {
  std::vector<std::string> argv;                     // argv[0] is looked up on PATH
  std::optional<std::filesystem::path> working_dir;  // default: tito's own
};

// Runs `command` to completion. Returns its exit status; 128+N when killed by
// signal N; 127 when the program could not be started (the reason is printed).
int run_command(const Command& command);

// The command as a shell line ("cmake --build build --target tito"), quoting
// arguments that need it — for printing what tito runs.
std::string shell_line(const Command& command);

struct CapturedRun {
  int exit_code = 0;   // as run_command()
  std::string output;  // stdout and stderr, interleaved as written
};

// Runs `command` with its stdout and stderr captured instead of shown (for
// asking a tool about itself: `cmake --version`, a test compile).
CapturedRun capture_command(const Command& command);

// Runs `child_body` in a forked child whose stdout and stderr are captured; the child
// exits 0 when the function returns. For a question that must not touch this process,
// e.g. dlopen-ing a library under another environment (tito doctor). exit_code is 128+N
// when the child was killed by signal N.
CapturedRun capture_child(const std::function<void()>& child_body);

// The number of parallel build jobs to ask for (at least 1).
unsigned build_jobs();

}  // namespace tito
