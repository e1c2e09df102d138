// Scope timers with the macro OFF (the default): TINYTORCH_PROFILE_SCOPE compiles
// to nothing and records nothing.
#include "tinytorch/profiling/scope_timer.hpp"

#include <gtest/gtest.h>

#include "concepts.hpp"

namespace tinytorch {
namespace {

TINYTORCH_CONCEPT(ScopeTimerDisabled, "scope timers switched off (the default build)",
                  "without TINYTORCH_ENABLE_SCOPE_TIMERS, TINYTORCH_PROFILE_SCOPE expands to nothing: no record "
                  "is made");

TEST(ScopeTimerDisabled, MacroRecordsNothing) {
#ifdef TINYTORCH_ENABLE_SCOPE_TIMERS
  GTEST_SKIP() << "this file checks the default build, where the scope timers are off";
#endif
  reset_scope_timers();
  {
    TINYTORCH_PROFILE_SCOPE("compiled away");
  }
  EXPECT_TRUE(scope_timer_records().empty());
}

}  // namespace
}  // namespace tinytorch
