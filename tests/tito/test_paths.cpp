// test_paths.cpp — finding the checkout root and the build directory.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "fake_project.hpp"
#include "tito/error.hpp"
#include "tito/paths.hpp"

namespace tito {
namespace {

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(Paths, RootIsFoundFromANestedFolder) {
  testing::FakeProject fake;
  fs::create_directories(fake.root() / "modules" / "01_alpha" / "deep");
  EXPECT_EQ(find_root_upwards(fake.root() / "modules" / "01_alpha" / "deep"), fs::canonical(fake.root()));
}

TEST(Paths, NoRootAboveAPlainFolder) {
  EXPECT_EQ(find_root_upwards("/"), std::nullopt);
}

TEST(Paths, EnvironmentChoosesRootAndBuildDirectory) {
  testing::FakeProject fake;
  ScopedEnv root("TINYTORCH_ROOT", fake.root().string());
  ScopedEnv build("TINYTORCH_BUILD_DIR", (fake.root() / "out").string());
  const Workspace ws = locate_workspace();
  EXPECT_EQ(ws.root, fake.root());
  EXPECT_EQ(ws.build, fake.root() / "out");
}

TEST(Paths, BuildDirectoryDefaultsToRootBuild) {
  testing::FakeProject fake;
  ScopedEnv root("TINYTORCH_ROOT", fake.root().string());
  ScopedEnv build("TINYTORCH_BUILD_DIR", "");
  EXPECT_EQ(locate_workspace().build, fake.root() / "build");
}

TEST(Paths, RootFromEnvironmentMustBeACheckout) {
  testing::FakeProject fake;
  ScopedEnv root("TINYTORCH_ROOT", (fake.root() / "modules").string());
  EXPECT_THROW(locate_workspace(), UsageError);
}

}  // namespace
}  // namespace tito
