// error.hpp — the errors tito reports.
//
// Every problem tito can name is one of these. main() prints the message to
// stderr and exits with exit_code():
//   2  the command could not be carried out as asked: bad arguments, an unknown
//      module, a broken module.yaml / milestone.yaml, a file tito must not touch;
//   1  the command ran and found a failure: out of sync, a build or test failed.
#pragma once

#include <stdexcept>
#include <string>

namespace tito {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

class Error : public std::runtime_error {
 public:
  Error(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// Bad arguments, unknown names, an environment tito cannot work in.
class UsageError : public Error {
 public:
  explicit UsageError(const std::string& message) : Error(kExitUsage, message) {}
};

// A module.yaml / milestone.yaml (or the files it names) is not what tito expects.
class ManifestError : public Error {
 public:
  explicit ManifestError(const std::string& message) : Error(kExitUsage, message) {}
};

}  // namespace tito
