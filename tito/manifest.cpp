// manifest.cpp — loading and validating module.yaml / milestone.yaml (see manifest.hpp).
#include "tito/manifest.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include "tito/error.hpp"
#include "tito/paths.hpp"
#include "tito/stamp.hpp"
#include "tito/yaml_fields.hpp"

namespace tito {

namespace {

// Module and milestone folders: two digits, '_', a name ("01_tensor", "03_1986_mlp").
bool is_numbered_folder_name(const std::string& name) {
  static const std::regex pattern("[0-9]{2}_[A-Za-z0-9_]+");
  return std::regex_match(name, pattern);
}

// A path that stays inside the folder it is relative to: no '/', '..' or '\\' tricks.
bool is_contained_relative_path(const std::string& path) {
  if (path.empty() || path.front() == '/' || path.find('\\') != std::string::npos) return false;
  for (const auto& part : fs::path(path)) {
    if (part == ".." || part == "." || part.empty()) return false;
  }
  return path.back() != '/';
}

void require_relative_path(const YamlFile& file, const YAML::Node& at, const std::string& path,
                           const std::string& what) {
  if (!is_contained_relative_path(path)) {
    file.fail(at, fmt::format("{} '{}' must be a relative path inside its folder (no leading '/', no '..')", what,
                              path));
  }
}

void require_file(const YamlFile& file, const YAML::Node& at, const fs::path& path, const std::string& shown,
                  const std::string& what) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) file.fail(at, fmt::format("{} '{}' does not exist", what, shown));
}

ExportSpec read_export(const YamlFile& file, const fs::path& module_dir, const std::string& module_rel,
                       const YAML::Node& key, const YAML::Node& value) {
  ExportSpec spec;
  spec.source = scalar_string(file, key, "an export source (key of 'exports')");
  require_relative_path(file, key, spec.source, "export source");
  require_file(file, key, module_dir / spec.source, module_rel + "/" + spec.source, "export source");
  const std::string what = fmt::format("export '{}'", spec.source);
  if (value.IsMap()) {
    Fields fields(file, value, what, {"to", "isa"}, {"to"});
    spec.target = fields.string("to");
    if (fields.has("isa")) spec.isa = fields.string("isa");
  } else if (value.IsScalar()) {
    spec.target = value.Scalar();
  } else {
    file.fail(value.IsNull() ? key : value,
              fmt::format("{} must map to a path under tinytorch/ or to {{to: PATH, isa: ISA}}, got {}", what,
                          describe_kind(value)));
  }
  require_relative_path(file, value, spec.target, "export target");
  if (spec.target == "manifest.cmake") file.fail(value, "export target 'manifest.cmake' is reserved for tito");
  if (!comment_marker_for(spec.target)) {
    file.fail(value, fmt::format("export target '{}' has an extension tito cannot stamp (supported: {})",
                                 spec.target, stampable_extensions()));
  }
  if (!spec.isa.empty() && !spec.is_library_source()) {
    file.fail(value, fmt::format("{}: 'isa' applies to .cpp files only, not '{}'", what, spec.target));
  }
  if (!spec.isa.empty() && !std::regex_match(spec.isa, std::regex("[a-z0-9_]+"))) {
    file.fail(value, fmt::format("{}: isa '{}' must be a lower-case name such as avx2 or avx512vnni", what, spec.isa));
  }
  return spec;
}

std::vector<ExportSpec> read_exports(const Fields& fields, const fs::path& module_dir,
                                     const std::string& module_rel) {
  std::vector<ExportSpec> exports;
  for (const auto& [key, value] : fields.ordered_map("exports")) {
    ExportSpec spec = read_export(fields.file(), module_dir, module_rel, key, value);
    for (const auto& earlier : exports) {
      if (earlier.target == spec.target) {
        fields.file().fail(value, fmt::format("exports '{}' and '{}' both write tinytorch/{}", earlier.source,
                                              spec.source, spec.target));
      }
    }
    exports.push_back(std::move(spec));
  }
  return exports;
}

// Each listed file must exist in `dir`; `dir_rel` is how messages show that folder.
void require_listed_files(const Fields& fields, const std::string& key, const std::vector<std::string>& files,
                          const fs::path& dir, const std::string& dir_rel) {
  for (const auto& name : files) {
    require_relative_path(fields.file(), fields.node(key), name, fmt::format("'{}' entry", key));
    require_file(fields.file(), fields.node(key), dir / name, dir_rel + "/" + name, fmt::format("'{}' entry", key));
  }
}

// CMake list arguments cannot carry ';' (it splits the list) or an empty string.
void require_cmake_safe_args(const Fields& fields, const std::string& key, const std::vector<std::string>& args) {
  for (const auto& arg : args) {
    if (arg.empty() || arg.find(';') != std::string::npos) {
      fields.file().fail(fields.node(key),
                         fmt::format("'{}' entry '{}' must be non-empty and contain no ';'", key, arg));
    }
  }
}

int read_points_value(const YamlFile& file, const YAML::Node& value, const std::string& what) {
  int points = 0;
  if (!value.IsScalar() || !YAML::convert<int>::decode(value, points) || points < 0) {
    file.fail(value, fmt::format("{} must be a whole number of points >= 0, got '{}'", what,
                                 value.IsScalar() ? value.Scalar() : std::string("a list or map")));
  }
  return points;
}

// `points: N` or `points: {test_file.cpp: N, ...}` naming every test file exactly once.
ModulePoints read_points(const Fields& fields, const std::vector<std::string>& tests) {
  ModulePoints points;
  if (!fields.has("points") || fields.node("points").IsNull()) return points;
  points.declared = true;
  const YAML::Node& node = fields.node("points");
  if (node.IsScalar()) {
    points.total = read_points_value(fields.file(), node, "'points'");
    return points;
  }
  if (!node.IsMap()) fields.file().fail(node, "'points' must be a number or a map test_file.cpp: points");
  for (const auto& [key, value] : fields.ordered_map("points")) {
    if (!key.IsScalar()) fields.file().fail(key, "'points' keys must be test file names");
    const std::string file_name = key.Scalar();
    if (std::find(tests.begin(), tests.end(), file_name) == tests.end()) {
      fields.file().fail(key, fmt::format("'points' names '{}', which is not one of the module's tests: {}",
                                          file_name, fmt::join(tests, ", ")));
    }
    const int file_points = read_points_value(fields.file(), value, fmt::format("'points' of {}", file_name));
    points.per_test_file.emplace_back(file_name, file_points);
    points.total += file_points;
  }
  for (const auto& test : tests) {
    const bool listed = std::any_of(points.per_test_file.begin(), points.per_test_file.end(),
                                    [&](const auto& entry) { return entry.first == test; });
    if (!listed) {
      fields.file().fail(node, fmt::format("'points' gives no points to the test file '{}'; expected every file "
                                           "of 'tests' (0 is allowed)", test));
    }
  }
  return points;
}

std::vector<std::string> sorted_subfolders(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (entry.is_directory() && !name.starts_with('.')) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void require_numbered_folder(const std::string& parent, const std::string& name, const std::string& kind) {
  if (!is_numbered_folder_name(name)) {
    throw ManifestError(fmt::format("{}/{}: a {} folder is named NN_name (two digits, '_', letters/digits/'_'), "
                                    "e.g. {}",
                                    parent, name, kind, kind == "module" ? "01_tensor" : "03_1986_mlp"));
  }
}

std::vector<ModuleSpec> load_all_modules(const fs::path& root) {
  std::vector<ModuleSpec> modules;
  for (const auto& folder : sorted_subfolders(modules_dir(root))) {
    require_numbered_folder("modules", folder, "module");
    modules.push_back(load_module(root, folder));
  }
  std::stable_sort(modules.begin(), modules.end(), [](const auto& a, const auto& b) { return a.number < b.number; });
  return modules;
}

std::vector<MilestoneSpec> load_all_milestones(const fs::path& root) {
  std::vector<MilestoneSpec> milestones;
  for (const auto& folder : sorted_subfolders(milestones_dir(root))) {
    require_numbered_folder("milestones", folder, "milestone");
    milestones.push_back(load_milestone(root, folder));
  }
  return milestones;
}

void check_unique_numbers(const std::vector<ModuleSpec>& modules) {
  for (size_t i = 1; i < modules.size(); ++i) {
    if (modules[i].number == modules[i - 1].number) {
      throw ManifestError(fmt::format("{} and {} both declare number {}", modules[i - 1].yaml_rel,
                                      modules[i].yaml_rel, modules[i].number));
    }
  }
}

// Depth-first search for a prerequisite cycle through `module`; `path` is the
// chain being followed, `done` the modules already known to be cycle-free.
void reject_cycle_through(const Project& project, const ModuleSpec& module, std::vector<std::string>& path,
                          std::set<std::string>& done) {
  if (done.count(module.name)) return;
  if (std::find(path.begin(), path.end(), module.name) != path.end()) {
    std::string chain;
    for (const auto& name : path) chain += name + " -> ";
    throw ManifestError(fmt::format("{}: prerequisites form a cycle: {}{}", module.yaml_rel, chain, module.name));
  }
  path.push_back(module.name);
  for (const auto& name : module.prerequisites) reject_cycle_through(project, *project.find_module(name), path, done);
  path.pop_back();
  done.insert(module.name);
}

void check_prerequisites(const Project& project) {
  for (const auto& module : project.modules) {
    for (const auto& name : module.prerequisites) {
      if (name == module.name) throw ManifestError(fmt::format("{}: a module cannot be its own prerequisite", module.yaml_rel));
      if (project.find_module(name) == nullptr) {
        throw ManifestError(fmt::format("{}: prerequisite '{}' is not a module (no modules/{}/module.yaml)",
                                        module.yaml_rel, name, name));
      }
    }
  }
  std::set<std::string> done;
  for (const auto& module : project.modules) {
    std::vector<std::string> path;
    reject_cycle_through(project, module, path, done);
  }
}

void check_unique_export_targets(const Project& project) {
  std::map<std::string, const ModuleSpec*> owner_of_target;
  for (const auto& module : project.modules) {
    for (const auto& spec : module.exports) {
      auto [it, inserted] = owner_of_target.emplace(spec.target, &module);
      if (!inserted) {
        throw ManifestError(fmt::format("{} and {} both export tinytorch/{}", it->second->yaml_rel,
                                        module.yaml_rel, spec.target));
      }
    }
  }
}

// A milestone's prerequisites are the modules that list it (derived, never declared twice).
void derive_milestone_prerequisites(Project& project) {
  for (const auto& module : project.modules) {
    for (const auto& id : module.milestones) {
      auto it = std::find_if(project.milestones.begin(), project.milestones.end(),
                             [&](const auto& m) { return m.id == id; });
      if (it == project.milestones.end()) {
        throw ManifestError(fmt::format("{}: milestone '{}' does not exist (no milestones/{}/milestone.yaml)",
                                        module.yaml_rel, id, id));
      }
      it->prerequisites.push_back(module.name);
    }
  }
}

}  // namespace

bool ExportSpec::is_library_source() const { return target.ends_with(".cpp"); }

std::string ModuleSpec::short_name() const {
  auto underscore = name.find('_');
  return underscore == std::string::npos ? name : name.substr(underscore + 1);
}

std::string ModuleSpec::number_prefix() const { return name.substr(0, name.find('_')); }

std::string ModuleSpec::source_rel(const ExportSpec& e) const { return "modules/" + name + "/" + e.source; }

const ModuleSpec* Project::find_module(const std::string& name) const {
  for (const auto& module : modules) {
    if (module.name == name) return &module;
  }
  return nullptr;
}

const MilestoneSpec* Project::find_milestone(const std::string& id) const {
  for (const auto& milestone : milestones) {
    if (milestone.id == id) return &milestone;
  }
  return nullptr;
}

ModuleSpec load_module(const fs::path& root, const std::string& folder_name) {
  const fs::path module_dir = modules_dir(root) / folder_name;
  const std::string module_rel = "modules/" + folder_name;
  ModuleSpec module;
  module.yaml_rel = module_rel + "/module.yaml";
  std::error_code ec;
  if (!fs::is_regular_file(module_dir / "module.yaml", ec)) {
    throw ManifestError(fmt::format("{}: missing (every folder under modules/ is a module and needs one)",
                                    module.yaml_rel));
  }
  const YamlFile file = YamlFile::load(module_dir / "module.yaml", module.yaml_rel);
  const Fields fields(file, file.root(), "module.yaml",
                      {"name", "number", "title", "summary", "prerequisites", "exports", "checks", "tests",
                       "milestones", "points"},
                      {"name", "number", "title", "exports"});
  module.name = fields.string("name");
  if (module.name != folder_name) {
    file.fail(fields.node("name"), fmt::format("name '{}' must equal the folder name '{}'", module.name, folder_name));
  }
  module.number = fields.integer("number");
  if (fmt::format("{:02}", module.number) != module.number_prefix()) {
    file.fail(fields.node("number"), fmt::format("number {} does not match the folder prefix '{}'", module.number,
                                                 module.number_prefix()));
  }
  module.title = fields.string("title");
  if (fields.has("summary")) module.summary = fields.string("summary");
  module.prerequisites = fields.string_list("prerequisites");
  module.exports = read_exports(fields, module_dir, module_rel);
  if (fields.has("checks")) {
    module.checks = fields.string("checks");
    require_listed_files(fields, "checks", {*module.checks}, module_dir, module_rel);
  }
  module.tests = fields.string_list("tests");
  require_listed_files(fields, "tests", module.tests, root / "tests" / folder_name, "tests/" + folder_name);
  module.milestones = fields.string_list("milestones");
  module.points = read_points(fields, module.tests);
  return module;
}

MilestoneSpec load_milestone(const fs::path& root, const std::string& folder_name) {
  const fs::path milestone_dir = milestones_dir(root) / folder_name;
  const std::string milestone_rel = "milestones/" + folder_name;
  MilestoneSpec milestone;
  milestone.yaml_rel = milestone_rel + "/milestone.yaml";
  std::error_code ec;
  if (!fs::is_regular_file(milestone_dir / "milestone.yaml", ec)) {
    throw ManifestError(fmt::format("{}: missing (every folder under milestones/ is a milestone and needs one)",
                                    milestone.yaml_rel));
  }
  const YamlFile file = YamlFile::load(milestone_dir / "milestone.yaml", milestone.yaml_rel);
  const Fields fields(file, file.root(), "milestone.yaml",
                      {"id", "title", "summary", "sources", "check_args", "run_args"},
                      {"id", "title", "sources", "check_args"});
  milestone.id = fields.string("id");
  if (milestone.id != folder_name) {
    file.fail(fields.node("id"), fmt::format("id '{}' must equal the folder name '{}'", milestone.id, folder_name));
  }
  milestone.title = fields.string("title");
  if (fields.has("summary")) milestone.summary = fields.string("summary");
  milestone.sources = fields.string_list("sources");
  if (milestone.sources.empty()) file.fail(fields.node("sources"), "'sources' must list at least one .cpp file");
  require_listed_files(fields, "sources", milestone.sources, milestone_dir, milestone_rel);
  milestone.check_args = fields.string_list("check_args");
  require_cmake_safe_args(fields, "check_args", milestone.check_args);
  milestone.run_args = fields.string_list("run_args");
  return milestone;
}

Project load_project(const fs::path& root) {
  Project project;
  project.root = root;
  project.modules = load_all_modules(root);
  project.milestones = load_all_milestones(root);
  check_unique_numbers(project.modules);
  check_prerequisites(project);
  check_unique_export_targets(project);
  derive_milestone_prerequisites(project);
  return project;
}

}  // namespace tito
