// solution_regions.hpp — the teaching regions of a module source, and the student stubs that replace them.
//
// A module source marks the code a student writes with two comment lines (any indentation):
//
//     Int8Quantized quantize_int8(const Tensor& x) {
//       // BEGIN SOLUTION
//       ...the reference implementation...
//       // END SOLUTION
//     }
//
// make_student_file() replaces each region — its marker lines included — by a stub that
// compiles inside the same function:
//
//       // TODO(student): implement quantize_int8 — see ABOUT.md
//       (void)x;
//       throw NotImplemented("15_quantization: quantize_int8");
//
// The function's name comes from scanning the code before the region (brace depth, with
// comments, string and character literals skipped); a region inside a lambda names the
// lambda's enclosing function. `(void)name;` is emitted for each parameter or local
// variable in scope that the region uses, so nothing becomes "unused" (-Werror builds).
// When the file lacks `#include "tinytorch/core/error.hpp"` it is added after the first
// tinytorch include. reinsert_regions() is the exact inverse: it turns the student text
// back into the original bytes.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tito/error.hpp"

namespace tito {

// A malformed region (nested or unbalanced markers, not inside a function, braces that
// do not balance) or a student text that no longer holds a stub. Exit code 1.
class RegionError : public Error {
 public:
  explicit RegionError(const std::string& message) : Error(kExitFailure, message) {}
};

inline constexpr std::string_view kBeginMarker = "// BEGIN SOLUTION";
inline constexpr std::string_view kEndMarker = "// END SOLUTION";
inline constexpr std::string_view kErrorInclude = "#include \"tinytorch/core/error.hpp\"";

enum class MarkerKind { none, begin, end };
// Which marker `line` is: after its indentation it starts with the marker, followed by
// nothing or a space ("// BEGIN SOLUTION", "    // END SOLUTION  (loop body)").
MarkerKind marker_kind(std::string_view line);

// One `// BEGIN SOLUTION` ... `// END SOLUTION` region, as found in the original text.
struct SolutionRegion {
  int begin_line = 0;             // 1-based line of the BEGIN marker
  int end_line = 0;               // 1-based line of the END marker
  std::size_t begin_offset = 0;   // first byte of the BEGIN marker line
  std::size_t end_offset = 0;     // one past the END marker line (its newline included)
  std::string indent;             // the BEGIN marker's indentation
  std::string text;               // the original bytes [begin_offset, end_offset), markers included
};

// The regions of `text` in order. RegionError (naming `shown` and the line) for a BEGIN
// inside a region, an END outside one, or a BEGIN never closed.
std::vector<SolutionRegion> find_solution_regions(std::string_view text, std::string_view shown);

// What encloses a position of a C++ source: the function (or lambda) whose body holds it.
struct EnclosingFunction {
  std::string name;                     // "quantize_int8", "QuantizedLinear::forward"; "" when none
  bool in_lambda = false;               // the innermost function body is a lambda's
  std::vector<std::string> parameters;  // named parameters of the innermost function/lambda
  std::vector<std::string> locals;      // variables in scope there (parameters of enclosing
                                        // functions/lambdas reachable by capture included)
  std::vector<std::string> packs;       // the names above that are parameter packs
  bool in_tinytorch_namespace = false;  // inside namespace tinytorch (so NotImplemented needs no prefix)
};

// Scans `text` up to `offset` (comments, literals and preprocessor lines skipped).
EnclosingFunction find_enclosing_function(std::string_view text, std::size_t offset);

// A region with its stub.
struct StubbedRegion {
  SolutionRegion region;
  std::string function;             // the enclosing function's qualified name
  std::vector<std::string> voided;  // the names given `(void)name;` in the stub
  std::string stub;                 // the lines that replace region.text in the student file
};

// A module source and its student version.
struct StudentFile {
  std::string shown;     // "modules/15_quantization/quantize.cpp" (for messages)
  std::string module;    // "15_quantization"
  std::string original;  // the source as written, solutions included
  std::string student;   // regions replaced by stubs (== original when there are none)
  std::vector<StubbedRegion> regions;
  bool added_include = false;  // kErrorInclude was added to the student text
};

// The stub for a region of `module` inside `function` (see the top of this file).
std::string make_stub(const std::string& indent, const std::string& module, const EnclosingFunction& function,
                      const std::vector<std::string>& voided, bool has_final_newline);

// Parses `original` and builds its student version. RegionError for malformed regions,
// a region outside any function body, or a region whose braces or parentheses do not
// balance (it must hold whole statements).
StudentFile make_student_file(const std::string& original, const std::string& shown, const std::string& module);

// The inverse of make_student_file: puts every original region back in place of its
// stub (found in order, as whole lines) and removes the include that was added.
// RegionError naming the region when its stub is no longer in `student_text`.
std::string reinsert_regions(const std::string& student_text, const StudentFile& file);

// The solution lines of `file` that must not appear in a student copy: each region line
// (between the markers) that, with its indentation trimmed, is longer than
// kMinSolutionLineLength, is not a comment, and does not also appear outside the regions
// of the original file.
inline constexpr std::size_t kMinSolutionLineLength = 25;
struct SolutionLine {
  std::string text;  // trimmed
  int line = 0;      // 1-based line in the original file
  std::string function;
};
std::vector<SolutionLine> solution_lines(const StudentFile& file);

// `line` without leading and trailing white space (and '\r').
std::string_view trim(std::string_view line);

}  // namespace tito
