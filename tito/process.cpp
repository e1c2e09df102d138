// process.cpp — fork/exec with inherited or captured output (see process.hpp).
#include "tito/process.hpp"

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

namespace tito {

namespace {

bool needs_quoting(const std::string& arg) {
  return arg.empty() || std::any_of(arg.begin(), arg.end(), [](unsigned char c) {
           return !(std::isalnum(c) || std::strchr("_-./=:,+%@^", c) != nullptr);
         });
}

std::string shell_quote(const std::string& arg) {
  if (!needs_quoting(arg)) return arg;
  std::string quoted = "'";
  for (char c : arg) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

// In the child: change directory, exec; on failure say why and exit 127.
[[noreturn]] void exec_child(const Command& command) {
  if (command.working_dir && ::chdir(command.working_dir->c_str()) != 0) {
    std::fprintf(stderr, "tito: cannot enter %s: %s\n", command.working_dir->c_str(), std::strerror(errno));
    ::_exit(127);
  }
  std::vector<char*> argv;
  for (const auto& arg : command.argv) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  ::execvp(argv[0], argv.data());
  std::fprintf(stderr, "tito: cannot run %s: %s\n", argv[0], std::strerror(errno));
  ::_exit(127);
}

int exit_status_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return 1;
}

}  // namespace

int run_command(const Command& command) {
  if (command.argv.empty()) return 127;
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t child = ::fork();
  if (child < 0) {
    std::fprintf(stderr, "tito: cannot start %s: %s\n", command.argv[0].c_str(), std::strerror(errno));
    return 127;
  }
  if (child == 0) exec_child(command);
  int wait_status = 0;
  while (::waitpid(child, &wait_status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  return exit_status_of(wait_status);
}

CapturedRun capture_child(const std::function<void()>& child_body) {
  CapturedRun run;
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return CapturedRun{127, fmt::format("cannot create a pipe: {}", std::strerror(errno))};
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return CapturedRun{127, fmt::format("cannot fork: {}", std::strerror(errno))};
  }
  if (child == 0) {
    ::close(pipe_fds[0]);
    ::dup2(pipe_fds[1], STDOUT_FILENO);
    ::dup2(pipe_fds[1], STDERR_FILENO);
    ::close(pipe_fds[1]);
    child_body();
    std::fflush(stdout);
    std::fflush(stderr);
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  char buffer[4096];
  while (true) {
    const ssize_t got = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (got > 0) {
      run.output.append(buffer, static_cast<size_t>(got));
    } else if (got == 0 || errno != EINTR) {
      break;
    }
  }
  ::close(pipe_fds[0]);
  int wait_status = 0;
  while (::waitpid(child, &wait_status, 0) < 0) {
    if (errno != EINTR) return CapturedRun{127, run.output};
  }
  run.exit_code = exit_status_of(wait_status);
  return run;
}

CapturedRun capture_command(const Command& command) {
  if (command.argv.empty()) return CapturedRun{127, ""};
  return capture_child([&command] { exec_child(command); });
}

std::string shell_line(const Command& command) {
  std::string line;
  if (command.working_dir) line = "(cd " + shell_quote(command.working_dir->string()) + " && ";
  for (size_t i = 0; i < command.argv.size(); ++i) {
    if (i > 0) line += ' ';
    line += shell_quote(command.argv[i]);
  }
  if (command.working_dir) line += ")";
  return line;
}

unsigned build_jobs() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace tito
