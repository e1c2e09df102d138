// scope_timer.cpp — the process-wide table behind TINYTORCH_PROFILE_SCOPE.
//
// One mutex guards one map. A scope label marks a coarse phase (an epoch, a
// forward pass), so a lock per call (tens of ns) is noise next to what it times.
#include "tinytorch/profiling/scope_timer.hpp"

#include "tinytorch/core/error.hpp"  // NotImplemented, in the student version

#include <algorithm>
#include <map>
#include <mutex>

#include <fmt/format.h>

namespace tinytorch {
namespace {

struct ScopeTable {
  std::mutex mutex;
  std::map<std::string, ScopeRecord, std::less<>> records;
};

ScopeTable& scope_table() {
  static ScopeTable table;
  return table;
}

}  // namespace

ScopeTimer::~ScopeTimer() {
  const auto elapsed = std::chrono::steady_clock::now() - begin_;
  record_scope_time(label_, std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
}

void record_scope_time(const char* label, int64_t elapsed_ns) {
  ScopeTable& table = scope_table();
  const std::lock_guard lock(table.mutex);
  auto it = table.records.find(std::string_view(label));
  if (it == table.records.end()) it = table.records.emplace(label, ScopeRecord{label, 0, 0, 0}).first;
  // BEGIN SOLUTION
  ScopeRecord& record = it->second;
  record.calls += 1;
  record.total_ns += elapsed_ns;
  record.max_ns = std::max(record.max_ns, elapsed_ns);
  // END SOLUTION
}

std::vector<ScopeRecord> scope_timer_records() {
  ScopeTable& table = scope_table();
  std::vector<ScopeRecord> records;
  {
    const std::lock_guard lock(table.mutex);
    for (const auto& entry : table.records) records.push_back(entry.second);
  }
  std::stable_sort(records.begin(), records.end(),
                   [](const ScopeRecord& a, const ScopeRecord& b) { return a.total_ns > b.total_ns; });
  return records;
}

void reset_scope_timers() {
  ScopeTable& table = scope_table();
  const std::lock_guard lock(table.mutex);
  table.records.clear();
}

std::string format_scope_timers() {
  const std::vector<ScopeRecord> records = scope_timer_records();
  std::string out = fmt::format("{:<24} {:>9} {:>12} {:>12} {:>12} {:>7}\n", "scope", "calls", "total ms",
                                "mean us", "max us", "share");
  // Shares are of the largest total (usually the outermost scope): nested
  // scopes are inclusive, so percentages of the grand sum would double-count.
  const double largest_ns = records.empty() ? 1.0 : static_cast<double>(std::max<int64_t>(records[0].total_ns, 1));
  for (const ScopeRecord& r : records) {
    out += fmt::format("{:<24} {:>9} {:>12.3f} {:>12.2f} {:>12.2f} {:>6.1f}%\n", r.label, r.calls,
                       static_cast<double>(r.total_ns) * 1e-6,
                       static_cast<double>(r.total_ns) * 1e-3 / static_cast<double>(std::max<int64_t>(r.calls, 1)),
                       static_cast<double>(r.max_ns) * 1e-3, 100.0 * static_cast<double>(r.total_ns) / largest_ns);
  }
  return out;
}

}  // namespace tinytorch
