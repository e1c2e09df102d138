// idx_reader.cpp — IDX files through zlib, with every way a file can be wrong named.
//
// Every check here guards against a real failure: a download cut short
// (truncated), the wrong file renamed (magic), two files concatenated (trailing
// bytes). Each throws a FileError that names the file and what was found.
#include "tinytorch/data/idx_reader.hpp"

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <vector>

namespace tinytorch {
namespace {

constexpr uint8_t kUnsignedByteType = 0x08;
constexpr int kMaxDimensions = 3;  // labels 1, images 3
// gzread reads at most INT_MAX bytes per call; we read in chunks of 1 GiB.
constexpr std::size_t kReadChunk = std::size_t{1} << 30;
// deflate cannot expand data by more than 1032:1 (zlib FAQ), so a gzip file of
// S bytes holds at most 1032·S bytes: a bound on what a header may promise
// before we allocate memory for it.
constexpr uint64_t kMaxDeflateRatio = 1032;

std::string hex32(uint32_t value) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", value);
  return text;
}

// Closes the gzFile on every path out, including exceptions.
class GzipReader {
 public:
  explicit GzipReader(const std::string& path) : path_(path), file_(gzopen(path.c_str(), "rb")) {
    if (file_ == nullptr) fail("cannot open: " + std::string(std::strerror(errno)));
    gzbuffer(file_, 1 << 18);  // 256 KiB: fewer read() calls on a 26 MB file
  }
  ~GzipReader() {
    if (file_ != nullptr) gzclose(file_);
  }
  GzipReader(const GzipReader&) = delete;
  GzipReader& operator=(const GzipReader&) = delete;

  // True when the file is not gzip and is read as it is.
  bool raw() const { return gzdirect(file_) == 1; }

  // Reads up to `count` bytes into `destination` (nullptr: read and discard);
  // returns how many were read, fewer only at the end of the data.
  uint64_t read(uint8_t* destination, uint64_t count) {
    if (destination == nullptr && scratch_.empty()) scratch_.resize(kScratchBytes);
    uint64_t done = 0;
    while (done < count) {
      const uint64_t want = std::min<uint64_t>(count - done, destination ? kReadChunk : kScratchBytes);
      const int got = gzread(file_, destination ? destination + done : scratch_.data(), static_cast<unsigned>(want));
      if (got < 0) {
        int code = 0;
        fail("corrupt gzip data: " + std::string(gzerror(file_, &code)));
      }
      if (got == 0) break;
      done += static_cast<uint64_t>(got);
    }
    return done;
  }

  // Counts the bytes left until the end (reads and discards them).
  uint64_t count_rest() {
    uint64_t total = 0;
    for (;;) {
      const uint64_t got = read(nullptr, kScratchBytes);
      total += got;
      if (got < kScratchBytes) return total;
    }
  }

  // After a short read: did the gzip stream itself end early?
  bool gzip_stream_cut() {
    int code = Z_OK;
    gzerror(file_, &code);
    return code == Z_BUF_ERROR;
  }

  [[noreturn]] void fail(const std::string& problem) const { throw FileError("read_idx: " + path_ + ": " + problem); }

 private:
  static constexpr uint64_t kScratchBytes = 1 << 16;
  std::string path_;
  gzFile file_ = nullptr;
  std::vector<uint8_t> scratch_;  // where skipped bytes go
};

}  // namespace

uint32_t read_big_endian_u32(const uint8_t* bytes) {
  // BEGIN SOLUTION
  return (static_cast<uint32_t>(bytes[0]) << 24) | (static_cast<uint32_t>(bytes[1]) << 16) |
         (static_cast<uint32_t>(bytes[2]) << 8) | static_cast<uint32_t>(bytes[3]);
  // END SOLUTION
}

Tensor read_idx(const std::string& path) {
  std::error_code status_error;
  const auto status = std::filesystem::status(path, status_error);
  if (!std::filesystem::exists(status)) throw FileError("read_idx: " + path + ": no such file");
  if (std::filesystem::is_directory(status)) throw FileError("read_idx: " + path + ": is a directory, not an IDX file");
  const uint64_t file_bytes = std::filesystem::file_size(path, status_error);
  if (status_error) throw FileError("read_idx: " + path + ": cannot read its size: " + status_error.message());

  GzipReader reader(path);

  // ---- the magic number: 00 00 08 d --------------------------------------------
  uint8_t magic_bytes[4] = {};
  const uint64_t magic_read = reader.read(magic_bytes, 4);
  if (magic_read < 4) {
    reader.fail("truncated: " + std::to_string(magic_read) + " bytes, too short for the 4-byte IDX magic number");
  }
  const uint32_t magic = read_big_endian_u32(magic_bytes);
  const std::string expected_magic = "expected 0x00000801 (labels) or 0x00000803 (images)";
  if (magic_bytes[0] != 0 || magic_bytes[1] != 0) {
    reader.fail(reader.raw()
                    ? "neither a gzip file nor an IDX file: it starts with " + hex32(magic) + "; " + expected_magic +
                          ", or a gzip file (1f 8b ...)"
                    : "the gzip content is not an IDX file: magic number " + hex32(magic) + "; " + expected_magic);
  }
  if (magic_bytes[2] != kUnsignedByteType) {
    reader.fail("wrong magic number " + hex32(magic) + ": its third byte (the element type) is not 0x08, " +
                "unsigned byte; " + expected_magic);
  }
  const int dimensions = magic_bytes[3];
  if (dimensions < 1 || dimensions > kMaxDimensions) {
    reader.fail("bad dimension count " + std::to_string(dimensions) + " in magic number " + hex32(magic) +
                "; expected 1 (labels) to 3 (images)");
  }

  // ---- the sizes: d big-endian uint32 ------------------------------------------
  uint8_t size_bytes[4 * kMaxDimensions] = {};
  const uint64_t size_read = reader.read(size_bytes, 4 * static_cast<uint64_t>(dimensions));
  if (size_read < 4 * static_cast<uint64_t>(dimensions)) {
    reader.fail("truncated: the header ends after " + std::to_string(4 + size_read) + " bytes; " +
                std::to_string(dimensions) + " dimensions need " + std::to_string(4 + 4 * dimensions));
  }
  Shape shape;
  uint64_t promised = 1;  // prod(sizes) < 2^96 before the overflow check
  bool overflow = false;
  std::string sizes_text;
  for (int d = 0; d < dimensions; ++d) {
    const uint32_t size = read_big_endian_u32(size_bytes + 4 * d);
    shape.push_back(size);
    overflow = overflow || __builtin_mul_overflow(promised, uint64_t{size}, &promised);
    sizes_text += (d == 0 ? "" : "×") + std::to_string(size);
  }
  const std::string what = dimensions == 1 ? "labels" : dimensions == 3 ? "pixels" : "data";
  const std::string product = dimensions > 1 && !overflow ? " = " + std::to_string(promised) : "";
  const std::string promise = "header promises " + sizes_text + product + " bytes of " + what;

  // ---- the data ---------------------------------------------------------------
  // Allocate only what the file can possibly hold; otherwise just count what is there.
  const uint64_t header_bytes = 4 + 4 * static_cast<uint64_t>(dimensions);
  const uint64_t most_possible =
      reader.raw() ? (file_bytes > header_bytes ? file_bytes - header_bytes : 0) : file_bytes * kMaxDeflateRatio;
  if (overflow || promised > most_possible || promised > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    reader.fail("truncated: " + promise + ", file holds " + std::to_string(reader.count_rest()));
  }
  Tensor data = Tensor::empty(shape, DType::UInt8);
  const uint64_t got = reader.read(data.data<uint8_t>(), promised);
  if (got < promised) {
    reader.fail("truncated: " + promise + ", file holds " + std::to_string(got) +
                (reader.gzip_stream_cut() ? " (the gzip stream ends early)" : ""));
  }
  const uint64_t trailing = reader.count_rest();
  if (trailing > 0) {
    reader.fail("trailing garbage: " + std::to_string(trailing) + " bytes after the data (" + promise + ")");
  }
  return data;
}

}  // namespace tinytorch
