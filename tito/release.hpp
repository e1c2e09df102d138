// release.hpp — `tito release student DIR`: the starter-code copy of the project a student receives.
//
// The copy holds every file of the checkout (git's tracked and untracked-but-not-ignored
// files; without git, the tree minus build*/ and .git/). In it every solution region of
// modules/**/*.{cpp,hpp} is replaced by its stub (solution_regions.hpp), tinytorch/ is
// regenerated from those stubs by the same code `tito export --all` runs, the starter
// code of each module is kept in .tito/starter/ (what `tito module reset` restores), and
// .tito/student.yaml marks the copy as a student copy (student_mode.hpp).
//
// Nothing is reported as released until verify_student_release() finds no problem:
//   1. no `// BEGIN SOLUTION` / `// END SOLUTION` line in any file of the copy;
//   2. no solution line (solution_lines()) in any file under modules/, tinytorch/ or .tito/ —
//      except lines the original modules/ also holds outside every region (a loop header such
//      as "for (int64_t i = 0; i < n; ++i) {" in another file, a snippet in an ABOUT.md):
//      the starter code shows those anyway;
//   3. reinserting the regions into the copy's module sources gives the originals byte for byte.
#pragma once

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tito/solution_regions.hpp"

namespace tito {

namespace fs = std::filesystem;

// The files of the checkout at `root`, relative, sorted ("modules/01_tensor/tensor.cpp").
std::vector<std::string> project_files(const fs::path& root);

// True for the module sources whose regions are stubbed: modules/<NN_name>/**/*.{cpp,hpp}.
bool is_stubbed_source(const std::string& relative);

// The student version of every module source among `files` (those with regions and without).
// Reads from `root`; RegionError listing every malformed region of every file.
std::vector<StudentFile> student_sources(const fs::path& root, const std::vector<std::string>& files);

struct StudentRelease {
  fs::path dest;
  std::vector<std::string> files;    // relative paths copied
  std::vector<StudentFile> sources;  // every module source, as in the original checkout
  std::set<std::string, std::less<>> public_lines;  // trimmed lines of modules/ outside every region
  std::size_t regenerated = 0;       // tinytorch/ files rewritten from the stubs
};

// Writes the copy into `dest` and regenerates its tinytorch/. UsageError when `dest` is
// inside the checkout (or holds it), or is not empty — with `force`, a non-empty `dest`
// must be an earlier (possibly failed) student release, whose contents are replaced.
// The copy is not marked as a student copy: mark_student_release() does that once verified.
StudentRelease write_student_release(const fs::path& root, const fs::path& dest, bool force);

// What is wrong with the copy in `dest` (see the top of this file); empty when nothing.
std::vector<std::string> verify_student_release(const StudentRelease& release);

// Writes .tito/student.yaml (and removes the in-progress note) in a verified copy.
void mark_student_release(const fs::path& root, const fs::path& dest);

// Regions and distinct functions stubbed per module ("15_quantization" -> ...).
struct ModuleStubs {
  std::size_t files = 0;
  std::size_t regions = 0;
  std::vector<std::string> functions;  // distinct, in file order
};
std::map<std::string, ModuleStubs> stubs_by_module(const std::vector<StudentFile>& sources);

}  // namespace tito
