// yaml_fields.cpp — typed, located reading of YAML manifests (see yaml_fields.hpp).
#include "tito/yaml_fields.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tito/error.hpp"

namespace tito {

namespace {

std::string join_keys(std::initializer_list<std::string_view> keys) {
  std::string out;
  for (auto key : keys) {
    if (!out.empty()) out += ", ";
    out += key;
  }
  return out;
}

bool contains(std::initializer_list<std::string_view> keys, std::string_view key) {
  return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace

YamlFile YamlFile::load(const std::filesystem::path& file, std::string display_name) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ManifestError(fmt::format("{}: cannot read the file", display_name));
  std::stringstream text;
  text << in.rdbuf();
  YAML::Node root;
  try {
    root = YAML::Load(text.str());
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null()) throw ManifestError(fmt::format("{}: malformed YAML: {}", display_name, e.msg));
    throw ManifestError(fmt::format("{}:{}:{}: malformed YAML: {}", display_name, e.mark.line + 1,
                                    e.mark.column + 1, e.msg));
  }
  return YamlFile(std::move(root), std::move(display_name));
}

void YamlFile::fail(const YAML::Node& at, const std::string& what) const {
  const YAML::Mark mark = at.Mark();
  if (mark.is_null()) fail(what);
  throw ManifestError(fmt::format("{}:{}: {}", display_name_, mark.line + 1, what));
}

void YamlFile::fail(const std::string& what) const {
  throw ManifestError(fmt::format("{}: {}", display_name_, what));
}

std::string describe_kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar: return fmt::format("the value '{}'", node.Scalar());
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a map";
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Undefined: break;
  }
  return "nothing";
}

std::string scalar_string(const YamlFile& file, const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) file.fail(node, fmt::format("{} must be a string, got {}", what, describe_kind(node)));
  return node.Scalar();
}

Fields::Fields(const YamlFile& file, const YAML::Node& node, std::string what,
               std::initializer_list<std::string_view> allowed,
               std::initializer_list<std::string_view> required)
    : file_(file), map_(node), what_(std::move(what)) {
  if (!node.IsMap()) {
    file.fail(node, fmt::format("{} must be a map with the keys {}, got {}", what_, join_keys(allowed),
                                describe_kind(node)));
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string key = scalar_string(file, it->first, fmt::format("a key of {}", what_));
    if (!contains(allowed, key)) {
      file.fail(it->first, fmt::format("unknown key '{}' in {} (allowed keys: {})", key, what_, join_keys(allowed)));
    }
    if (has(key)) file.fail(it->first, fmt::format("key '{}' appears twice in {}", key, what_));
    entries_.emplace_back(key, it->second);
  }
  for (auto key : required) {
    if (!has(key)) file.fail(node, fmt::format("{} is missing the required key '{}'", what_, key));
  }
}

bool Fields::has(std::string_view key) const {
  return std::any_of(entries_.begin(), entries_.end(), [&](const auto& entry) { return entry.first == key; });
}

const YAML::Node& Fields::node(std::string_view key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return value;
  }
  file_.fail(map_, fmt::format("{} is missing the key '{}'", what_, key));
}

std::string Fields::string(std::string_view key) const {
  const YAML::Node& value = node(key);
  return scalar_string(file_, value.IsNull() ? map_ : value, fmt::format("'{}'", key));
}

int Fields::integer(std::string_view key) const {
  const YAML::Node& value = node(key);
  int number = 0;
  if (!value.IsScalar() || !YAML::convert<int>::decode(value, number)) {
    file_.fail(value.IsNull() ? map_ : value,
               fmt::format("'{}' must be an integer, got {}", key, describe_kind(value)));
  }
  return number;
}

std::vector<std::string> Fields::string_list(std::string_view key) const {
  std::vector<std::string> items;
  if (!has(key) || node(key).IsNull()) return items;
  const YAML::Node& value = node(key);
  if (!value.IsSequence()) {
    file_.fail(value, fmt::format("'{}' must be a list of strings, got {}", key, describe_kind(value)));
  }
  for (const auto& item : value) {
    items.push_back(scalar_string(file_, item, fmt::format("each entry of '{}'", key)));
  }
  return items;
}

std::vector<std::pair<YAML::Node, YAML::Node>> Fields::ordered_map(std::string_view key) const {
  std::vector<std::pair<YAML::Node, YAML::Node>> items;
  if (!has(key) || node(key).IsNull()) return items;
  const YAML::Node& value = node(key);
  if (!value.IsMap()) file_.fail(value, fmt::format("'{}' must be a map, got {}", key, describe_kind(value)));
  for (auto it = value.begin(); it != value.end(); ++it) items.emplace_back(it->first, it->second);
  return items;
}

}  // namespace tito
