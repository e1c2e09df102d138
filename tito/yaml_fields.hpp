// yaml_fields.hpp — reading a YAML manifest field by field, with messages that
// name the file, the line and what was expected.
//
// yaml-cpp answers questions about nodes; this file turns every "no" into a
// ManifestError such as
//   modules/01_tensor/module.yaml:7: 'tests' must be a list of strings, got a map
// so module.yaml / milestone.yaml readers never let a yaml-cpp exception escape.
#pragma once

#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tito {

// One loaded YAML file and the name it is reported under.
class YamlFile {
 public:
  // Parses the file; throws ManifestError (with line and column) on malformed YAML.
  static YamlFile load(const std::filesystem::path& file, std::string display_name);

  const YAML::Node& root() const { return root_; }
  const std::string& name() const { return display_name_; }

  // Throws ManifestError "<file>:<line>: <what>" (no line when the node has none).
  [[noreturn]] void fail(const YAML::Node& at, const std::string& what) const;
  [[noreturn]] void fail(const std::string& what) const;

 private:
  YamlFile(YAML::Node root, std::string display_name)
      : root_(std::move(root)), display_name_(std::move(display_name)) {}
  YAML::Node root_;
  std::string display_name_;
};

// The keys of one YAML map, checked against the keys a manifest allows.
class Fields {
 public:
  // `node` must be a map whose keys are strings, each at most once, each in
  // `allowed`, and every key in `required` present. `what` names the map in
  // messages ("module.yaml", "export 'gemm.cpp'").
  Fields(const YamlFile& file, const YAML::Node& node, std::string what,
         std::initializer_list<std::string_view> allowed,
         std::initializer_list<std::string_view> required);

  bool has(std::string_view key) const;
  const YAML::Node& node(std::string_view key) const;  // key must be present
  const YAML::Node& map_node() const { return map_; }

  std::string string(std::string_view key) const;
  int integer(std::string_view key) const;
  // A list of strings; an absent key or a key with no value is an empty list.
  std::vector<std::string> string_list(std::string_view key) const;
  // The entries of a map in file order; an absent key or no value is empty.
  std::vector<std::pair<YAML::Node, YAML::Node>> ordered_map(std::string_view key) const;

  const YamlFile& file() const { return file_; }

 private:
  const YamlFile& file_;
  YAML::Node map_;
  std::string what_;
  std::vector<std::pair<std::string, YAML::Node>> entries_;
};

// "a string", "a list", "a map", "nothing" — for "got ..." in messages.
std::string describe_kind(const YAML::Node& node);

// The scalar text of `node`, or a ManifestError saying `what` must be a string.
std::string scalar_string(const YamlFile& file, const YAML::Node& node, const std::string& what);

}  // namespace tito
