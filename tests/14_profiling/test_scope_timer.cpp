// Scope timers (scope_timer.hpp) with the macro switched ON in this file.
#define TINYTORCH_ENABLE_SCOPE_TIMERS
#include "tinytorch/profiling/scope_timer.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <thread>

#include "concepts.hpp"

namespace tinytorch {
namespace {

// The record of `label`, by value (records are snapshots: never keep pointers into one).
std::optional<ScopeRecord> find_record(const std::vector<ScopeRecord>& records, const std::string& label) {
  for (const ScopeRecord& r : records)
    if (r.label == label) return r;
  return std::nullopt;
}

TINYTORCH_CONCEPT(ScopeTimer, "timing labelled scopes (TINYTORCH_PROFILE_SCOPE switched on)",
                  "each scope adds elapsed = t_end - t_begin (steady_clock) to its label: calls += 1, "
                  "total += elapsed, max = max(max, elapsed); records sorted by total, largest first");

TINYTORCH_TEST_FORMULA(ScopeTimer, EachScopeAddsOneCallToItsLabel,
                       "a scope entered 3 times: calls = 3, total >= max");
TEST(ScopeTimer, EachScopeAddsOneCallToItsLabel) {
  reset_scope_timers();
  for (int i = 0; i < 3; ++i) {
    TINYTORCH_PROFILE_SCOPE("loop body");
  }
  const std::vector<ScopeRecord> records = scope_timer_records();
  const std::optional<ScopeRecord> body = find_record(records, "loop body");
  ASSERT_TRUE(body.has_value());
  EXPECT_EQ(body->calls, 3);
  EXPECT_GE(body->total_ns, body->max_ns);
}

TINYTORCH_TEST_FORMULA(ScopeTimer, TwoScopesOnOneLineGetTwoVariables,
                       "two TINYTORCH_PROFILE_SCOPE on one line get two variable names "
                       "(__COUNTER__ expanded through a second macro level), so both labels are recorded");
TEST(ScopeTimer, TwoScopesOnOneLineGetTwoVariables) {
  // Would not compile if both expanded to the same name (the x##__LINE__ bug).
  reset_scope_timers();
  {
    TINYTORCH_PROFILE_SCOPE("outer"); TINYTORCH_PROFILE_SCOPE("inner");
  }
  const std::vector<ScopeRecord> records = scope_timer_records();
  EXPECT_TRUE(find_record(records, "outer").has_value());
  EXPECT_TRUE(find_record(records, "inner").has_value());
}

TINYTORCH_TEST_FORMULA(ScopeTimer, ElapsedTimeCoversTheScope,
                       "a scope that sleeps 2 ms: total_ns >= 2000000 (a clock can be late, never early)");
TEST(ScopeTimer, ElapsedTimeCoversTheScope) {
  // The scope sleeps 2 ms; a clock can only be late, never early: total >= 2 ms.
  reset_scope_timers();
  {
    TINYTORCH_PROFILE_SCOPE("sleep");
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const std::optional<ScopeRecord> sleep = find_record(scope_timer_records(), "sleep");
  ASSERT_TRUE(sleep.has_value());
  EXPECT_GE(sleep->total_ns, 2'000'000);
}

TINYTORCH_TEST_FORMULA(ScopeTimer, RecordsAreSortedByTotalAndReset,
                       "small: 10 + 20 = 30 ns over 2 calls, max 20; large: 500 ns comes first; "
                       "reset empties the records");
TEST(ScopeTimer, RecordsAreSortedByTotalAndReset) {
  reset_scope_timers();
  record_scope_time("small", 10);
  record_scope_time("large", 500);
  record_scope_time("small", 20);
  const std::vector<ScopeRecord> records = scope_timer_records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].label, "large");
  EXPECT_EQ(records[1].label, "small");
  EXPECT_EQ(records[1].calls, 2);
  EXPECT_EQ(records[1].total_ns, 30);  // 10 + 20
  EXPECT_EQ(records[1].max_ns, 20);
  EXPECT_NE(format_scope_timers().find("large"), std::string::npos);
  reset_scope_timers();
  EXPECT_TRUE(scope_timer_records().empty());
}

}  // namespace
}  // namespace tinytorch
