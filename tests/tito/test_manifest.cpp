// test_manifest.cpp — reading module.yaml / milestone.yaml: what loads, and
// that every broken manifest gives a ManifestError naming the file, the line
// and what was expected (never a crash, never a yaml-cpp exception).
#include <gtest/gtest.h>

#include "fake_project.hpp"
#include "tito/error.hpp"
#include "tito/manifest.hpp"

namespace tito {
namespace {

using testing::expect_manifest_error;

class Manifest : public ::testing::Test {
 protected:
  void SetUp() override { fake.add_standard_project(); }
  // Replaces one line of 01_alpha's module.yaml.
  void edit_alpha_yaml(const std::string& from, const std::string& to) {
    std::string yaml = testing::kAlphaYaml;
    const auto at = yaml.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    yaml.replace(at, from.size(), to);
    fake.write("modules/01_alpha/module.yaml", yaml);
  }
  void expect_error(std::initializer_list<std::string> fragments) {
    expect_manifest_error([&] { fake.load(); }, fragments);
  }

  testing::FakeProject fake;
};

TEST_F(Manifest, LoadsModulesInNumberOrderWithAllFields) {
  const Project project = fake.load();
  ASSERT_EQ(project.modules.size(), 2u);
  const ModuleSpec& alpha = project.modules[0];
  EXPECT_EQ(alpha.name, "01_alpha");
  EXPECT_EQ(alpha.number, 1);
  EXPECT_EQ(alpha.title, "Alpha");
  EXPECT_EQ(alpha.summary, "The first fake module.");
  EXPECT_EQ(alpha.checks, "checks.cpp");
  EXPECT_EQ(alpha.tests, std::vector<std::string>{"test_alpha.cpp"});
  EXPECT_EQ(alpha.short_name(), "alpha");
  EXPECT_EQ(project.modules[1].prerequisites, std::vector<std::string>{"01_alpha"});
}

TEST_F(Manifest, ExportsKeepYamlOrderAndIsaTags) {
  const Project project = fake.load();
  const ModuleSpec& beta = project.modules[1];
  ASSERT_EQ(beta.exports.size(), 3u);
  EXPECT_EQ(beta.exports[0].source, "beta.cpp");
  EXPECT_EQ(beta.exports[0].target, "core/beta.cpp");
  EXPECT_EQ(beta.exports[0].isa, "");
  EXPECT_EQ(beta.exports[1].target, "perf/gemm_avx512vnni.cpp");
  EXPECT_EQ(beta.exports[1].isa, "avx512vnni");
  EXPECT_EQ(beta.exports[2].target, "cmake/beta.cmake");
  EXPECT_FALSE(beta.exports[2].is_library_source());
}

TEST_F(Manifest, MilestonePrerequisitesAreDerivedFromModules) {
  const Project project = fake.load();
  ASSERT_EQ(project.milestones.size(), 1u);
  const MilestoneSpec& demo = project.milestones[0];
  EXPECT_EQ(demo.prerequisites, (std::vector<std::string>{"01_alpha", "02_beta"}));
  EXPECT_EQ(demo.check_args, (std::vector<std::string>{"--quick", "--json", "check.json"}));
  EXPECT_EQ(demo.run_args, (std::vector<std::string>{"--epochs", "1"}));
}

TEST_F(Manifest, NoModulesIsAnEmptyProject) {
  testing::FakeProject empty;
  EXPECT_TRUE(empty.load().modules.empty());
}

TEST_F(Manifest, CorruptYamlNamesFileAndLine) {
  fake.write("modules/01_alpha/module.yaml", "name: 01_alpha\nexports: [unclosed\n");
  expect_error({"modules/01_alpha/module.yaml:", "malformed YAML"});
}

TEST_F(Manifest, EmptyFileIsNotAMap) {
  fake.write("modules/01_alpha/module.yaml", "");
  expect_error({"modules/01_alpha/module.yaml", "module.yaml must be a map with the keys name, number"});
}

TEST_F(Manifest, UnknownKeyNamesKeyLineAndAllowedKeys) {
  edit_alpha_yaml("title: Alpha\n", "title: Alpha\ncolour: red\n");
  expect_error({"modules/01_alpha/module.yaml:4: unknown key 'colour'", "allowed keys: name, number, title"});
}

TEST_F(Manifest, MissingRequiredKey) {
  edit_alpha_yaml("title: Alpha\n", "");
  expect_error({"modules/01_alpha/module.yaml", "missing the required key 'title'"});
}

TEST_F(Manifest, DuplicateKey) {
  edit_alpha_yaml("title: Alpha\n", "title: Alpha\ntitle: Again\n");
  expect_error({"modules/01_alpha/module.yaml:4: key 'title' appears twice"});
}

TEST_F(Manifest, WrongTypeForList) {
  edit_alpha_yaml("tests: [test_alpha.cpp]", "tests: {a: b}");
  expect_error({"modules/01_alpha/module.yaml:10: 'tests' must be a list of strings, got a map"});
}

TEST_F(Manifest, WrongTypeForNumber) {
  edit_alpha_yaml("number: 1", "number: one");
  expect_error({"modules/01_alpha/module.yaml:2: 'number' must be an integer, got the value 'one'"});
}

TEST_F(Manifest, NumberMustMatchFolderPrefix) {
  edit_alpha_yaml("number: 1", "number: 4");
  expect_error({"module.yaml:2: number 4 does not match the folder prefix '01'"});
}

TEST_F(Manifest, NameMustEqualFolder) {
  edit_alpha_yaml("name: 01_alpha", "name: 01_other");
  expect_error({"modules/01_alpha/module.yaml:1: name '01_other' must equal the folder name '01_alpha'"});
}

TEST_F(Manifest, MissingExportSource) {
  edit_alpha_yaml("  alpha.cpp: core/alpha.cpp\n", "  alpha.cpp: core/alpha.cpp\n  ghost.cpp: core/ghost.cpp\n");
  expect_error({"modules/01_alpha/module.yaml:9: export source 'modules/01_alpha/ghost.cpp' does not exist"});
}

TEST_F(Manifest, MissingTestFile) {
  fake.remove("tests/01_alpha/test_alpha.cpp");
  expect_error({"modules/01_alpha/module.yaml", "'tests' entry 'tests/01_alpha/test_alpha.cpp' does not exist"});
}

TEST_F(Manifest, MissingChecksFile) {
  fake.remove("modules/01_alpha/checks.cpp");
  expect_error({"'checks' entry 'modules/01_alpha/checks.cpp' does not exist"});
}

TEST_F(Manifest, ExportTargetMustStayUnderTinytorch) {
  edit_alpha_yaml("alpha.cpp: core/alpha.cpp", "alpha.cpp: ../evil.cpp");
  expect_error({"module.yaml:8: export target '../evil.cpp' must be a relative path"});
}

TEST_F(Manifest, ExportValueOfWrongType) {
  edit_alpha_yaml("alpha.cpp: core/alpha.cpp", "alpha.cpp: [core/alpha.cpp]");
  expect_error({"module.yaml:8: export 'alpha.cpp' must map to a path under tinytorch/", "got a list"});
}

TEST_F(Manifest, IsaOnlyForCppFiles) {
  edit_alpha_yaml("alpha.hpp: core/alpha.hpp", "alpha.hpp: {to: core/alpha.hpp, isa: avx2}");
  expect_error({"'isa' applies to .cpp files only"});
}

TEST_F(Manifest, UnknownKeyInsideExportMap) {
  edit_alpha_yaml("alpha.cpp: core/alpha.cpp", "alpha.cpp: {to: core/alpha.cpp, arch: x86}");
  expect_error({"unknown key 'arch' in export 'alpha.cpp' (allowed keys: to, isa)"});
}

TEST_F(Manifest, UnstampableExtension) {
  fake.write("modules/01_alpha/notes.md", "# notes\n");
  edit_alpha_yaml("  alpha.cpp: core/alpha.cpp\n", "  alpha.cpp: core/alpha.cpp\n  notes.md: docs/notes.md\n");
  expect_error({"export target 'docs/notes.md' has an extension tito cannot stamp"});
}

TEST_F(Manifest, TwoModulesExportingTheSameFile) {
  edit_alpha_yaml("alpha.cpp: core/alpha.cpp", "alpha.cpp: core/beta.cpp");
  expect_error({"modules/01_alpha/module.yaml and modules/02_beta/module.yaml both export tinytorch/core/beta.cpp"});
}

TEST_F(Manifest, UnknownPrerequisite) {
  edit_alpha_yaml("prerequisites: []", "prerequisites: [00_nothing]");
  expect_error({"modules/01_alpha/module.yaml: prerequisite '00_nothing' is not a module"});
}

TEST_F(Manifest, PrerequisiteCycle) {
  edit_alpha_yaml("prerequisites: []", "prerequisites: [02_beta]");
  expect_error({"prerequisites form a cycle: 01_alpha -> 02_beta -> 01_alpha"});
}

TEST_F(Manifest, LaterModuleMayBeAPrerequisite) {
  // Numbers give the teaching order; tito only rejects what cannot be built: cycles.
  std::string yaml = testing::kBetaYaml;
  yaml.replace(yaml.find("prerequisites: [01_alpha]"), 25, "prerequisites: []");
  fake.write("modules/02_beta/module.yaml", yaml);
  edit_alpha_yaml("prerequisites: []", "prerequisites: [02_beta]");
  EXPECT_EQ(fake.load().modules[0].prerequisites, std::vector<std::string>{"02_beta"});
}

TEST_F(Manifest, UnknownMilestone) {
  edit_alpha_yaml("milestones: [03_demo]", "milestones: [09_nope]");
  expect_error({"modules/01_alpha/module.yaml: milestone '09_nope' does not exist"});
}

TEST_F(Manifest, ModuleFolderWithoutYaml) {
  fake.write("modules/04_gamma/gamma.cpp", "\n");
  expect_error({"modules/04_gamma/module.yaml: missing"});
}

TEST_F(Manifest, BadlyNamedModuleFolder) {
  fake.write("modules/gamma/module.yaml", "\n");
  expect_error({"modules/gamma: a module folder is named NN_name"});
}

TEST_F(Manifest, MilestoneNeedsCheckArgs) {
  fake.write("milestones/03_demo/milestone.yaml", "id: 03_demo\ntitle: Demo\nsources: [main.cpp]\n");
  expect_error({"milestones/03_demo/milestone.yaml", "missing the required key 'check_args'"});
}

TEST_F(Manifest, MilestoneIdMustEqualFolder) {
  fake.write("milestones/03_demo/milestone.yaml",
             "id: 03_other\ntitle: Demo\nsources: [main.cpp]\ncheck_args: [--quick]\n");
  expect_error({"milestones/03_demo/milestone.yaml:1: id '03_other' must equal the folder name '03_demo'"});
}

TEST_F(Manifest, MilestoneSourceMustExist) {
  fake.remove("milestones/03_demo/main.cpp");
  expect_error({"milestones/03_demo/milestone.yaml", "'sources' entry 'milestones/03_demo/main.cpp' does not exist"});
}

}  // namespace
}  // namespace tito
