// results.cpp — reading and merging tito-results.json (see results.hpp).
#include "tito/results.hpp"

#include <fmt/format.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "tito/file_io.hpp"

namespace tito {

namespace {

using nlohmann::json;

constexpr int kFormatVersion = 1;

std::string verdict_name(Verdict verdict) {
  switch (verdict) {
    case Verdict::passed: return "passed";
    case Verdict::failed: return "failed";
    case Verdict::not_declared: return "not_declared";
    case Verdict::not_run: return "not_run";
  }
  return "failed";
}

Verdict verdict_from(const std::string& name) {
  if (name == "passed") return Verdict::passed;
  if (name == "not_declared") return Verdict::not_declared;
  if (name == "not_run") return Verdict::not_run;
  return Verdict::failed;
}

json phase_to_json(const PhaseResult& phase) {
  return json{{"title", phase.title},           {"label", phase.label},
              {"verdict", verdict_name(phase.verdict)}, {"total", phase.counts.total},
              {"passed", phase.counts.passed},  {"failed", phase.counts.failed},
              {"skipped", phase.counts.skipped}, {"seconds", phase.seconds},
              {"note", phase.note}};
}

PhaseResult phase_from_json(const std::string& suite, const json& j) {
  PhaseResult phase;
  phase.suite = suite;
  phase.title = j.value("title", "");
  phase.label = j.value("label", "");
  phase.verdict = verdict_from(j.value("verdict", "failed"));
  phase.counts.total = j.value("total", 0);
  phase.counts.passed = j.value("passed", 0);
  phase.counts.failed = j.value("failed", 0);
  phase.counts.skipped = j.value("skipped", 0);
  phase.seconds = j.value("seconds", 0.0);
  phase.note = j.value("note", "");
  return phase;
}

json record_to_json(const SuiteRecord& record) {
  json phases = json::array();
  for (const auto& phase : record.phases) phases.push_back(phase_to_json(phase));
  return json{{"timestamp", record.timestamp}, {"passed", record.passed()}, {"phases", phases}};
}

SuiteRecord record_from_json(const std::string& suite, const json& j) {
  SuiteRecord record;
  record.timestamp = j.value("timestamp", "");
  const json phases = j.value("phases", json::array());
  for (const auto& phase : phases) record.phases.push_back(phase_from_json(suite, phase));
  return record;
}

}  // namespace

ResultsBySuite load_results(const std::filesystem::path& file) {
  ResultsBySuite results;
  auto text = read_file(file);
  if (!text) return results;
  try {
    const json root = json::parse(*text);
    const json suites = root.value("suites", json::object());
    for (const auto& [suite, record] : suites.items()) {
      results[suite] = record_from_json(suite, record);
    }
  } catch (const json::exception&) {
    results.clear();  // a damaged results file means "never run", not a crash
  }
  return results;
}

void record_results(const std::filesystem::path& file, const ResultsBySuite& latest) {
  ResultsBySuite merged = load_results(file);
  for (const auto& [suite, record] : latest) merged[suite] = record;
  json suites = json::object();
  for (const auto& [suite, record] : merged) suites[suite] = record_to_json(record);
  const json root{{"format", kFormatVersion}, {"suites", suites}};
  write_file_atomically(file, root.dump(2) + "\n");
}

std::string record_summary(const SuiteRecord& record) {
  int passed = 0;
  int total = 0;
  for (const auto& phase : record.phases) {
    passed += phase.counts.passed;
    total += phase.counts.total;
  }
  return fmt::format("{}/{} {}", passed, total, record.passed() ? "passed" : "FAILED");
}

std::string local_timestamp() {
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &local);
  return text;
}

}  // namespace tito
