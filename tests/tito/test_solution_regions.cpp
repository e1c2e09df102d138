// test_solution_regions.cpp — solution regions: parsing, naming the enclosing function, stubs,
// the byte-for-byte round trip, and `tito release student` with its verification.
//
// Sources are written with "@BEGIN" / "@END" standing for the marker comments, so that
// this file itself holds no marker line (a student release checks every file for them).
#include <gtest/gtest.h>

#include <string>

#include "fake_project.hpp"
#include "tito/release.hpp"
#include "tito/solution_regions.hpp"
#include "tito/stamp.hpp"

namespace tito::testing {
namespace {

std::string with_markers(std::string text) {
  for (auto [from, to] : {std::pair<std::string, std::string>{"@BEGIN", std::string(kBeginMarker)},
                          std::pair<std::string, std::string>{"@END", std::string(kEndMarker)}}) {
    for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  return text;
}

bool contains(const std::string& text, const std::string& fragment) { return text.find(fragment) != std::string::npos; }

// Expects RegionError with every fragment in its message.
template <typename Run>
void expect_region_error(Run run, std::initializer_list<std::string> fragments) {
  try {
    run();
    ADD_FAILURE() << "expected a RegionError containing '" << *fragments.begin() << "'";
  } catch (const RegionError& e) {
    for (const auto& fragment : fragments) EXPECT_TRUE(contains(e.what(), fragment)) << e.what();
  }
}

// The function around the first region of `source`.
EnclosingFunction around_region(const std::string& source) {
  const std::string text = with_markers(source);
  return find_enclosing_function(text, text.find(std::string(kBeginMarker)));
}

TEST(MarkerKind, AnyIndentationWholeWordsOnly) {
  EXPECT_EQ(marker_kind(with_markers("@BEGIN")), MarkerKind::begin);
  EXPECT_EQ(marker_kind(with_markers("\t    @END\r")), MarkerKind::end);
  EXPECT_EQ(marker_kind(with_markers("  @BEGIN (the loop)")), MarkerKind::begin);
  EXPECT_EQ(marker_kind(with_markers("  @BEGINS")), MarkerKind::none);
  EXPECT_EQ(marker_kind(with_markers("x = 1;  @BEGIN")), MarkerKind::none);  // not a line of its own
  EXPECT_EQ(marker_kind("// you write the parts between BEGIN/END SOLUTION"), MarkerKind::none);
}

TEST(FindSolutionRegions, LinesOffsetsIndentAndText) {
  const std::string text = with_markers("int f() {\n  @BEGIN\n  return 1;\n  @END\n}\nint g() {\n    @BEGIN\n    @END\n}\n");
  const std::vector<SolutionRegion> regions = find_solution_regions(text, "a.cpp");
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].begin_line, 2);
  EXPECT_EQ(regions[0].end_line, 4);
  EXPECT_EQ(regions[0].indent, "  ");
  EXPECT_EQ(regions[0].text, with_markers("  @BEGIN\n  return 1;\n  @END\n"));
  EXPECT_EQ(regions[0].begin_offset, text.find("  // BEGIN"));
  EXPECT_EQ(regions[1].begin_line, 7);
  EXPECT_EQ(regions[1].indent, "    ");
  EXPECT_EQ(text.substr(regions[1].end_offset), "}\n");
}

TEST(FindSolutionRegions, UnbalancedMarkersNameFileAndLine) {
  expect_region_error([] { find_solution_regions(with_markers("a;\n@END\n"), "m/x.cpp"); },
                      {"m/x.cpp:2:", "without a '// BEGIN SOLUTION'"});
  expect_region_error([] { find_solution_regions(with_markers("@BEGIN\na;\n  @BEGIN\n@END\n"), "m/x.cpp"); },
                      {"m/x.cpp:3:", "opened at line 1", "cannot nest"});
  expect_region_error([] { find_solution_regions(with_markers("f() {\n  @BEGIN\n}\n"), "m/x.cpp"); },
                      {"m/x.cpp:2:", "never closed"});
}

TEST(EnclosingFunction, FreeFunctionWithParameters) {
  const EnclosingFunction f =
      around_region("namespace tinytorch {\nInt8Quantized quantize_int8(const Tensor& x, float s = 1.0f) {\n"
                    "  const float half = s / 2;\n  @BEGIN\n  @END\n}\n}\n");
  EXPECT_EQ(f.name, "quantize_int8");
  EXPECT_FALSE(f.in_lambda);
  EXPECT_EQ(f.parameters, (std::vector<std::string>{"x", "s"}));
  EXPECT_EQ(f.locals, (std::vector<std::string>{"x", "s", "half"}));
  EXPECT_TRUE(f.in_tinytorch_namespace);
}

TEST(EnclosingFunction, OutOfLineMemberAndInClassMethod) {
  EXPECT_EQ(around_region("Tensor QuantizedLinear::forward(const Tensor& input) const {\n  @BEGIN\n  @END\n}\n").name,
            "QuantizedLinear::forward");
  const EnclosingFunction in_class = around_region(
      "struct Trainer : public Base<int> {\n public:\n  float train_epoch(DataLoader& loader) override {\n"
      "    @BEGIN\n    @END\n  }\n};\n");
  EXPECT_EQ(in_class.name, "Trainer::train_epoch");
  EXPECT_EQ(in_class.parameters, (std::vector<std::string>{"loader"}));
  EXPECT_FALSE(in_class.in_tinytorch_namespace);
}

TEST(EnclosingFunction, ConstructorWithBracedMemberInitializers) {
  const EnclosingFunction f = around_region(
      "QuantizedLinear::QuantizedLinear(const Tensor& w, std::vector<float> scales)\n"
      "    : weight_{w}, scales_(std::move(scales)), bias_{} {\n  @BEGIN\n  @END\n}\n");
  EXPECT_EQ(f.name, "QuantizedLinear::QuantizedLinear");
  EXPECT_EQ(f.parameters, (std::vector<std::string>{"w", "scales"}));
}

TEST(EnclosingFunction, LambdaReportsItsFunctionAndCapturedLocals) {
  const EnclosingFunction f = around_region(
      "template <typename T>\nvoid quantize_into(const float* x, const Shape& shape, T* q) {\n"
      "  const QuantRange range = params.range();\n"
      "  for_each_run(shape, [&](int64_t channel, int64_t begin, int64_t end) {\n"
      "    const float scale = scales[channel];\n"
      "    for (int64_t i = begin; i < end; ++i) {\n      @BEGIN\n      @END\n    }\n  });\n}\n");
  EXPECT_EQ(f.name, "quantize_into");
  EXPECT_TRUE(f.in_lambda);
  EXPECT_EQ(f.parameters, (std::vector<std::string>{"channel", "begin", "end"}));
  // [&] reaches the function's parameters and locals; the loop variable is in scope too.
  EXPECT_EQ(f.locals, (std::vector<std::string>{"x", "shape", "q", "range", "channel", "begin", "end", "scale", "i"}));
}

TEST(EnclosingFunction, EveryDeclaratorOfADeclarationIsALocal) {
  const EnclosingFunction f = around_region(
      "void f(int k) {\n  const int64_t rows = k * 2, cols = g(k, 3), *first = nullptr;\n"
      "  std::map<int, float> table, &alias = table;\n  int sum = rows < cols, flag;\n"
      "  auto call = h<int, float>(k), last = 0;\n  @BEGIN\n  @END\n}\n");
  EXPECT_EQ(f.locals,
            (std::vector<std::string>{"k", "rows", "cols", "first", "table", "alias", "sum", "flag", "call", "last"}));
}

TEST(EnclosingFunction, LambdaWithoutDefaultCaptureStopsAtItsBody) {
  const EnclosingFunction f = around_region(
      "void run(int n) {\n  int unused = 0;\n  auto body = [n](float v) -> float {\n    @BEGIN\n    @END\n  };\n}\n");
  EXPECT_EQ(f.name, "run");
  EXPECT_EQ(f.locals, (std::vector<std::string>{"v"}));  // n and unused are not reachable by name
}

TEST(EnclosingFunction, BracesInStringsCommentsAndCharsAreSkipped) {
  const EnclosingFunction f = around_region(
      "// a comment with a { brace\n/* and { another\n } */\nconst char* kOpen = \"{{\";\n"
      "const char* kRaw = R\"x(}{ \")x\";\nchar brace = '{';\nint big = 1'000'000;\n"
      "#define OPEN {\n"
      "float mean(const std::vector<float>& values) {\n  const char* s = \"}\";\n  @BEGIN\n  @END\n}\n");
  EXPECT_EQ(f.name, "mean");
  EXPECT_EQ(f.locals, (std::vector<std::string>{"values", "s"}));
}

TEST(EnclosingFunction, OperatorsDestructorsAndNestedBlocks) {
  EXPECT_EQ(around_region("Tensor Tensor::operator+(const Tensor& other) const {\n  @BEGIN\n  @END\n}\n").name,
            "Tensor::operator+");
  EXPECT_EQ(around_region("float Fn::operator()(float x) {\n  @BEGIN\n  @END\n}\n").name, "Fn::operator()");
  EXPECT_EQ(around_region("Pool::~Pool() {\n  if (ok) {\n    @BEGIN\n    @END\n  }\n}\n").name, "Pool::~Pool");
  EXPECT_EQ(around_region("namespace {\nint helper(int a) {\n  switch (a) {\n    case 1: {\n      @BEGIN\n      @END\n"
                          "    }\n  }\n}\n}  // namespace\n")
                .name,
            "helper");
  EXPECT_EQ(around_region("int top = 1;\n@BEGIN\n@END\n").name, "");  // not in a function
}

TEST(MakeStub, HandWrittenExpectation) {
  EnclosingFunction f;
  f.name = "quantize_int8";
  f.in_tinytorch_namespace = true;
  EXPECT_EQ(make_stub("  ", "15_quantization", f, {"x", "spec"}, true),
            "  // TODO(student): implement quantize_int8 — see ABOUT.md\n"
            "  (void)x; (void)spec;\n"
            "  throw NotImplemented(\"15_quantization: quantize_int8\");\n");
  f.in_tinytorch_namespace = false;
  EXPECT_EQ(make_stub("", "01_tensor", f, {}, false),
            "// TODO(student): implement quantize_int8 — see ABOUT.md\n"
            "throw tinytorch::NotImplemented(\"01_tensor: quantize_int8\");");
}

const char* kQuantizeSource =
    "// quantize.cpp\n"
    "#include \"tinytorch/perf/quantize.hpp\"\n"
    "\n"
    "#include <cmath>\n"
    "\n"
    "namespace tinytorch {\n"
    "\n"
    "Int8Quantized quantize_int8(const Tensor& x, int unused_here) {\n"
    "  (void)unused_here;\n"
    "  const float scale = choose_scale(x);\n"
    "  @BEGIN\n"
    "  const QuantizedTensor q = quantize_tensor(x, scale);\n"
    "  return Int8Quantized{q.values, scale, 0};\n"
    "  @END\n"
    "}\n"
    "\n"
    "float half(float v) {\n"
    "    @BEGIN\n"
    "    return v / 2;  // {\n"
    "    @END\n"
    "}\n"
    "\n"
    "}  // namespace tinytorch\n";

TEST(MakeStudentFile, StubsEachRegionAndAddsTheErrorInclude) {
  const StudentFile file = make_student_file(with_markers(kQuantizeSource), "modules/15_q/quantize.cpp", "15_q");
  ASSERT_EQ(file.regions.size(), 2u);
  EXPECT_TRUE(file.added_include);
  EXPECT_EQ(file.regions[0].function, "quantize_int8");
  EXPECT_EQ(file.regions[0].voided, (std::vector<std::string>{"x", "scale"}));  // used in the region only
  EXPECT_EQ(file.regions[1].function, "half");
  EXPECT_EQ(file.student,
            "// quantize.cpp\n"
            "#include \"tinytorch/perf/quantize.hpp\"\n"
            "#include \"tinytorch/core/error.hpp\"\n"
            "\n"
            "#include <cmath>\n"
            "\n"
            "namespace tinytorch {\n"
            "\n"
            "Int8Quantized quantize_int8(const Tensor& x, int unused_here) {\n"
            "  (void)unused_here;\n"
            "  const float scale = choose_scale(x);\n"
            "  // TODO(student): implement quantize_int8 — see ABOUT.md\n"
            "  (void)x; (void)scale;\n"
            "  throw NotImplemented(\"15_q: quantize_int8\");\n"
            "}\n"
            "\n"
            "float half(float v) {\n"
            "    // TODO(student): implement half — see ABOUT.md\n"
            "    (void)v;\n"
            "    throw NotImplemented(\"15_q: half\");\n"
            "}\n"
            "\n"
            "}  // namespace tinytorch\n");
}

TEST(MakeStudentFile, RoundTripIsByteForByte) {
  const std::string original = with_markers(kQuantizeSource);
  const StudentFile file = make_student_file(original, "q.cpp", "15_q");
  EXPECT_EQ(reinsert_regions(file.student, file), original);
  // With the include already there, without a final newline, with CRLF lines.
  std::string crlf = with_markers(
      "#include \"tinytorch/core/error.hpp\"\r\nint f(int a) {\r\n  @BEGIN\r\n  return a;\r\n  @END\r\n}");
  const StudentFile second = make_student_file(crlf, "f.cpp", "01_t");
  EXPECT_FALSE(second.added_include);
  EXPECT_EQ(reinsert_regions(second.student, second), crlf);
  const std::string end_at_eof = with_markers("int g(int b) {\n  @BEGIN\n  return b;\n  @END");
  const StudentFile third = make_student_file(end_at_eof, "g.cpp", "01_t");
  EXPECT_TRUE(third.student.ends_with("throw tinytorch::NotImplemented(\"01_t: g\");"));
  EXPECT_EQ(reinsert_regions(third.student, third), end_at_eof);
}

TEST(MakeStudentFile, SolutionLinesSkipCommentsShortLinesAndSharedLines) {
  const StudentFile file = make_student_file(
      with_markers("float f(const Tensor& x) {\n  const float total = x.sum().item<float>();\n  @BEGIN\n"
                   "  // explain the formula in a long comment line here\n  return 1;\n"
                   "  const float total = x.sum().item<float>();\n"
                   "  return static_cast<float>(x.numel()) * total;\n  @END\n}\n"),
      "f.cpp", "01_t");
  const std::vector<SolutionLine> lines = solution_lines(file);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].text, "return static_cast<float>(x.numel()) * total;");
  EXPECT_EQ(lines[0].line, 7);
  EXPECT_EQ(lines[0].function, "f");
}

TEST(MakeStudentFile, RejectsRegionsThatAreNotWholeStatements) {
  expect_region_error(
      [] { make_student_file(with_markers("void f() {\n  @BEGIN\n  if (x) {\n  @END\n  }\n}\n"), "f.cpp", "01_t"); },
      {"f.cpp:2:", "braces do not balance"});
  expect_region_error(
      [] { make_student_file(with_markers("void f() {\n  int y = \n  @BEGIN\n  3;\n  @END\n}\n"), "f.cpp", "01_t"); },
      {"f.cpp:3:", "starts in the middle of a statement"});
}

// ---- tito release student ------------------------------------------------------------------

const char* kAlphaSolution =
    "#include \"tinytorch/core/alpha.hpp\"\n"
    "namespace tinytorch {\n"
    "int alpha(int seed) {\n"
    "  @BEGIN\n"
    "  const int doubled_seed_value = seed * 2 + 1000;\n"
    "  return doubled_seed_value;\n"
    "  @END\n"
    "}\n"
    "}  // namespace tinytorch\n";

class Release : public ::testing::Test {
 protected:
  void SetUp() override {
    project.add_standard_project();
    project.write("modules/01_alpha/alpha.cpp", with_markers(kAlphaSolution));
    project.write("tinytorch/core/alpha.cpp",
                  export_stamp("//", "modules/01_alpha/alpha.cpp", "01_alpha") + "\nthe solution version\n");
  }
  fs::path dest() const { return output.root() / "student"; }

  FakeProject project;
  FakeProject output;  // a second temporary folder, outside the project
};

TEST_F(Release, WritesStubsRegeneratesTinytorchAndVerifies) {
  const StudentRelease release = write_student_release(project.root(), dest(), false);
  EXPECT_EQ(verify_student_release(release), std::vector<std::string>{});
  const std::string student = output.read("student/modules/01_alpha/alpha.cpp");
  EXPECT_TRUE(contains(student, "  (void)seed;\n  throw NotImplemented(\"01_alpha: alpha\");\n")) << student;
  EXPECT_TRUE(contains(student, "#include \"tinytorch/core/alpha.hpp\"\n#include \"tinytorch/core/error.hpp\"\n"));
  EXPECT_FALSE(contains(student, "doubled_seed_value"));
  const std::string exported = output.read("student/tinytorch/core/alpha.cpp");
  EXPECT_TRUE(exported.starts_with("// GENERATED by 'tito export' from modules/01_alpha/alpha.cpp."));
  EXPECT_TRUE(contains(exported, "throw NotImplemented(\"01_alpha: alpha\")"));
  EXPECT_EQ(output.read("student/.tito/starter/modules/01_alpha/alpha.cpp"), student);
  EXPECT_EQ(output.read("student/modules/02_beta/beta.cpp"), "int beta() { return 2; }\n");  // no regions: as is
  EXPECT_FALSE(output.exists("student/.tito/student.yaml"));  // marked only once verified
  mark_student_release(project.root(), release.dest);
  EXPECT_TRUE(output.exists("student/.tito/student.yaml"));
  EXPECT_FALSE(output.exists("student/.tito/release-in-progress"));
  const auto stubs = stubs_by_module(release.sources);
  ASSERT_EQ(stubs.count("01_alpha"), 1u);
  EXPECT_EQ(stubs.at("01_alpha").regions, 1u);
  EXPECT_EQ(stubs.at("01_alpha").functions, std::vector<std::string>{"alpha"});
  EXPECT_EQ(stubs.count("02_beta"), 0u);
}

TEST_F(Release, VerificationCatchesLeftoverSolutionLinesMarkersAndEdits) {
  // Shown outside the regions elsewhere in modules/, a line is public: never a leak.
  project.write("modules/02_beta/beta.cpp", "int beta(int seed) {\n  return doubled_seed_value;\n}\n");
  const StudentRelease release = write_student_release(project.root(), dest(), false);
  std::vector<std::string> problems = verify_student_release(release);
  EXPECT_EQ(problems, std::vector<std::string>{});
  // A planted leftover: the region's first line written back into the copy, in two places.
  const std::string leftover = "    const int doubled_seed_value = seed * 2 + 1000;\n";
  output.write("student/modules/02_beta/beta.cpp", "int beta(int seed) {\n" + leftover + "}\n");
  output.write("student/tinytorch/core/beta.cpp", "// stamp\nint beta(int seed) {\n" + leftover + "}\n");
  problems = verify_student_release(release);
  const auto mentions = [&](const std::string& fragment) {
    return std::any_of(problems.begin(), problems.end(), [&](const std::string& p) { return contains(p, fragment); });
  };
  const std::string leak = ": solution code remains — the line of modules/01_alpha/alpha.cpp:5 (in alpha): "
                           "const int doubled_seed_value = seed * 2 + 1000;";
  EXPECT_TRUE(mentions("modules/02_beta/beta.cpp:2" + leak));
  EXPECT_TRUE(mentions("tinytorch/core/beta.cpp:3" + leak));
  EXPECT_EQ(problems.size(), 2u);
  // A marker anywhere, and a stub edited so the regions no longer reinsert.
  output.write("student/docs/notes.md", with_markers("text\n  @END\n"));
  output.write("student/modules/01_alpha/alpha.cpp", "int alpha(int seed) { return seed; }\n");
  problems = verify_student_release(release);
  EXPECT_TRUE(mentions("docs/notes.md:2: a solution marker remains"));
  EXPECT_TRUE(mentions("modules/01_alpha/alpha.cpp: the stub of alpha"));
}

TEST_F(Release, RefusesNonEmptyFoldersAndFoldersInsideTheCheckout) {
  output.write("student/keep.txt", "mine\n");
  EXPECT_THROW(write_student_release(project.root(), dest(), false), UsageError);
  EXPECT_THROW(write_student_release(project.root(), dest(), true), UsageError);  // not an earlier release
  EXPECT_EQ(output.read("student/keep.txt"), "mine\n");
  EXPECT_THROW(write_student_release(project.root(), project.root() / "student", false), UsageError);
  EXPECT_THROW(write_student_release(project.root(), project.root().parent_path(), true), UsageError);
  // --force replaces an earlier release.
  output.remove("student/keep.txt");
  write_student_release(project.root(), dest(), false);
  output.write("student/left-over.txt", "x\n");
  EXPECT_THROW(write_student_release(project.root(), dest(), false), UsageError);
  write_student_release(project.root(), dest(), true);
  EXPECT_FALSE(output.exists("student/left-over.txt"));
}

TEST_F(Release, MalformedRegionWritesNothing) {
  project.write("modules/02_beta/beta.cpp", with_markers("int beta() {\n  @BEGIN\n  return 2;\n}\n"));
  expect_region_error([&] { write_student_release(project.root(), dest(), false); },
                      {"modules/02_beta/beta.cpp:2:", "never closed", "nothing was written"});
  EXPECT_FALSE(output.exists("student"));
}

}  // namespace
}  // namespace tito::testing
