// release.cpp — writing and verifying a student release (see release.hpp).
#include "tito/release.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <unordered_map>

#include "tito/commands.hpp"
#include "tito/error.hpp"
#include "tito/export.hpp"
#include "tito/file_io.hpp"
#include "tito/manifest.hpp"
#include "tito/process.hpp"
#include "tito/student_mode.hpp"
#include "tito/sync.hpp"

namespace tito {

namespace {

// Written first, removed when the copy is verified: lets --force replace a failed release.
constexpr const char* kInProgressNote = ".tito/release-in-progress";

// The standard output of a shell line, or nullopt when it fails.
std::optional<std::string> command_output(const Command& command) {
  const std::string line = shell_line(command) + " 2>/dev/null";
  FILE* pipe = ::popen(line.c_str(), "r");
  if (pipe == nullptr) return std::nullopt;
  std::string output;
  char buffer[65536];
  std::size_t got = 0;
  while ((got = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, got);
  if (::pclose(pipe) != 0) return std::nullopt;
  return output;
}

std::optional<std::vector<std::string>> git_files(const fs::path& root) {
  std::error_code ec;
  if (!fs::exists(root / ".git", ec)) return std::nullopt;
  // Tracked files plus untracked ones git would not ignore, so that a file added but not yet
  // committed is released too (a fresh clone has none of those).
  auto output = command_output(
      {{"git", "-C", root.string(), "ls-files", "-z", "--cached", "--others", "--exclude-standard"}, std::nullopt});
  if (!output) return std::nullopt;
  std::vector<std::string> files;
  std::size_t begin = 0;
  while (begin < output->size()) {
    const std::size_t end = output->find('\0', begin);
    const std::string name = output->substr(begin, end == std::string::npos ? std::string::npos : end - begin);
    if (!name.empty() && fs::is_symlink(root / name, ec)) files.push_back(name);
    else if (!name.empty() && fs::is_regular_file(root / name, ec)) files.push_back(name);  // deleted ones skipped
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return files;
}

std::vector<std::string> walked_files(const fs::path& root) {
  std::vector<std::string> files;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); ++it) {
    const fs::path relative = fs::relative(it->path(), root);
    const std::string first = relative.begin()->string();
    if (it->is_directory() && (relative.filename() == ".git" || (it.depth() == 0 && first.starts_with("build")))) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_symlink() || it->is_regular_file()) files.push_back(relative.generic_string());
  }
  return files;
}

std::string module_of(const std::string& relative) {
  const std::size_t slash = relative.find('/', 8);  // after "modules/"
  return relative.substr(8, slash - 8);
}

// "a" is `b` or inside it.
bool is_within(const fs::path& a, const fs::path& b) {
  auto [b_end, a_it] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return b_end == b.end();
}

bool is_empty_directory(const fs::path& dir) {
  std::error_code ec;
  return fs::is_directory(dir, ec) && fs::directory_iterator(dir, ec) == fs::directory_iterator();
}

fs::path checked_destination(const fs::path& root, const fs::path& dest, bool force) {
  const fs::path checkout = fs::canonical(root);
  const fs::path target = fs::weakly_canonical(fs::absolute(dest));
  if (is_within(target, checkout)) {
    throw UsageError(fmt::format("release: {} is inside the checkout {}; a student copy must be written outside it "
                                 "(e.g. /tmp/tinytorch-student)",
                                 target.string(), checkout.string()));
  }
  if (is_within(checkout, target)) {
    throw UsageError(fmt::format("release: {} holds the checkout {}; choose a new folder outside it", target.string(),
                                 checkout.string()));
  }
  std::error_code ec;
  if (fs::exists(target, ec) && !fs::is_directory(target, ec)) {
    throw UsageError(fmt::format("release: {} exists and is not a folder", target.string()));
  }
  if (!fs::exists(target, ec) || is_empty_directory(target)) return target;
  if (!force) {
    throw UsageError(fmt::format("release: {} is not empty; expected a new or empty folder (--force replaces an "
                                 "earlier student release there)",
                                 target.string()));
  }
  if (!fs::exists(target / kStudentMarker, ec) && !fs::exists(target / kInProgressNote, ec)) {
    throw UsageError(fmt::format("release: {} is not empty and is not an earlier student release (it has neither {} "
                                 "nor {}); --force only replaces a student release — choose a new folder",
                                 target.string(), kStudentMarker, kInProgressNote));
  }
  for (const auto& entry : fs::directory_iterator(target)) fs::remove_all(entry.path());
  return target;
}

void copy_one(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (fs::is_symlink(from, ec)) fs::copy_symlink(from, to, ec);
  else fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) throw Error(kExitFailure, fmt::format("release: cannot copy {} to {}: {}", from.string(), to.string(), ec.message()));
}

// Text files only: a NUL byte in the first 8 KiB marks a binary file.
bool looks_binary(const std::string& bytes) {
  return bytes.substr(0, 8192).find('\0') != std::string::npos;
}

template <typename Visit>
void for_each_line(const std::string& text, Visit visit) {
  std::size_t begin = 0;
  int number = 1;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    visit(std::string_view(text).substr(begin, end - begin), number);
    begin = end + 1;
    ++number;
  }
}

int first_differing_line(const std::string& a, const std::string& b) {
  const auto [ia, ib] = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
  return 1 + static_cast<int>(std::count(a.begin(), ia, '\n'));
}

// The trimmed lines of every text file under modules/ that lie outside all solution regions.
std::set<std::string, std::less<>> public_module_lines(const fs::path& root, const std::vector<std::string>& files,
                                                       const std::vector<StudentFile>& sources) {
  std::unordered_map<std::string, const StudentFile*> parsed;
  for (const StudentFile& file : sources) parsed[file.shown] = &file;
  std::set<std::string, std::less<>> lines;
  for (const std::string& relative : files) {
    if (!relative.starts_with("modules/")) continue;
    const auto found = parsed.find(relative);
    std::optional<std::string> text;
    if (found != parsed.end()) text = found->second->student;  // the regions already replaced by stubs
    else text = read_file(root / relative);
    if (!text || looks_binary(*text)) continue;
    for_each_line(*text, [&](std::string_view line, int) { lines.emplace(trim(line)); });
  }
  return lines;
}

}  // namespace

std::vector<std::string> project_files(const fs::path& root) {
  std::vector<std::string> files = git_files(root).value_or(std::vector<std::string>{});
  if (files.empty()) files = walked_files(root);
  // tito's own state (.tito/: progress, backups, starter code) belongs to one copy, never to a release.
  std::erase_if(files, [](const std::string& f) { return f.starts_with(".tito/"); });
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  return files;
}

bool is_stubbed_source(const std::string& relative) {
  if (!relative.starts_with("modules/") || relative.find('/', 8) == std::string::npos) return false;
  return relative.ends_with(".cpp") || relative.ends_with(".hpp");
}

std::vector<StudentFile> student_sources(const fs::path& root, const std::vector<std::string>& files) {
  std::vector<StudentFile> sources;
  std::vector<std::string> errors;
  for (const std::string& relative : files) {
    if (!is_stubbed_source(relative)) continue;
    const std::optional<std::string> text = read_file(root / relative);
    if (!text) throw Error(kExitFailure, fmt::format("release: cannot read {}", relative));
    try {
      sources.push_back(make_student_file(*text, relative, module_of(relative)));
    } catch (const RegionError& e) {
      errors.push_back(e.what());
    }
  }
  if (!errors.empty()) {
    std::string message = fmt::format("release: {} solution region problem(s); nothing was written:", errors.size());
    for (const auto& error : errors) message += "\n  " + error;
    throw RegionError(message);
  }
  return sources;
}

StudentRelease write_student_release(const fs::path& root, const fs::path& dest, bool force) {
  StudentRelease release;
  release.files = project_files(root);
  release.sources = student_sources(root, release.files);  // before touching `dest`: a bad region writes nothing
  release.public_lines = public_module_lines(root, release.files, release.sources);
  release.dest = checked_destination(root, dest, force);
  write_file_atomically(release.dest / kInProgressNote,
                        "tito release student is writing (or failed to verify) this copy\n");
  std::unordered_map<std::string, const StudentFile*> by_path;
  for (const StudentFile& file : release.sources) by_path[file.shown] = &file;
  for (const std::string& relative : release.files) {
    const auto stubbed = by_path.find(relative);
    if (stubbed != by_path.end() && !stubbed->second->regions.empty()) {
      write_file_atomically(release.dest / relative, stubbed->second->student);
    } else {
      copy_one(root / relative, release.dest / relative);
    }
  }
  for (const StudentFile& file : release.sources) {
    write_file_atomically(release.dest / kStarterDir / file.shown, file.student);
  }
  // tinytorch/ from the stubbed sources: exactly what `tito export --all` does.
  const Project project = load_project(release.dest);
  const std::vector<const ModuleSpec*> modules = select_modules(project, {}, true);
  const ExportReport report = apply_export(project, plan_export(project, modules),
                                           stale_paths(find_stale_files(project, {})));
  release.regenerated = report.written.size();
  return release;
}

std::vector<std::string> verify_student_release(const StudentRelease& release) {
  const fs::path& dest = release.dest;
  const std::vector<StudentFile>& sources = release.sources;
  std::vector<std::string> problems;
  struct Origin {
    std::string shown;
    int line;
    std::string function;
  };
  std::unordered_map<std::string, Origin> solution;
  for (const StudentFile& file : sources) {
    for (const SolutionLine& line : solution_lines(file)) {
      if (release.public_lines.count(line.text) != 0) continue;
      solution.emplace(line.text, Origin{file.shown, line.line, line.function});
    }
  }
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dest); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_regular_file() && !it->is_symlink()) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& path : files) {
    const std::string relative = fs::relative(path, dest).generic_string();
    const std::optional<std::string> text = read_file(path);
    if (!text || looks_binary(*text)) continue;
    const bool student_code =
        relative.starts_with("modules/") || relative.starts_with("tinytorch/") || relative.starts_with(".tito/");
    for_each_line(*text, [&](std::string_view line, int number) {
      if (marker_kind(line) != MarkerKind::none) {
        problems.push_back(fmt::format("{}:{}: a solution marker remains: '{}'", relative, number, trim(line)));
        return;
      }
      if (!student_code) return;
      const std::string_view trimmed = trim(line);
      if (trimmed.size() <= kMinSolutionLineLength) return;
      const auto found = solution.find(std::string(trimmed));
      if (found == solution.end()) return;
      problems.push_back(fmt::format("{}:{}: solution code remains — the line of {}:{} (in {}): {}", relative, number,
                                     found->second.shown, found->second.line, found->second.function, trimmed));
    });
  }
  for (const StudentFile& file : sources) {
    if (file.regions.empty()) continue;
    const std::optional<std::string> student = read_file(dest / file.shown);
    if (!student) {
      problems.push_back(fmt::format("{}: missing from the copy", file.shown));
      continue;
    }
    try {
      const std::string restored = reinsert_regions(*student, file);
      if (restored != file.original) {
        problems.push_back(fmt::format("{}:{}: reinserting the {} solution region(s) does not reproduce the original "
                                       "(first difference at this line)",
                                       file.shown, first_differing_line(restored, file.original), file.regions.size()));
      }
    } catch (const RegionError& e) {
      problems.push_back(e.what());
    }
  }
  return problems;
}

void mark_student_release(const fs::path& root, const fs::path& dest) {
  const std::string commit =
      command_output({{"git", "-C", root.string(), "rev-parse", "HEAD"}, std::nullopt}).value_or("unknown\n");
  write_file_atomically(dest / kStudentMarker,
                        fmt::format("# A TinyTorch student copy, written and verified by 'tito release student'.\n"
                                    "# tito module start|reset|complete work here; the starter code is in {}/.\n"
                                    "released_from: {}\n"
                                    "commit: {}",
                                    kStarterDir, root.string(), commit.empty() ? "unknown\n" : commit));
  std::error_code ec;
  fs::remove(dest / kInProgressNote, ec);
}

std::map<std::string, ModuleStubs> stubs_by_module(const std::vector<StudentFile>& sources) {
  std::map<std::string, ModuleStubs> stubs;
  for (const StudentFile& file : sources) {
    if (file.regions.empty()) continue;
    ModuleStubs& module = stubs[file.module];
    ++module.files;
    for (const StubbedRegion& region : file.regions) {
      ++module.regions;
      if (std::find(module.functions.begin(), module.functions.end(), region.function) == module.functions.end()) {
        module.functions.push_back(region.function);
      }
    }
  }
  return stubs;
}

}  // namespace tito
