// paths.cpp — finding the checkout and its build directory (see paths.hpp).
#include "tito/paths.hpp"

#include <cstdlib>
#include <string>

#include "tito/error.hpp"

#ifndef TITO_DEFAULT_ROOT
#error "TITO_DEFAULT_ROOT must be defined by the build (tito/CMakeLists.txt)"
#endif

namespace tito {

namespace {

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

}  // namespace

bool looks_like_root(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir / "modules", ec) && fs::is_regular_file(dir / "CMakeLists.txt", ec);
}

std::optional<fs::path> find_root_upwards(const fs::path& start) {
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(start, ec);
  if (ec) dir = start;
  while (true) {
    if (looks_like_root(dir)) return dir;
    if (!dir.has_parent_path() || dir.parent_path() == dir) return std::nullopt;
    dir = dir.parent_path();
  }
}

Workspace locate_workspace() {
  fs::path root;
  if (auto from_env = env("TINYTORCH_ROOT")) {
    root = fs::absolute(*from_env);
    if (!looks_like_root(root)) {
      throw UsageError("TINYTORCH_ROOT=" + *from_env +
                       " is not a TinyTorch checkout (expected a directory holding modules/ and CMakeLists.txt)");
    }
  } else {
    std::error_code ec;
    auto found = find_root_upwards(fs::current_path(ec));
    if (found) {
      root = *found;
    } else if (looks_like_root(TITO_DEFAULT_ROOT)) {
      root = TITO_DEFAULT_ROOT;
    } else {
      throw UsageError(
          "cannot find the TinyTorch checkout: no directory at or above the working directory holds "
          "modules/ and CMakeLists.txt, and the source directory tito was built from (" TITO_DEFAULT_ROOT
          ") does not either; set TINYTORCH_ROOT");
    }
  }
  fs::path build = root / "build";
  if (auto from_env = env("TINYTORCH_BUILD_DIR")) build = fs::absolute(*from_env);
  return Workspace{root.lexically_normal(), build.lexically_normal()};
}

fs::path modules_dir(const fs::path& root) { return root / "modules"; }
fs::path milestones_dir(const fs::path& root) { return root / "milestones"; }
fs::path library_dir(const fs::path& root) { return root / "tinytorch"; }
fs::path manifest_cmake_path(const fs::path& root) { return library_dir(root) / "manifest.cmake"; }

fs::path milestone_binary(const Workspace& ws, const std::string& milestone_id) {
  return ws.build / "bin" / ("milestone_" + milestone_id);
}

fs::path results_path(const Workspace& ws) { return ws.build / "tito-results.json"; }

}  // namespace tito
