// paths.hpp — where the TinyTorch checkout and its build directory are.
//
// Root: $TINYTORCH_ROOT, else the nearest directory at or above the working
// directory holding both modules/ and CMakeLists.txt, else the source directory
// tito was compiled from. Build directory: $TINYTORCH_BUILD_DIR, else <root>/build.
#pragma once

#include <filesystem>
#include <optional>

namespace tito {

namespace fs = std::filesystem;

struct Workspace {
  fs::path root;   // the checkout: modules/, tinytorch/, CMakeLists.txt
  fs::path build;  // the CMake build directory tito configures and builds
};

// True when `dir` holds modules/ and CMakeLists.txt.
bool looks_like_root(const fs::path& dir);

// The nearest directory at or above `start` that looks like the root, if any.
std::optional<fs::path> find_root_upwards(const fs::path& start);

// Applies the rules above to the real environment; throws UsageError when
// $TINYTORCH_ROOT is set but is not a checkout, or no root can be found.
Workspace locate_workspace();

// Paths inside the workspace that several commands share.
fs::path modules_dir(const fs::path& root);
fs::path milestones_dir(const fs::path& root);
fs::path library_dir(const fs::path& root);  // tinytorch/
fs::path manifest_cmake_path(const fs::path& root);
fs::path milestone_binary(const Workspace& ws, const std::string& milestone_id);
fs::path results_path(const Workspace& ws);

}  // namespace tito
