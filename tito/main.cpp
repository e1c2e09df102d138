// main.cpp — tito's command line: CLI11 parsing, then one call into tito_core.
//
// Everything tito does lives in tito_core (commands.hpp); this file only
// declares the subcommands and their help, maps parse errors to exit code 2,
// and prints tito::Error messages to stderr with their exit codes.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "tito/commands.hpp"
#include "tito/error.hpp"
#include "tito/paths.hpp"
#include "tito/term.hpp"

namespace {

constexpr const char* kDescription =
    "tito — build, export and test TinyTorch C++ module by module.\n"
    "\n"
    "Modules are named by number (1, 01), full name (01_tensor) or short name (tensor).\n"
    "The checkout is $TINYTORCH_ROOT or the nearest directory above the working directory\n"
    "holding modules/ and CMakeLists.txt; the build directory is $TINYTORCH_BUILD_DIR or <root>/build.";

constexpr const char* kFooter =
    "\nExamples:\n"
    "  tito export 01_tensor          copy modules/01_tensor/ sources into tinytorch/, rebuild\n"
    "  tito export --all --check      exit 1 if tinytorch/ is out of sync with modules/ (CI)\n"
    "  tito test tensor               inline checks, unit tests, milestone checks of module 01\n"
    "  tito test --all                every module in order, then tito's own tests\n"
    "  tito milestone run 03 --epochs 2\n"
    "  tito module status\n"
    "  tito docs --check              exit 1 if docs/modules/ is out of date (CI)\n"
    "  tito doctor                    check compiler, packages, dataset, CPU features, OpenBLAS core\n"
    "  tito release student DIR       write the student starter code (solutions stubbed, verified)\n"
    "  tito grade DIR... -o grades.csv  points per test and module for student copies\n"
    "\nExit codes: 0 ok, 1 a check, build or test failed, 2 usage or manifest error.";

// The process arguments split at the first "--": what CLI11 parses, and what
// passes through untouched to a milestone program.
struct SplitArguments {
  std::vector<std::string> for_tito;  // argv[0] included
  std::vector<std::string> passthrough;
  bool had_separator = false;
};

SplitArguments split_at_separator(int argc, char** argv) {
  SplitArguments split;
  split.for_tito.assign(argv, argv + argc);
  auto separator = std::find(split.for_tito.begin() + std::min(argc, 1), split.for_tito.end(), "--");
  if (separator != split.for_tito.end()) {
    split.had_separator = true;
    split.passthrough.assign(separator + 1, split.for_tito.end());
    split.for_tito.erase(separator, split.for_tito.end());
  }
  return split;
}

// The parsed options and which subcommand was chosen.
struct Cli {
  tito::ExportOptions export_options;
  tito::TestOptions test_options;
  std::string milestone_id;
  bool milestone_force = false;
  CLI::App* export_cmd = nullptr;
  CLI::App* test_cmd = nullptr;
  CLI::App* milestone_list_cmd = nullptr;
  CLI::App* milestone_run_cmd = nullptr;
  CLI::App* module_status_cmd = nullptr;
  CLI::App* module_start_cmd = nullptr;
  CLI::App* module_reset_cmd = nullptr;
  CLI::App* module_complete_cmd = nullptr;
  std::string module_name;
  bool list_backups = false;
  std::string restore_stamp;
  CLI::App* docs_cmd = nullptr;
  CLI::App* doctor_cmd = nullptr;
  CLI::App* release_student_cmd = nullptr;
  tito::GradeOptions grade_options;
  CLI::App* grade_cmd = nullptr;
  tito::ReleaseOptions release_options;
  bool docs_check = false;
};

void add_export_command(CLI::App& app, Cli& cli) {
  cli.export_cmd = app.add_subcommand("export", "Copy module sources into tinytorch/ and rebuild the library");
  cli.export_cmd->footer(
      "\nEach export source in module.yaml is copied to tinytorch/<target> under one GENERATED stamp line;\n"
      "files already right are not touched. tinytorch/manifest.cmake is regenerated from every module.yaml\n"
      "and milestone.yaml, and stale generated files (stamped, but exported by no module) are removed.\n"
      "Then, unless --no-build, the tinytorch library is rebuilt if the build directory is configured.\n"
      "\nExamples:\n  tito export 01_tensor\n  tito export --all --check   (CI: exit 1 and list every file out of sync)");
  cli.export_cmd->add_option("modules", cli.export_options.names, "modules to export (01_tensor, 1, tensor, ...)");
  cli.export_cmd->add_flag("--all", cli.export_options.all, "export every module");
  cli.export_cmd->add_flag("--check", cli.export_options.check,
                           "write nothing; list every file out of sync and exit 1 if there is any");
  cli.export_cmd->add_flag("--no-build", cli.export_options.no_build, "do not rebuild the library afterwards");
}

void add_test_command(CLI::App& app, Cli& cli) {
  cli.test_cmd = app.add_subcommand("test", "Build and test modules: inline checks, unit tests, milestone checks");
  cli.test_cmd->footer(
      "\nPer module, in number order, through CTest (counts come from CTest's JUnit output):\n"
      "  1. inline checks     label <module>.checks   (if module.yaml declares checks)\n"
      "  2. unit tests        label <module>\n"
      "  3. milestone checks  label milestone.<id>     (each milestone the module lists)\n"
      "A phase that finds zero tests FAILS. Exports first if the module is out of sync; configures the\n"
      "build directory if needed. Results go to <build>/tito-results.json (see 'tito module status').\n"
      "Exit 1 if any phase failed.\n"
      "\nExamples:\n  tito test 01_tensor\n  tito test tensor activations\n  tito test --all");
  cli.test_cmd->add_option("modules", cli.test_options.names, "modules to test (01_tensor, 1, tensor, ...)");
  cli.test_cmd->add_flag("--all", cli.test_options.all, "test every module in order, then tito's self-tests");
}

void add_milestone_commands(CLI::App& app, Cli& cli) {
  CLI::App* milestone = app.add_subcommand("milestone", "List or run the milestone programs (milestones/)");
  milestone->require_subcommand(1);
  cli.milestone_list_cmd =
      milestone->add_subcommand("list", "Table of milestones: title, prerequisite modules, whether built");
  cli.milestone_run_cmd = milestone->add_subcommand("run", "Build and run a milestone program");
  cli.milestone_run_cmd->footer(
      "\nExports the milestone's prerequisite modules if out of sync, builds milestone_<id>, and runs\n"
      "<build>/bin/milestone_<id> from <build>/ (models land in build/models/) with milestone.yaml's\n"
      "run_args followed by the arguments after ID. Exit code: the program's.\n"
      "Arguments that tito would read itself (-h, --help) go after '--'.\n"
      "In a student copy (made by 'tito release student') a milestone is locked until every module it needs\n"
      "has passed 'tito test'; --force (before ID) runs it anyway.\n"
      "\nExamples:\n  tito milestone run 03 --epochs 2\n  tito milestone run 03_1986_mlp -- --help\n"
      "  tito milestone run --force 06");
  cli.milestone_run_cmd->add_flag("--force", cli.milestone_force,
                                  "in a student copy, run the milestone even if the modules it needs have not "
                                  "passed their tests yet (give it before ID)");
  cli.milestone_run_cmd->add_option("id", cli.milestone_id, "milestone: 03, 3, 03_1986_mlp or 1986_mlp")->required();
  cli.milestone_run_cmd->prefix_command();  // everything after ID is the program's
}

void add_module_commands(CLI::App& app, Cli& cli) {
  CLI::App* module = app.add_subcommand("module", "Inspect modules");
  module->require_subcommand(1);
  cli.module_status_cmd =
      module->add_subcommand("status", "Table of modules: exported, in sync, last 'tito test' result");
  const char* student_note = "\nOnly in a student copy (made by 'tito release student DIR').";
  cli.module_start_cmd = module->add_subcommand(
      "start", "Student copy: check a module's prerequisites, list its starter files and functions to write");
  cli.module_start_cmd->footer(student_note);
  cli.module_start_cmd->add_option("module", cli.module_name, "the module (15, 15_quantization, quantization)")
      ->required();
  cli.module_reset_cmd = module->add_subcommand(
      "reset", "Student copy: back up a module's files and restore its starter code (or a backup)");
  cli.module_reset_cmd->footer(std::string("\nBackups go to .tito/backups/NN_name/YYYYMMDD-HHMMSS/.") + student_note);
  cli.module_reset_cmd->add_option("module", cli.module_name, "the module")->required();
  cli.module_reset_cmd->add_flag("--list-backups", cli.list_backups, "list the backups of the module");
  cli.module_reset_cmd->add_option("--restore", cli.restore_stamp, "restore backup STAMP instead of the starter code");
  cli.module_complete_cmd = module->add_subcommand(
      "complete", "Student copy: test a module; when it passes, record it and say what is unlocked");
  cli.module_complete_cmd->footer(student_note);
  cli.module_complete_cmd->add_option("module", cli.module_name, "the module")->required();
}

void add_docs_command(CLI::App& app, Cli& cli) {
  cli.docs_cmd = app.add_subcommand("docs", "Write docs/modules/*.md from module.yaml and ABOUT.md");
  cli.docs_cmd->footer(
      "\nOne page per module (its summary, prerequisites, the lesson's sections linked into ABOUT.md, exported\n"
      "files, tests, milestones) and docs/modules/README.md listing every module and milestone. The pages are\n"
      "generated: edit module.yaml or ABOUT.md, then run 'tito docs'.\n"
      "\nExamples:\n  tito docs\n  tito docs --check   (CI: exit 1 and list every page out of date)");
  cli.docs_cmd->add_flag("--check", cli.docs_check, "write nothing; exit 1 if a page is out of date");
}

void add_doctor_command(CLI::App& app, Cli& cli) {
  cli.doctor_cmd = app.add_subcommand("doctor", "Check this machine: compiler, CMake, packages, dataset, CPU, OpenBLAS");
  cli.doctor_cmd->footer(
      "\nOne line per check — ok, warn or problem — and under each warning or problem the exact fix:\n"
      "the C++ compiler CMake uses (g++ 12+, a C++20 test program), CMake >= 3.25, every Debian package\n"
      "bin/tito installs (dpkg-query), the four Fashion-MNIST files ($TINYTORCH_DATA_DIR or\n"
      "/usr/share/datasets/fashion-mnist), the CPU's AVX2 / AVX-512 / VNNI / BF16 flags and the INT8 kernel\n"
      "path they give ($TINYTORCH_ISA), the OpenBLAS core the library will load ($TINYTORCH_OPENBLAS_CORETYPE,\n"
      "$OPENBLAS_CORETYPE), and the build directory.\n"
      "Exit 1 if any check is a problem; warnings (e.g. a variable forcing a slower core) do not fail.\n"
      "\nExample:\n  bin/tito doctor");
}

void add_release_command(CLI::App& app, Cli& cli) {
  CLI::App* release = app.add_subcommand("release", "Make a release of the project (the student starter code)");
  release->require_subcommand(1);
  cli.release_student_cmd = release->add_subcommand(
      "student", "Write a student copy: every solution region replaced by a stub that throws NotImplemented");
  cli.release_student_cmd->footer(
      "\nCopies the checkout's files (git ls-files, or the tree minus build*/ and .git) into DIR, replaces each\n"
      "'// BEGIN SOLUTION' ... '// END SOLUTION' region of modules/**/*.{cpp,hpp} by a stub that compiles and\n"
      "throws NotImplemented(\"NN_name: function\"), regenerates tinytorch/ from the stubs, keeps the starter\n"
      "code in .tito/starter/, then VERIFIES the copy: no marker left anywhere, no solution line in modules/,\n"
      "tinytorch/ or .tito/, and putting the regions back reproduces every original byte for byte. Only then\n"
      "is the copy marked a student copy (.tito/student.yaml). Exit 1 if a check fails; the checkout is never\n"
      "changed. DIR must be outside the checkout and empty (--force replaces an earlier student release).\n"
      "\nExample:\n  tito release student /tmp/tinytorch-student");
  cli.release_student_cmd->add_option("dir", cli.release_options.dir, "the folder to write (outside the checkout)")
      ->required();
  cli.release_student_cmd->add_flag("--force", cli.release_options.force,
                                    "replace an earlier student release in DIR");
}

void add_grade_command(CLI::App& app, Cli& cli) {
  cli.grade_cmd = app.add_subcommand("grade", "Grade student copies: per-test and per-module points, as CSV");
  cli.grade_cmd->footer(
      "\nFor each STUDENT_DIR, builds this checkout with the student's module sources (modules/NN_name/*.cpp,hpp;\n"
      "everything else — tests, module.yaml, CMake — is this checkout's), runs every module's unit tests and\n"
      "awards the points module.yaml declares ('points: N' for the module, or one number per test file, shared\n"
      "equally by the file's graded tests). Tests that pass on the starter code too, and skipped tests, are not\n"
      "graded. A module that does not compile is graded on its starter code (0 points, the error in the note).\n"
      "The starter code is built once first (cached). The grading build lives in --work (default <build>/grade);\n"
      "logs of every build and test run are kept in its logs/ folder.\n"
      "\nCSV columns: student,kind,module,file,test,status,points,max_points (kind: test, module, total).\n"
      "\nExamples:\n  tito grade /tmp/tinytorch-student --output grades.csv\n"
      "  tito grade submissions/* --output grades.csv --timeout 60");
  cli.grade_cmd->add_option("student_dirs", cli.grade_options.student_dirs, "student copies to grade")->required();
  cli.grade_cmd->add_option("--output,-o", cli.grade_options.output, "the CSV file to write")->required();
  cli.grade_cmd->add_option("--work", cli.grade_options.work_dir, "grading workspace (default <build>/grade)");
  cli.grade_cmd->add_option("--timeout", cli.grade_options.timeout_seconds, "seconds allowed per test (default 120)");
}

// CLI11 reports an unknown first word as "A subcommand is required"; say what it is instead.
void reject_unknown_command(const CLI::App& app, const SplitArguments& arguments) {
  const std::string& first = arguments.for_tito.at(1);
  if (first.starts_with('-')) return;
  std::string commands;
  for (const CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_name() == first) return;
    commands += (commands.empty() ? "" : ", ") + sub->get_name();
  }
  throw tito::UsageError(fmt::format("unknown command '{}'; commands are: {}", first, commands));
}

int run_chosen_command(const Cli& cli, const SplitArguments& arguments) {
  if (arguments.had_separator && !cli.milestone_run_cmd->parsed()) {
    throw tito::UsageError("'--' passes arguments to a milestone program; only 'tito milestone run ID -- ...' takes it");
  }
  const tito::Workspace ws = tito::locate_workspace();
  if (cli.export_cmd->parsed()) return tito::export_command(ws, cli.export_options);
  if (cli.docs_cmd->parsed()) return tito::docs_command(ws, cli.docs_check);
  if (cli.doctor_cmd->parsed()) return tito::doctor_command(ws);
  if (cli.release_student_cmd->parsed()) return tito::release_student_command(ws, cli.release_options);
  if (cli.grade_cmd->parsed()) return tito::grade_command(ws, cli.grade_options);
  if (cli.test_cmd->parsed()) return tito::test_command(ws, cli.test_options);
  if (cli.milestone_list_cmd->parsed()) return tito::milestone_list_command(ws);
  if (cli.module_status_cmd->parsed()) return tito::module_status_command(ws);
  if (cli.module_start_cmd->parsed()) return tito::module_start_command(ws, cli.module_name);
  if (cli.module_reset_cmd->parsed()) {
    return tito::module_reset_command(ws, cli.module_name, cli.list_backups, cli.restore_stamp);
  }
  if (cli.module_complete_cmd->parsed()) return tito::module_complete_command(ws, cli.module_name);
  std::vector<std::string> program_args = cli.milestone_run_cmd->remaining();
  program_args.insert(program_args.end(), arguments.passthrough.begin(), arguments.passthrough.end());
  return tito::milestone_run_command(ws, cli.milestone_id, program_args, cli.milestone_force);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{kDescription, "tito"};
  app.footer(kFooter);
  app.set_version_flag("--version", "tito 0.1.0");
  app.require_subcommand(1);
  Cli cli;
  add_export_command(app, cli);
  add_test_command(app, cli);
  add_milestone_commands(app, cli);
  add_module_commands(app, cli);
  add_docs_command(app, cli);
  add_doctor_command(app, cli);
  add_release_command(app, cli);
  add_grade_command(app, cli);

  const SplitArguments arguments = split_at_separator(argc, argv);
  if (arguments.for_tito.size() <= 1) {
    fmt::print(stderr, "{}", app.help());
    return tito::kExitUsage;
  }
  try {
    reject_unknown_command(app, arguments);
  } catch (const tito::UsageError& e) {
    fmt::print(stderr, "{} {}\n", tito::err_paint("tito: error:", tito::Tone::bad), e.what());
    return e.exit_code();
  }
  std::vector<char*> tito_argv;
  for (const auto& arg : arguments.for_tito) tito_argv.push_back(const_cast<char*>(arg.c_str()));
  try {
    app.parse(static_cast<int>(tito_argv.size()), tito_argv.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    fmt::print(stderr, "{} {}\nRun 'tito --help' (or 'tito <command> --help') for usage.\n",
               tito::err_paint("tito: error:", tito::Tone::bad), e.what());
    return tito::kExitUsage;
  }
  try {
    return run_chosen_command(cli, arguments);
  } catch (const tito::Error& e) {
    fmt::print(stderr, "{} {}\n", tito::err_paint("tito: error:", tito::Tone::bad), e.what());
    return e.exit_code();
  } catch (const std::exception& e) {
    fmt::print(stderr, "{} {}\n", tito::err_paint("tito: unexpected error:", tito::Tone::bad), e.what());
    return tito::kExitFailure;
  }
}
