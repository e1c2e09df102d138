// export.hpp — what `tito export` writes, and writing it.
//
// A module's export is one GeneratedFile per `exports:` entry: the module
// source verbatim under one GENERATED stamp line. Every export also regenerates
// tinytorch/manifest.cmake from the whole project. Planning reads; applying
// writes (only files whose content changed) and removes stale generated files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tito/manifest.hpp"

namespace tito {

namespace fs = std::filesystem;

struct GeneratedFile {
  fs::path path;        // absolute path of the file under tinytorch/
  std::string shown;    // "tinytorch/core/tensor.cpp"
  std::string source;   // "modules/01_tensor/tensor.cpp" (what it is generated from)
  std::string content;  // exactly what the file must hold, stamp included
  bool is_manifest = false;  // tinytorch/manifest.cmake: always tito's to overwrite
};

// The stamped copies of one module's exports (reads the module sources).
std::vector<GeneratedFile> plan_module_files(const Project& project, const ModuleSpec& module);

// tinytorch/manifest.cmake for the whole project.
GeneratedFile plan_manifest_file(const Project& project);

// The files of `modules`, then manifest.cmake.
std::vector<GeneratedFile> plan_export(const Project& project, const std::vector<const ModuleSpec*>& modules);

struct ExportReport {
  std::vector<std::string> written;    // shown paths whose content changed
  std::vector<std::string> unchanged;  // shown paths already right
  std::vector<std::string> removed;    // stale generated files deleted
};

// Writes the plan (write_if_changed) and deletes `stale_files` (shown paths
// under the root). Refuses — UsageError, before writing anything — to
// overwrite an existing file that is not tito-generated.
ExportReport apply_export(const Project& project, const std::vector<GeneratedFile>& plan,
                          const std::vector<std::string>& stale_files);

}  // namespace tito
