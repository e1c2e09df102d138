// junit.cpp — counting tests in CTest's JUnit output (see junit.hpp).
#include "tito/junit.hpp"

#include <fmt/format.h>

#include <map>
#include <optional>

#include "tito/error.hpp"
#include "tito/file_io.hpp"

namespace tito {

namespace {

using Attributes = std::map<std::string, std::string>;

// One start tag: its attributes, whether it closes itself ("<x/>"), and where it ends.
struct StartTag {
  Attributes attributes;
  bool self_closing = false;
  size_t end = 0;  // index just past '>'
};

std::string decode_entities(std::string_view text) {
  static const std::pair<std::string_view, char> kEntities[] = {
      {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool replaced = false;
    for (const auto& [entity, character] : kEntities) {
      if (text.substr(i, entity.size()) == entity) {
        out += character;
        i += entity.size();
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Finds "<name" followed by a space, '/' or '>' at or after `from`.
size_t find_tag(std::string_view xml, std::string_view name, size_t from) {
  std::string opener(1, '<');
  opener += name;
  for (size_t at = xml.find(opener, from); at != std::string_view::npos; at = xml.find(opener, at + 1)) {
    const size_t next = at + opener.size();
    if (next < xml.size() && (is_space(xml[next]) || xml[next] == '/' || xml[next] == '>')) return at;
  }
  return std::string_view::npos;
}

// Parses the start tag beginning at `at` ("<name a="1" b='2'>").
std::optional<StartTag> parse_start_tag(std::string_view xml, size_t at) {
  StartTag tag;
  size_t i = xml.find_first_of(" \t\r\n/>", at + 1);
  while (i < xml.size()) {
    while (i < xml.size() && is_space(xml[i])) ++i;
    if (i >= xml.size()) return std::nullopt;
    if (xml[i] == '>') { tag.end = i + 1; return tag; }
    if (xml.substr(i, 2) == "/>") { tag.self_closing = true; tag.end = i + 2; return tag; }
    const size_t equals = xml.find('=', i);
    if (equals == std::string_view::npos || equals + 1 >= xml.size()) return std::nullopt;
    const char quote = xml[equals + 1];
    if (quote != '"' && quote != '\'') return std::nullopt;
    const size_t close = xml.find(quote, equals + 2);
    if (close == std::string_view::npos) return std::nullopt;
    std::string name(xml.substr(i, equals - i));
    while (!name.empty() && is_space(name.back())) name.pop_back();
    tag.attributes[name] = decode_entities(xml.substr(equals + 2, close - equals - 2));
    i = close + 1;
  }
  return std::nullopt;
}

std::string attribute(const Attributes& attributes, const std::string& name) {
  auto it = attributes.find(name);
  return it == attributes.end() ? std::string() : it->second;
}

int attribute_int(const Attributes& attributes, const std::string& name) {
  const std::string text = attribute(attributes, name);
  try {
    return text.empty() ? 0 : std::stoi(text);
  } catch (const std::exception&) {
    throw Error(kExitFailure, fmt::format("JUnit: attribute {}=\"{}\" is not a number", name, text));
  }
}

// status="run" passes unless it holds <failure>/<error>; "fail" fails; a
// "notrun" holding <skipped> (GTEST_SKIP) or "disabled" is skipped; any other
// "notrun" (missing executable, unmet fixture) could not run: failed.
TestOutcome classify(const std::string& status, std::string_view body) {
  const bool has_failure = find_tag(body, "failure", 0) != std::string_view::npos ||
                           find_tag(body, "error", 0) != std::string_view::npos;
  const bool has_skipped = find_tag(body, "skipped", 0) != std::string_view::npos;
  if (status == "fail" || has_failure) return TestOutcome::failed;
  if (status == "disabled" || has_skipped) return TestOutcome::skipped;
  if (status == "run" || status.empty()) return TestOutcome::passed;
  return TestOutcome::failed;
}

}  // namespace

JunitReport parse_junit(std::string_view xml) {
  const size_t suite_at = find_tag(xml, "testsuite", 0);
  auto suite = suite_at == std::string_view::npos ? std::nullopt : parse_start_tag(xml, suite_at);
  if (!suite) throw Error(kExitFailure, "JUnit: no <testsuite> element (is this CTest --output-junit output?)");
  JunitReport report;
  for (size_t at = find_tag(xml, "testcase", suite->end); at != std::string_view::npos;
       at = find_tag(xml, "testcase", at + 1)) {
    auto tag = parse_start_tag(xml, at);
    if (!tag) throw Error(kExitFailure, "JUnit: malformed <testcase> element");
    std::string_view body;
    if (!tag->self_closing) {
      const size_t close = xml.find("</testcase>", tag->end);
      if (close == std::string_view::npos) throw Error(kExitFailure, "JUnit: <testcase> without </testcase>");
      body = xml.substr(tag->end, close - tag->end);
    }
    ++report.counts.total;
    const TestCaseResult test{attribute(tag->attributes, "name"), classify(attribute(tag->attributes, "status"), body)};
    switch (test.outcome) {
      case TestOutcome::passed: ++report.counts.passed; break;
      case TestOutcome::skipped: ++report.counts.skipped; break;
      case TestOutcome::failed:
        ++report.counts.failed;
        report.failed_tests.push_back(test.name);
        break;
    }
    report.cases.push_back(test);
  }
  const int declared = attribute_int(suite->attributes, "tests");
  if (declared != report.counts.total) {
    throw Error(kExitFailure, fmt::format("JUnit: <testsuite tests=\"{}\"> but {} <testcase> elements", declared,
                                          report.counts.total));
  }
  return report;
}

JunitReport read_junit_file(const std::string& path) {
  auto xml = read_file(path);
  if (!xml) throw Error(kExitFailure, fmt::format("CTest wrote no JUnit file at {}", path));
  return parse_junit(*xml);
}

}  // namespace tito
