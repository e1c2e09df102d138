// progress.cpp — reading and writing .tito/progress.json (see progress.hpp).
#include "tito/progress.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "tito/error.hpp"
#include "tito/file_io.hpp"

namespace tito {

using nlohmann::json;

Progress load_progress(const std::filesystem::path& root) {
  const std::filesystem::path file = root / kProgressFile;
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return {};
  const std::optional<std::string> text = read_file(file);
  if (!text) throw Error(kExitFailure, fmt::format("cannot read the progress file {}", file.string()));
  Progress progress;
  try {
    const json root_object = json::parse(*text);
    for (const auto& [name, entry] : root_object.at("modules").items()) {
      ModuleProgress module;
      module.started = entry.value("started", std::string());
      module.completed = entry.value("completed", std::string());
      module.tests_passed = entry.value("tests_passed", 0);
      module.tests_total = entry.value("tests_total", 0);
      progress[name] = module;
    }
  } catch (const json::exception& e) {
    throw Error(kExitFailure, fmt::format("the progress file {} is corrupt ({}); expected "
                                          "{{\"modules\": {{\"NN_name\": {{\"started\": ..., ...}}}}}} — fix or "
                                          "remove it (it only records start/complete times)",
                                          file.string(), e.what()));
  }
  return progress;
}

void save_progress(const std::filesystem::path& root, const Progress& progress) {
  json modules = json::object();
  for (const auto& [name, module] : progress) {
    modules[name] = {{"started", module.started},
                     {"completed", module.completed},
                     {"tests_passed", module.tests_passed},
                     {"tests_total", module.tests_total}};
  }
  write_file_atomically(root / kProgressFile, json{{"modules", modules}}.dump(2) + "\n");
}

}  // namespace tito
