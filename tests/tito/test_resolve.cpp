// test_resolve.cpp — module and milestone names in every spelling tito accepts.
#include <gtest/gtest.h>

#include <functional>

#include "fake_project.hpp"
#include "tito/commands.hpp"
#include "tito/error.hpp"
#include "tito/resolve.hpp"

namespace tito {
namespace {

class Resolve : public ::testing::Test {
 protected:
  void SetUp() override {
    fake.add_standard_project();
    project = fake.load();
  }
  std::string module_named(const std::string& spelled) { return resolve_module(project, spelled).name; }
  std::string milestone_named(const std::string& spelled) { return resolve_milestone(project, spelled).id; }

  testing::FakeProject fake;
  Project project;
};

std::string usage_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

TEST_F(Resolve, ModuleByNumber) {
  EXPECT_EQ(module_named("1"), "01_alpha");
  EXPECT_EQ(module_named("2"), "02_beta");
}

TEST_F(Resolve, ModuleByZeroPaddedNumber) { EXPECT_EQ(module_named("01"), "01_alpha"); }

TEST_F(Resolve, ModuleByFullName) { EXPECT_EQ(module_named("02_beta"), "02_beta"); }

TEST_F(Resolve, ModuleByNameWithoutNumber) { EXPECT_EQ(module_named("alpha"), "01_alpha"); }

TEST_F(Resolve, ModuleNamesAreCaseInsensitive) {
  EXPECT_EQ(module_named("ALPHA"), "01_alpha");
  EXPECT_EQ(module_named("02_Beta"), "02_beta");
}

TEST_F(Resolve, OverPaddedNumberIsNotAModule) {
  EXPECT_THROW(resolve_module(project, "001"), UsageError);
  EXPECT_THROW(resolve_module(project, "015"), UsageError);
}

TEST_F(Resolve, UnknownModuleErrorListsAllModules) {
  EXPECT_EQ(usage_error_of([&] { resolve_module(project, "foo"); }),
            "unknown module 'foo'; modules are: 01_alpha, 02_beta");
  EXPECT_EQ(usage_error_of([&] { resolve_module(project, "7"); }),
            "unknown module '7'; modules are: 01_alpha, 02_beta");
}

TEST_F(Resolve, SeveralModulesComeBackInNumberOrderWithoutDuplicates) {
  const auto modules = resolve_modules(project, {"beta", "1", "01_alpha"});
  ASSERT_EQ(modules.size(), 2u);
  EXPECT_EQ(modules[0]->name, "01_alpha");
  EXPECT_EQ(modules[1]->name, "02_beta");
}

TEST_F(Resolve, MilestoneEverySpelling) {
  for (const char* spelled : {"3", "03", "03_demo", "demo", "DEMO"}) {
    EXPECT_EQ(milestone_named(spelled), "03_demo") << "spelled as '" << spelled << "'";
  }
}

TEST_F(Resolve, UnknownMilestoneErrorListsAllMilestones) {
  EXPECT_EQ(usage_error_of([&] { resolve_milestone(project, "9"); }),
            "unknown milestone '9'; milestones are: 03_demo");
}

TEST_F(Resolve, SelectModulesNeedsNamesOrAllButNotBoth) {
  EXPECT_EQ(select_modules(project, {}, true).size(), 2u);
  EXPECT_EQ(select_modules(project, {"beta"}, false).size(), 1u);
  EXPECT_THROW(select_modules(project, {}, false), UsageError);
  EXPECT_THROW(select_modules(project, {"beta"}, true), UsageError);
}

}  // namespace
}  // namespace tito
