// scope_timer.hpp — Module 14: label a block of code and see where the time goes.
//
//   void train_epoch(...) {
//     TINYTORCH_PROFILE_SCOPE("epoch");
//     for (const Batch& batch : loader) {
//       { TINYTORCH_PROFILE_SCOPE("forward");  ... }
//       { TINYTORCH_PROFILE_SCOPE("backward"); ... }
//     }
//   }
//   fmt::print("{}", format_scope_timers());   // label, calls, total ms, mean µs, share
//
// Each TINYTORCH_PROFILE_SCOPE makes a ScopeTimer object: its constructor reads
// the clock, its destructor (at the closing brace — RAII) reads it again and adds
//
//   elapsed = t_end − t_begin      (std::chrono::steady_clock, monotonic)
//
// to the label's running totals in one process-wide table. Scopes may nest; a
// nested scope's time is also inside its parent's (totals are inclusive).
//
// The macro compiles away: unless TINYTORCH_ENABLE_SCOPE_TIMERS is defined
// (-DTINYTORCH_ENABLE_SCOPE_TIMERS, or #define before this include) it expands to
// nothing, so labels can stay in hot code at zero cost. The ScopeTimer class
// itself is always available.
//
// Two scopes in one block need two variable names. `name##__LINE__` would paste
// the literal token "__LINE__" (both variables end up called name__LINE__); the
// argument must be expanded first, by a second macro level — hence
// TINYTORCH_CONCAT(a, b) -> TINYTORCH_CONCAT_INNER(a, b) -> a##b. __COUNTER__
// (unique per use, even on one line) supplies the number.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#define TINYTORCH_CONCAT_INNER(a, b) a##b
#define TINYTORCH_CONCAT(a, b) TINYTORCH_CONCAT_INNER(a, b)

#ifdef TINYTORCH_ENABLE_SCOPE_TIMERS
#define TINYTORCH_PROFILE_SCOPE(label) \
  const ::tinytorch::ScopeTimer TINYTORCH_CONCAT(tinytorch_scope_timer_, __COUNTER__)(label)
#else
#define TINYTORCH_PROFILE_SCOPE(label) static_cast<void>(0)
#endif

namespace tinytorch {

// Times its own lifetime and adds it to the totals of `label`.
class ScopeTimer {
 public:
  explicit ScopeTimer(const char* label) : label_(label), begin_(std::chrono::steady_clock::now()) {}
  ~ScopeTimer();
  ScopeTimer(const ScopeTimer&) = delete;
  ScopeTimer& operator=(const ScopeTimer&) = delete;

 private:
  const char* label_;
  std::chrono::steady_clock::time_point begin_;
};

// The totals of one label since the last reset.
struct ScopeRecord {
  std::string label;
  int64_t calls = 0;
  int64_t total_ns = 0;
  int64_t max_ns = 0;  // the slowest single call
};

// Adds one call of `elapsed_ns` to `label` (what ~ScopeTimer does; thread-safe).
void record_scope_time(const char* label, int64_t elapsed_ns);
// Every label seen since the last reset, most total time first.
std::vector<ScopeRecord> scope_timer_records();
void reset_scope_timers();
// A table: label, calls, total ms, mean µs, max µs, share of the largest total.
std::string format_scope_timers();

}  // namespace tinytorch
