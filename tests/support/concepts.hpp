// concepts.hpp — what each test suite checks, printed when one of its tests fails.
//
// A failing GoogleTest assertion already prints the values it compared. For a
// student that is half the story: they also need to know which idea the test
// checks and the formula the expected value comes from. Each test file declares,
// once per suite:
//
//   TINYTORCH_CONCEPT(ChooseQParams,
//                     "choosing the scale and zero point of an affine INT8 range",
//                     "scale = (max - min) / (qmax - qmin);  zero_point = qmin - round(min / scale)");
//
// and, where one test checks a formula of its own, may add:
//
//   TINYTORCH_TEST_FORMULA(ChooseQParams, RangeIsWidenedToContainZero,
//                          "[min, max] -> [min(min, 0), max(max, 0)] before the formula");
//
// The shared test main (test_main.cpp) prints, under the first failure of a test:
//
//   [  CONCEPT ] choosing the scale and zero point of an affine INT8 range
//   [  FORMULA ] scale = (max - min) / (qmax - qmin);  zero_point = qmin - round(min / scale)
//   [  CHECKS  ] affine int8 from minus one to three
//
// and the test TestConcepts.EverySuiteNamesItsConcept_<executable> fails when a suite of the
// executable has no TINYTORCH_CONCEPT, so a new suite cannot forget it.
#pragma once

#include <string>

namespace tinytorch::testing {

struct Concept {
  std::string idea;     // what the suite checks, as a phrase
  std::string formula;  // the formula or value the expected results come from
};

// Registers `suite`'s concept; a second registration of the same suite is an error
// reported by TestConcepts.EverySuiteNamesItsConcept_<executable>. Returns true (for static init).
bool register_concept(const char* suite, const char* idea, const char* formula);

// Registers a formula for one test, shown instead of its suite's formula.
bool register_test_formula(const char* suite, const char* test, const char* formula);

}  // namespace tinytorch::testing

#define TINYTORCH_CONCEPT_JOIN2(a, b) a##b
#define TINYTORCH_CONCEPT_JOIN(a, b) TINYTORCH_CONCEPT_JOIN2(a, b)

#define TINYTORCH_CONCEPT(suite, idea, formula)                                                            \
  [[maybe_unused]] static const bool TINYTORCH_CONCEPT_JOIN(tinytorch_concept_##suite##_, __LINE__) =      \
      ::tinytorch::testing::register_concept(#suite, idea, formula)

#define TINYTORCH_TEST_FORMULA(suite, test, formula)                                                       \
  [[maybe_unused]] static const bool TINYTORCH_CONCEPT_JOIN(tinytorch_formula_##suite##_##test##_, __LINE__) = \
      ::tinytorch::testing::register_test_formula(#suite, #test, formula)
