// sync.hpp — is tinytorch/ what `tito export` would write?
//
// A generated file is out of sync when it is missing, when its content differs
// from its module source under the stamp (the source changed, or someone edited
// the generated copy), or when it is a stale generated file: stamped by tito but
// exported by no module any more. `tito export --check` reports all of them;
// `tito test` uses the same comparison to decide whether to export first.
#pragma once

#include <string>
#include <vector>

#include "tito/export.hpp"
#include "tito/manifest.hpp"

namespace tito {

enum class DriftKind {
  missing,       // the generated file does not exist
  differs,       // it exists, stamped, but its content is not what export writes
  hand_written,  // it exists without a GENERATED stamp: tito will not overwrite it
  stale,         // stamped by tito, but no module exports it now
};

struct Drift {
  std::string shown;   // "tinytorch/core/tensor.cpp"
  DriftKind kind;
  std::string source;  // what it should be generated from (empty for stale files)
};

// The planned files that are not on disk exactly as planned.
std::vector<Drift> compare_with_disk(const std::vector<GeneratedFile>& plan);

// Stamped files under tinytorch/ that no module exports. With `scope` empty,
// all of them; otherwise only those whose stamp names a module in `scope`.
std::vector<Drift> find_stale_files(const Project& project, const std::vector<const ModuleSpec*>& scope);

// compare_with_disk(plan_export(...)) + find_stale_files(...) for `scope`
// (every module when `scope` covers the project).
std::vector<Drift> find_drift(const Project& project, const std::vector<const ModuleSpec*>& scope);

// "tinytorch/core/tensor.cpp differs from modules/01_tensor/tensor.cpp (...)"
std::string describe_drift(const Drift& drift);

// The shown paths of the stale entries.
std::vector<std::string> stale_paths(const std::vector<Drift>& drifts);

}  // namespace tito
