// manifest.hpp — the project as modules/*/module.yaml and milestones/*/milestone.yaml describe it.
//
// module.yaml is the one manifest: library sources, build targets, CTest labels,
// milestone prerequisites and `tito module status` are all derived from what
// load_project() returns, never from a second list. Loading validates
// everything it can (keys, types, names, that every named file exists, that
// cross references resolve) and reports the first problem as a ManifestError
// naming the yaml file and line.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace tito {

namespace fs = std::filesystem;

// One entry of `exports:` — `source: target` or `source: {to: target, isa: avx512vnni}`.
struct ExportSpec {
  std::string source;  // file inside the module folder, e.g. "tensor.cpp"
  std::string target;  // path under tinytorch/, e.g. "core/tensor.cpp"
  std::string isa;     // empty, or the ISA whose flags this .cpp alone is compiled with

  bool is_library_source() const;  // a .cpp the library compiles
};

// What `tito grade` awards for a module's unit tests (`points:` in module.yaml): either
//   points: 40                      — shared equally by every graded test of the module, or
//   points: {test_tensor.cpp: 10, test_matmul.cpp: 30}
//                                   — each test file's points shared equally by its graded tests
// (every file of `tests:` listed). A test that passes on the starter code, or is skipped,
// is not graded: its share goes to the other tests of its file.
struct ModulePoints {
  bool declared = false;
  int total = 0;                                          // the module's points
  std::vector<std::pair<std::string, int>> per_test_file;  // empty for the single-number form
};

struct ModuleSpec {
  std::string name;   // "01_tensor": the folder name, the CTest label of its unit tests
  int number = 0;     // 1
  std::string title;
  std::string summary;
  std::vector<std::string> prerequisites;  // module names
  std::vector<ExportSpec> exports;         // in yaml order
  std::optional<std::string> checks;       // inline-checks program in the module folder
  std::vector<std::string> tests;          // GoogleTest sources under tests/<name>/
 std::vector<std::string> milestones;     // milestone ids that need this module
  ModulePoints points;                     // for `tito grade`
  std::string yaml_rel;                    // "modules/01_tensor/module.yaml" (for messages)

  std::string short_name() const;  // "tensor": the name without its number prefix
  std::string number_prefix() const;  // "01": the digits before the first '_'
  std::string source_rel(const ExportSpec& e) const;  // "modules/01_tensor/tensor.cpp"
};

struct MilestoneSpec {
  std::string id;  // "03_1986_mlp": the folder name
  std::string title;
  std::string summary;
  std::vector<std::string> sources;     // .cpp files in the milestone folder
  std::vector<std::string> check_args;  // arguments of the quick integration check (CTest)
  std::vector<std::string> run_args;    // default arguments of `tito milestone run`
  std::vector<std::string> prerequisites;  // DERIVED: modules listing this milestone, in number order
  std::string yaml_rel;
};

struct Project {
  fs::path root;
  std::vector<ModuleSpec> modules;        // in number order
  std::vector<MilestoneSpec> milestones;  // in id order

  const ModuleSpec* find_module(const std::string& name) const;
  const MilestoneSpec* find_milestone(const std::string& id) const;
};

// Reads and validates every module.yaml and milestone.yaml under `root`.
Project load_project(const fs::path& root);

// Reads one module.yaml (checks it on its own; cross references are load_project's job).
ModuleSpec load_module(const fs::path& root, const std::string& folder_name);
MilestoneSpec load_milestone(const fs::path& root, const std::string& folder_name);

}  // namespace tito
