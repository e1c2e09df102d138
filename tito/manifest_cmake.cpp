// manifest_cmake.cpp — tinytorch/manifest.cmake from module.yaml + milestone.yaml (see manifest_cmake.hpp).
#include "tito/manifest_cmake.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "tito/stamp.hpp"

namespace tito {

namespace {

bool is_bare_cmake_char(unsigned char c) {
  return std::isalnum(c) || c == '_' || c == '.' || c == '/' || c == '-' || c == '+' || c == '=' || c == ':' ||
         c == ',' || c == '%' || c == '@';
}

// "  KEYWORD a b c" or nothing when the list is empty.
void append_keyword_line(std::vector<std::string>& lines, const std::string& keyword,
                         const std::vector<std::string>& values) {
  if (values.empty()) return;
  std::string line(2, ' ');
  line += keyword;
  for (const auto& value : values) {
    line += ' ';
    line += cmake_argument(value);
  }
  lines.push_back(std::move(line));
}

// "name(head\n  line\n  line)\n"
std::string render_call(const std::string& function, const std::string& head, const std::vector<std::string>& lines) {
  std::string out = function + "(" + head;
  for (const auto& line : lines) out += "\n" + line;
  return out + ")\n";
}

std::string render_module(const ModuleSpec& module) {
  std::vector<std::string> library_sources;
  std::vector<std::string> isa_sources;
  for (const auto& spec : module.exports) {
    if (!spec.is_library_source()) continue;
    if (spec.isa.empty()) {
      library_sources.push_back(spec.target);
    } else {
      isa_sources.push_back(spec.target + "=" + spec.isa);
    }
  }
  std::vector<std::string> lines;
  append_keyword_line(lines, "LIBRARY_SOURCES", library_sources);
  append_keyword_line(lines, "ISA_SOURCES", isa_sources);
  if (module.checks) append_keyword_line(lines, "CHECKS", {*module.checks});
  append_keyword_line(lines, "TESTS", module.tests);
  return render_call("tinytorch_module", module.name, lines);
}

std::string render_milestone(const MilestoneSpec& milestone) {
  std::vector<std::string> lines;
  append_keyword_line(lines, "SOURCES", milestone.sources);
  append_keyword_line(lines, "CHECK_ARGS", milestone.check_args);
  return render_call("tinytorch_milestone", milestone.id, lines);
}

}  // namespace

std::string cmake_argument(const std::string& text) {
  if (!text.empty() && std::all_of(text.begin(), text.end(), [](unsigned char c) { return is_bare_cmake_char(c); })) {
    return text;
  }
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '\\' || c == '"' || c == '$') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string render_manifest_cmake(const Project& project) {
  std::string out = manifest_stamp() + "\n";
  for (const auto& module : project.modules) out += render_module(module);
  for (const auto& milestone : project.milestones) out += render_milestone(milestone);
  return out;
}

}  // namespace tito
