// test_main.cpp — the main of every module's test executable (instead of gtest_main).
//
// It runs GoogleTest with one extra listener: under the first failure of a test
// it prints the concept the test's suite checks and the formula its expected
// values come from (concepts.hpp), the test's name as a sentence, and — when the
// failure is a starter stub's NotImplemented("NN_name: function") — which function
// is still to be written.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "concepts.hpp"

namespace tinytorch::testing {
namespace {

struct Registry {
  std::map<std::string, Concept> concepts;  // by suite name
  std::map<std::pair<std::string, std::string>, std::string> test_formulas;
  std::vector<std::string> duplicates;  // suites registered twice (reported by the coverage test)
};

Registry& registry() {
  static Registry instance;
  return instance;
}

// "QuantConfig/QuantConfigErrors" (an instantiated TEST_P suite) -> "QuantConfigErrors".
std::string base_suite(const std::string& suite) {
  const auto slash = suite.rfind('/');
  return slash == std::string::npos ? suite : suite.substr(slash + 1);
}

// "Loaded/3" -> "Loaded": the parameter suffix of a TEST_P name is not part of its identity.
std::string base_test(const std::string& test) { return test.substr(0, test.find('/')); }

// "AffineInt8FromMinusOneToThree" -> "affine int8 from minus one to three";
// "QATLinearMatchesConvert" -> "qat linear matches convert". A parameter suffix
// ("Name/Int8PerChannel") is shown in brackets.
std::string as_sentence(const std::string& test) {
  const std::string name = base_test(test);
  std::string words;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool upper = std::isupper(static_cast<unsigned char>(c)) != 0;
    const bool after_lower_or_digit =
        i > 0 && (std::islower(static_cast<unsigned char>(name[i - 1])) != 0 ||
                  std::isdigit(static_cast<unsigned char>(name[i - 1])) != 0);
    const bool acronym_end = i > 0 && i + 1 < name.size() &&
                             std::isupper(static_cast<unsigned char>(name[i - 1])) != 0 &&
                             std::islower(static_cast<unsigned char>(name[i + 1])) != 0;
    if (c == '_') {
      words += ' ';
      continue;
    }
    if (upper && (after_lower_or_digit || acronym_end)) words += ' ';
    words += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (name.size() < test.size()) words += " [" + test.substr(name.size() + 1) + "]";
  return words;
}

// The "NN_name: function" of a starter stub's NotImplemented, when that is what failed.
std::string stub_named_in(const std::string& failure) {
  static const std::regex stub_pattern(R"(description "([0-9][0-9]_[A-Za-z0-9_]+: [^"]+)\" thrown)");
  std::smatch match;
  return std::regex_search(failure, match, stub_pattern) ? match[1].str() : std::string();
}

class ConceptPrinter : public ::testing::EmptyTestEventListener {
 public:
  // The test is remembered here: UnitTest::current_test_info() would take the lock
  // GoogleTest already holds while it reports a part result.
  void OnTestStart(const ::testing::TestInfo& test) override {
    test_ = &test;
    printed_ = false;
  }
  void OnTestEnd(const ::testing::TestInfo&) override { test_ = nullptr; }

  void OnTestPartResult(const ::testing::TestPartResult& result) override {
    if (!result.failed() || printed_) return;
    printed_ = true;
    if (test_ == nullptr) return;  // a failure outside any test (environment set-up)
    const std::string suite = base_suite(test_->test_suite_name());
    const std::string name = test_->name();
    const Registry& known = registry();
    const auto found = known.concepts.find(suite);
    if (found != known.concepts.end()) {
      const auto own = known.test_formulas.find({suite, base_test(name)});
      const std::string& formula = own != known.test_formulas.end() ? own->second : found->second.formula;
      std::printf("[  CONCEPT ] %s\n[  FORMULA ] %s\n", found->second.idea.c_str(), formula.c_str());
    }
    std::printf("[  CHECKS  ] %s\n", as_sentence(name).c_str());
    const std::string stub = stub_named_in(result.message());
    if (!stub.empty()) {
      std::printf("[ NOT YET  ] %s is still the starter stub: write it, then run the tests again\n", stub.c_str());
    }
    std::fflush(stdout);
  }

 private:
  const ::testing::TestInfo* test_ = nullptr;
  bool printed_ = false;
};

}  // namespace

bool register_concept(const char* suite, const char* idea, const char* formula) {
  Registry& known = registry();
  if (!known.concepts.emplace(suite, Concept{idea, formula}).second) known.duplicates.emplace_back(suite);
  return true;
}

bool register_test_formula(const char* suite, const char* test, const char* formula) {
  registry().test_formulas[{suite, test}] = formula;
  return true;
}

}  // namespace tinytorch::testing

namespace {

// Every suite of this executable names its concept, once; every TINYTORCH_TEST_FORMULA
// names a test that exists.
void check_every_suite_names_its_concept() {
  using tinytorch::testing::registry;
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  std::set<std::pair<std::string, std::string>> tests;
  std::set<std::string> missing;
  for (int s = 0; s < unit.total_test_suite_count(); ++s) {
    const ::testing::TestSuite& suite = *unit.GetTestSuite(s);
    const std::string name = tinytorch::testing::base_suite(suite.name());
    if (name == "TestConcepts") continue;
    if (registry().concepts.count(name) == 0) missing.insert(name);
    for (int t = 0; t < suite.total_test_count(); ++t) {
      tests.insert({name, tinytorch::testing::base_test(suite.GetTestInfo(t)->name())});
    }
  }
  for (const std::string& name : missing) {
    ADD_FAILURE() << "test suite " << name << " has no TINYTORCH_CONCEPT(" << name
                  << ", \"what it checks\", \"the formula or value\") in its test file";
  }
  for (const std::string& name : registry().duplicates) {
    ADD_FAILURE() << "test suite " << name << " has two TINYTORCH_CONCEPT declarations; expected one";
  }
  for (const auto& [key, formula] : registry().test_formulas) {
    if (tests.count(key) == 0) {
      ADD_FAILURE() << "TINYTORCH_TEST_FORMULA(" << key.first << ", " << key.second
                    << ", ...) names no test of this executable";
    }
  }
}

class EverySuiteNamesItsConcept : public ::testing::Test {
  void TestBody() override { check_every_suite_names_its_concept(); }
};

// Registered per executable as TestConcepts.EverySuiteNamesItsConcept_<executable>: CTest
// names must be unique across the build, or one module's label (and count) takes in the
// same-named check of every other module.
void register_concept_check(const char* argv0) {
  const std::string path = argv0 != nullptr ? argv0 : "";
  const std::string executable = path.substr(path.find_last_of('/') + 1);
  const std::string name = "EverySuiteNamesItsConcept_" + (executable.empty() ? std::string("tests") : executable);
  ::testing::RegisterTest("TestConcepts", name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                          []() -> ::testing::Test* { return new EverySuiteNamesItsConcept; });
}

// CTest reads only the exit status, so a test that ends the process with exit(0) (a
// student's function calling std::exit) would read as passed, its checks never run.
// exit() runs this before the process ends: before RUN_ALL_TESTS has returned, it is a failure.
bool all_tests_returned = false;

void refuse_early_exit() {
  if (all_tests_returned) return;
  std::fputs("test main: the process called exit() before the tests finished; counted as a failure\n", stderr);
  std::fflush(stderr);
  std::_Exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  register_concept_check(argc > 0 ? argv[0] : nullptr);
  std::atexit(refuse_early_exit);
  ::testing::UnitTest::GetInstance()->listeners().Append(new tinytorch::testing::ConceptPrinter);
  const int status = RUN_ALL_TESTS();
  all_tests_returned = true;
  return status;
}
