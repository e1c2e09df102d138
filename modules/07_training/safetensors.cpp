// safetensors.cpp — the safetensors writer (atomic) and a reader that trusts nothing.
//
// Loading goes: 8-byte length -> header bytes -> JSON (duplicate keys rejected
// while parsing) -> one Entry per tensor, each checked on its own (dtype, shape,
// offsets inside the buffer, size = numel · element size) -> the entries sorted
// by offset must tile the buffer -> then, and only then, allocate and read.
#include "tinytorch/io/safetensors.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

namespace tinytorch {

// The format is little-endian and we copy bytes straight into tensors.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian machine");

namespace {

using Json = nlohmann::ordered_json;  // keeps our header in the order we write it

constexpr uint64_t kLengthBytes = 8;
constexpr uint64_t kHeaderAlignment = 8;
// The reference implementation refuses headers over 100 MB: parsing a huge
// JSON text is itself a denial of service.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr const char* kMetadataKey = "__metadata__";

struct DTypeCode {
  DType dtype;
  const char* code;
};
constexpr DTypeCode kDTypeCodes[] = {
    {DType::Float32, "F32"}, {DType::Float16, "F16"}, {DType::BFloat16, "BF16"}, {DType::Int64, "I64"},
    {DType::Int32, "I32"},   {DType::Int8, "I8"},     {DType::UInt8, "U8"},
};
// Valid safetensors dtypes that TinyTorch has no type for.
constexpr const char* kForeignCodes[] = {"BOOL", "U16", "I16", "U32", "U64", "F64", "F8_E5M2", "F8_E4M3", "F8_E8M0"};

// One tensor as the header describes it.
struct Entry {
  std::string name;
  DType dtype = DType::Float32;
  Shape shape;
  uint64_t begin = 0;  // byte offsets into the buffer
  uint64_t end = 0;
};

// ---- saving ----------------------------------------------------------------------

// The JSON header, padded with spaces to a multiple of 8 bytes, for tensors laid
// out back to back in the given order: tensor i occupies [offset_i, offset_i + nbytes_i).
std::string make_header(const NamedTensors& tensors, const std::map<std::string, std::string>& metadata) {
  // BEGIN SOLUTION
  Json header = Json::object();
  if (!metadata.empty()) header[kMetadataKey] = metadata;
  uint64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    const uint64_t bytes = tensor.nbytes();
    header[name] = {{"dtype", safetensors_dtype_code(tensor.dtype())},
                    {"shape", tensor.shape()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((kHeaderAlignment - text.size() % kHeaderAlignment) % kHeaderAlignment, ' ');
  return text;
  // END SOLUTION
}

void check_saveable(const NamedTensors& tensors) {
  std::set<std::string> seen;
  for (const auto& [name, tensor] : tensors) {
    if (name.empty()) throw ValueError("save_safetensors: a tensor has an empty name");
    if (name == kMetadataKey) {
      throw ValueError("save_safetensors: \"__metadata__\" is reserved for the metadata; rename that tensor");
    }
    if (!seen.insert(name).second) throw ValueError("save_safetensors: two tensors are named \"" + name + "\"");
    if (!tensor.defined()) throw ValueError("save_safetensors: tensor \"" + name + "\" is undefined");
  }
}

// A file descriptor on the temporary file; removes the file unless commit() ran.
class TemporaryFile {
 public:
  explicit TemporaryFile(std::string target)
      : target_(std::move(target)), path_(target_ + ".tmp." + std::to_string(getpid())) {
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) fail("cannot create");
  }
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;

  void write(const void* data, std::size_t size) {
    const auto* bytes = static_cast<const std::byte*>(data);
    while (size > 0) {
      const ssize_t written = ::write(fd_, bytes, std::min<std::size_t>(size, std::size_t{1} << 30));
      if (written < 0 && errno == EINTR) continue;
      if (written <= 0) fail("cannot write");
      bytes += written;
      size -= static_cast<std::size_t>(written);
    }
  }

  // fsync, close, rename over the target: the file appears whole or not at all.
  void commit() {
    if (::fsync(fd_) != 0) fail("cannot fsync");
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) fail("cannot close");
    if (::rename(path_.c_str(), target_.c_str()) != 0) fail("cannot rename");
    committed_ = true;
    // Make the rename itself durable (best effort: the data is already in place).
    const std::filesystem::path parent = std::filesystem::path(target_).parent_path();
    const int dir = ::open(parent.empty() ? "." : parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
      ::fsync(dir);
      ::close(dir);
    }
  }

 private:
  // "save_safetensors: model.safetensors: cannot write model.safetensors.tmp.4242: No space left on device"
  [[noreturn]] void fail(const char* action) const {
    const int code = errno;  // before any allocation can change it
    throw FileError("save_safetensors: " + target_ + ": " + action + " " + path_ + ": " + std::strerror(code));
  }

  std::string target_;
  std::string path_;
  int fd_ = -1;
  bool committed_ = false;
};

// ---- loading ---------------------------------------------------------------------

class HeaderError : public std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses JSON, rejecting a key that appears twice in one object (the JSON
// standard allows it, safetensors does not: which of two "weight" entries wins?).
Json parse_json(const std::string& text) {
  std::vector<std::set<std::string>> keys_per_object;
  const Json::parser_callback_t reject_duplicates = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) keys_per_object.emplace_back();
    if (event == Json::parse_event_t::object_end) keys_per_object.pop_back();
    if (event == Json::parse_event_t::key && !keys_per_object.back().insert(parsed.get<std::string>()).second) {
      throw HeaderError("duplicate key \"" + parsed.get<std::string>() + "\"");
    }
    return true;
  };
  try {
    return Json::parse(text, reject_duplicates);
  } catch (const Json::exception& error) {
    throw HeaderError("invalid JSON header: " + std::string(error.what()));
  }
}

DType dtype_from_code(const std::string& code, const std::string& name) {
  for (const DTypeCode& known : kDTypeCodes) {
    if (code == known.code) return known.dtype;
  }
  for (const char* foreign : kForeignCodes) {
    if (code == foreign) {
      throw HeaderError("tensor \"" + name + "\" has dtype " + code +
                        ", which TinyTorch cannot hold (it has F32, F16, BF16, I64, I32, I8, U8)");
    }
  }
  throw HeaderError("tensor \"" + name + "\" has unknown dtype \"" + code + "\"");
}

uint64_t unsigned_field(const Json& value, const std::string& name, const char* field) {
  if (!value.is_number_unsigned()) {
    throw HeaderError("tensor \"" + name + "\": " + field + " holds " + value.dump() +
                      "; expected non-negative integers");
  }
  return value.get<uint64_t>();
}

// One tensor entry, checked on its own: its fields, its size, its range.
Entry parse_entry(const std::string& name, const Json& info, uint64_t buffer_bytes) {
  if (!info.is_object()) throw HeaderError("tensor \"" + name + "\" is " + info.dump() + "; expected an object");
  for (const auto& [field, value] : info.items()) {
    if (field != "dtype" && field != "shape" && field != "data_offsets") {
      throw HeaderError("tensor \"" + name + "\" has an unknown field \"" + field + "\"");
    }
  }
  for (const char* field : {"dtype", "shape", "data_offsets"}) {
    if (!info.contains(field)) throw HeaderError("tensor \"" + name + "\" has no \"" + field + "\"");
  }
  const Json& dtype = info["dtype"];
  const Json& shape = info["shape"];
  const Json& offsets = info["data_offsets"];
  if (!dtype.is_string())
    throw HeaderError("tensor \"" + name + "\": dtype is " + dtype.dump() + "; expected a string");
  if (!shape.is_array()) throw HeaderError("tensor \"" + name + "\": shape is " + shape.dump() + "; expected an array");
  if (!offsets.is_array() || offsets.size() != 2) {
    throw HeaderError("tensor \"" + name + "\": data_offsets is " + offsets.dump() + "; expected [begin, end]");
  }
  Entry entry;
  entry.name = name;
  entry.dtype = dtype_from_code(dtype.get<std::string>(), name);
  // numel = prod(shape). The product of the non-zero sizes must fit int64, so
  // that strides (suffix products) cannot overflow even when numel is 0.
  uint64_t nonzero_product = 1;
  bool has_zero = false;
  for (const Json& size_json : shape) {
    const uint64_t size = unsigned_field(size_json, name, "shape");
    if (size == 0) {
      has_zero = true;
    } else if (__builtin_mul_overflow(nonzero_product, size, &nonzero_product) ||
               nonzero_product > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      throw HeaderError("tensor \"" + name + "\": shape " + shape.dump() + " has more elements than int64 can count");
    }
    entry.shape.push_back(static_cast<int64_t>(size));
  }
  const uint64_t numel = has_zero ? 0 : nonzero_product;
  uint64_t expected_bytes = 0;
  if (__builtin_mul_overflow(numel, uint64_t{dtype_size(entry.dtype)}, &expected_bytes)) {
    throw HeaderError("tensor \"" + name + "\": shape " + shape.dump() + " is too large to store");
  }
  entry.begin = unsigned_field(offsets[0], name, "data_offsets");
  entry.end = unsigned_field(offsets[1], name, "data_offsets");
  const std::string range = "[" + std::to_string(entry.begin) + ", " + std::to_string(entry.end) + ")";
  if (entry.end < entry.begin)
    throw HeaderError("tensor \"" + name + "\": data_offsets " + range + " end before they begin");
  if (entry.end > buffer_bytes) {
    throw HeaderError("tensor \"" + name + "\": data_offsets " + range + " run past the " +
                      std::to_string(buffer_bytes) + "-byte buffer");
  }
  if (entry.end - entry.begin != expected_bytes) {
    throw HeaderError("tensor \"" + name + "\": shape " + shape.dump() + " of " + dtype.get<std::string>() + " needs " +
                      std::to_string(expected_bytes) + " bytes but data_offsets " + range + " hold " +
                      std::to_string(entry.end - entry.begin));
  }
  return entry;
}

std::map<std::string, std::string> parse_metadata(const Json& metadata) {
  if (!metadata.is_object()) throw HeaderError("__metadata__ is " + metadata.dump() + "; expected an object");
  std::map<std::string, std::string> result;
  for (const auto& [key, value] : metadata.items()) {
    if (!value.is_string()) {
      throw HeaderError("__metadata__ \"" + key + "\" holds " + value.dump() + "; expected a string");
    }
    result[key] = value.get<std::string>();
  }
  return result;
}

// Sorted by offset, the tensors must tile [0, buffer_bytes): no gap, no overlap.
void check_tiling(std::vector<Entry>& entries, uint64_t buffer_bytes) {
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return std::tie(a.begin, a.end) < std::tie(b.begin, b.end); });
  // BEGIN SOLUTION
  uint64_t covered = 0;  // the buffer is tiled up to here
  std::string previous;  // the tensor that ends at `covered` ("" at the start)
  for (const Entry& entry : entries) {
    if (entry.begin > covered) {
      const std::string after =
          previous.empty() ? "the start of the buffer" : previous + " (ends at " + std::to_string(covered) + ")";
      throw HeaderError("gap of " + std::to_string(entry.begin - covered) + " bytes between " + after +
                        " and tensor \"" + entry.name + "\" (begins at " + std::to_string(entry.begin) + ")");
    }
    if (entry.begin < covered) {
      throw HeaderError("tensor \"" + entry.name + "\" (begins at " + std::to_string(entry.begin) + ") overlaps " +
                        previous + " (ends at " + std::to_string(covered) + ")");
    }
    covered = entry.end;
    previous = "tensor \"" + entry.name + "\"";
  }
  if (covered != buffer_bytes) {
    throw HeaderError("the tensors end at byte " + std::to_string(covered) + " of a " + std::to_string(buffer_bytes) +
                      "-byte buffer: " + std::to_string(buffer_bytes - covered) + " bytes belong to no tensor");
  }
  // END SOLUTION
}

// Reads exactly `size` bytes or reports how many there were.
void read_exactly(std::FILE* file, void* destination, uint64_t size, const char* what) {
  const std::size_t got = size == 0 ? 0 : std::fread(destination, 1, size, file);
  if (got != size) {
    throw HeaderError("truncated while reading " + std::string(what) + ": " + std::to_string(got) + " of " +
                      std::to_string(size) + " bytes");
  }
}

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};

SafetensorsFile load(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    throw HeaderError(std::filesystem::exists(path, error) ? "not a regular file" : "no such file");
  }
  const uint64_t file_bytes = std::filesystem::file_size(path, error);
  if (error) throw HeaderError("cannot read its size: " + error.message());
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) throw HeaderError("cannot open: " + std::string(std::strerror(errno)));

  if (file_bytes < kLengthBytes) {
    throw HeaderError("the file is " + std::to_string(file_bytes) + " bytes, shorter than the 8-byte header length");
  }
  uint8_t length_bytes[kLengthBytes];
  read_exactly(file.get(), length_bytes, kLengthBytes, "the header length");
  uint64_t header_bytes = 0;
  std::memcpy(&header_bytes, length_bytes, kLengthBytes);  // little-endian, like the machine
  if (header_bytes > file_bytes - kLengthBytes) {
    throw HeaderError("header length " + std::to_string(header_bytes) + " is larger than the " +
                      std::to_string(file_bytes - kLengthBytes) + " bytes after it");
  }
  if (header_bytes > kMaxHeaderBytes) {
    throw HeaderError("header length " + std::to_string(header_bytes) + " exceeds the 100 MB limit");
  }
  std::string text(header_bytes, '\0');
  read_exactly(file.get(), text.data(), header_bytes, "the header");
  if (text.empty() || text.front() != '{') throw HeaderError("the header does not start with '{'");
  const Json header = parse_json(text);
  if (!header.is_object()) throw HeaderError("the header is not a JSON object");

  const uint64_t buffer_bytes = file_bytes - kLengthBytes - header_bytes;
  SafetensorsFile result;
  std::vector<Entry> entries;
  for (const auto& [name, info] : header.items()) {
    if (name == kMetadataKey) {
      result.metadata = parse_metadata(info);
    } else {
      entries.push_back(parse_entry(name, info, buffer_bytes));
    }
  }
  check_tiling(entries, buffer_bytes);

  // The buffer holds the tensors back to back in this order: read each straight into its storage.
  for (const Entry& entry : entries) {
    Tensor tensor = Tensor::empty(entry.shape, entry.dtype);
    read_exactly(file.get(), tensor.storage()->bytes(), entry.end - entry.begin,
                 ("tensor \"" + entry.name + "\"").c_str());
    result.tensors.emplace_back(entry.name, std::move(tensor));
  }
  return result;
}

}  // namespace

std::string_view safetensors_dtype_code(DType dtype) {
  for (const DTypeCode& known : kDTypeCodes) {
    if (known.dtype == dtype) return known.code;
  }
  throw DTypeError("safetensors_dtype_code: no safetensors code for " + std::string(dtype_name(dtype)));
}

bool SafetensorsFile::contains(const std::string& name) const {
  return std::any_of(tensors.begin(), tensors.end(), [&](const auto& named) { return named.first == name; });
}

const Tensor& SafetensorsFile::at(const std::string& name) const {
  for (const auto& [stored_name, tensor] : tensors) {
    if (stored_name == name) return tensor;
  }
  constexpr std::size_t kNamesShown = 8;
  std::string names;
  for (std::size_t i = 0; i < std::min(tensors.size(), kNamesShown); ++i) {
    names += (i == 0 ? "" : ", ") + tensors[i].first;
  }
  if (tensors.size() > kNamesShown) names += ", ... (" + std::to_string(tensors.size()) + " in all)";
  throw IndexError("SafetensorsFile::at: no tensor named \"" + name + "\"; the file holds " +
                   (names.empty() ? "no tensors" : names));
}

void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata) {
  check_saveable(tensors);
  std::string header;
  try {
    header = make_header(tensors, metadata);
  } catch (const nlohmann::json::exception& error) {  // e.g. a name or metadata value that is not UTF-8
    throw ValueError("save_safetensors: cannot write the header: " + std::string(error.what()));
  }
  const uint64_t header_length = header.size();
  TemporaryFile file(path);
  file.write(&header_length, kLengthBytes);  // little-endian, like the machine
  file.write(header.data(), header.size());
  for (const auto& [name, tensor] : tensors) {
    const Tensor packed = tensor.contiguous();
    file.write(packed.storage()->bytes() + packed.offset() * dtype_size(packed.dtype()), packed.nbytes());
  }
  file.commit();
}

SafetensorsFile load_safetensors(const std::string& path) {
  try {
    return load(path);
  } catch (const HeaderError& error) {
    throw FileError("load_safetensors: " + path + ": " + error.what());
  }
}

}  // namespace tinytorch
