// file_io.cpp — whole-file reads and atomic writes (see file_io.hpp).
#include "tito/file_io.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "tito/error.hpp"

namespace tito {

std::optional<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(bytes).str();
}

std::optional<std::string> read_first_line(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

void write_file_atomically(const fs::path& path, const std::string& content) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) throw Error(kExitFailure, fmt::format("cannot create folder {}: {}", path.parent_path().string(), ec.message()));
  const fs::path temporary = path.string() + fmt::format(".tito-tmp-{}", ::getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) {
      fs::remove(temporary, ec);
      throw Error(kExitFailure, fmt::format("cannot write {}: {}", temporary.string(), std::strerror(errno)));
    }
  }
  fs::rename(temporary, path, ec);
  if (ec) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw Error(kExitFailure, fmt::format("cannot replace {}: {}", path.string(), ec.message()));
  }
}

WriteOutcome write_if_changed(const fs::path& path, const std::string& content) {
  if (auto existing = read_file(path); existing && *existing == content) return WriteOutcome::unchanged;
  write_file_atomically(path, content);
  return WriteOutcome::written;
}

}  // namespace tito
