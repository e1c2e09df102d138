// file_io.hpp — reading files whole and replacing them atomically.
//
// Generated files are written to a temporary file beside the target and
// renamed over it, so a reader (or an interrupted export) never sees half a
// file; a file whose content is already right is left alone, keeping its mtime
// so builds stay incremental.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace tito {

namespace fs = std::filesystem;

// The bytes of `path`, or nullopt when it does not exist or cannot be read.
std::optional<std::string> read_file(const fs::path& path);

// The first line of `path` (without line ending), or nullopt if unreadable.
std::optional<std::string> read_first_line(const fs::path& path);

// Writes `content` to `path` via a temporary file + rename, creating parent
// folders. Throws tito::Error (exit 1) when the file system refuses.
void write_file_atomically(const fs::path& path, const std::string& content);

enum class WriteOutcome { unchanged, written };

// write_file_atomically() unless `path` already holds exactly `content`.
WriteOutcome write_if_changed(const fs::path& path, const std::string& content);

}  // namespace tito
