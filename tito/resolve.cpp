// resolve.cpp — module and milestone names as users type them (see resolve.hpp).
#include "tito/resolve.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "tito/error.hpp"

namespace tito {

namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool all_digits(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// "03_1986_mlp" -> "03"; "1986_mlp" is what follows.
std::string_view prefix_before_underscore(std::string_view name) { return name.substr(0, name.find('_')); }
std::string_view rest_after_underscore(std::string_view name) {
  auto underscore = name.find('_');
  return underscore == std::string_view::npos ? name : name.substr(underscore + 1);
}

// Does `spelled` name the numbered folder `name`? Digits match the number
// ("3") or the folder prefix ("03"); text matches the whole name or the part
// after the number, case-insensitively.
bool names_folder(std::string_view spelled, std::string_view name) {
  const std::string_view prefix = prefix_before_underscore(name);
  if (all_digits(spelled)) {
    return spelled == prefix || (all_digits(prefix) && spelled == std::to_string(std::stoi(std::string(prefix))));
  }
  const std::string wanted = lower(spelled);
  return wanted == lower(name) || wanted == lower(rest_after_underscore(name));
}

template <typename Spec, typename NameOf>
std::string list_names(const std::vector<Spec>& specs, NameOf name_of) {
  std::string out;
  for (const auto& spec : specs) {
    if (!out.empty()) out += ", ";
    out += name_of(spec);
  }
  return out;
}

}  // namespace

const ModuleSpec& resolve_module(const Project& project, std::string_view spelled) {
  for (const auto& module : project.modules) {
    if (names_folder(spelled, module.name)) return module;
  }
  if (project.modules.empty()) {
    throw UsageError(fmt::format("unknown module '{}'; there are no modules under modules/", spelled));
  }
  throw UsageError(fmt::format("unknown module '{}'; modules are: {}", spelled,
                               list_names(project.modules, [](const auto& m) { return m.name; })));
}

std::vector<const ModuleSpec*> resolve_modules(const Project& project, const std::vector<std::string>& spelled) {
  std::vector<const ModuleSpec*> modules;
  for (const auto& name : spelled) {
    const ModuleSpec* module = &resolve_module(project, name);
    if (std::find(modules.begin(), modules.end(), module) == modules.end()) modules.push_back(module);
  }
  std::sort(modules.begin(), modules.end(), [](auto* a, auto* b) { return a->number < b->number; });
  return modules;
}

std::vector<const ModuleSpec*> all_modules(const Project& project) {
  std::vector<const ModuleSpec*> modules;
  for (const auto& module : project.modules) modules.push_back(&module);
  return modules;
}

const MilestoneSpec& resolve_milestone(const Project& project, std::string_view spelled) {
  std::vector<const MilestoneSpec*> matches;
  for (const auto& milestone : project.milestones) {
    if (names_folder(spelled, milestone.id)) matches.push_back(&milestone);
  }
  if (matches.size() == 1) return *matches.front();
  if (matches.size() > 1) {
    std::string ids;
    for (auto* m : matches) ids += (ids.empty() ? "" : ", ") + m->id;
    throw UsageError(fmt::format("milestone '{}' is ambiguous: it could be {}; use the full id", spelled, ids));
  }
  if (project.milestones.empty()) {
    throw UsageError(fmt::format("unknown milestone '{}'; there are no milestones under milestones/", spelled));
  }
  throw UsageError(fmt::format("unknown milestone '{}'; milestones are: {}", spelled,
                               list_names(project.milestones, [](const auto& m) { return m.id; })));
}

}  // namespace tito
