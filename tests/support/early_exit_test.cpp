// early_exit_test.cpp — the test main's own check: a test that ends the process with
// exit(0) (say, a student's function calling std::exit) must not read as a pass.
// CTest passes this program only when the test main reports the early exit
// (CMakeLists.txt: PASS_REGULAR_EXPRESSION); without that guard it would exit 0 silently.
#include <gtest/gtest.h>

#include <cstdlib>

#include "concepts.hpp"

TINYTORCH_CONCEPT(EarlyExit, "a test that calls exit() is a failure, not a pass",
                  "exit status 1 and a message when exit() runs before every test has returned");

TEST(EarlyExit, ExitZeroInsideATest) { std::exit(0); }
