// expect_error.hpp — module 15 tests: "this call throws E, and its message names these things".
//
//   expect_error<ShapeError>([&] { layer.forward(x); }, {"Int4Linear::forward", "(3, 5)", "784"});
//
// Every user-facing error must name the operation, the offending shapes or values and
// what was expected; a test checks those fragments, not only the exception's type.
#pragma once
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace tinytorch::testing {

template <typename E, typename F>
void expect_error(F&& call, std::initializer_list<const char*> fragments) {
  try {
    call();
    ADD_FAILURE() << "expected an exception";
  } catch (const E& error) {
    const std::string message = error.what();
    for (const char* fragment : fragments) EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }
}

}  // namespace tinytorch::testing
