// safetensors: the bytes we write follow the format byte for byte, files round-trip
// every dtype, the write is atomic, and every way a file can be corrupt is a
// FileError naming the file and the problem — including every truncation and
// random flips in the header (run this suite under ASan: no crash, no overread).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/io/safetensors.hpp"

using namespace tinytorch;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;

Bytes read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A file from its parts: the 8-byte little-endian length, the header text, the buffer.
Bytes make_file(const std::string& header, const Bytes& buffer) {
  Bytes bytes;
  bytes.reserve(8 + header.size() + buffer.size());
  const uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) bytes.push_back(static_cast<uint8_t>(length >> (8 * i)));
  for (char c : header) bytes.push_back(static_cast<uint8_t>(c));
  for (uint8_t b : buffer) bytes.push_back(b);
  return bytes;
}

#define EXPECT_MESSAGE_HAS(message, text) \
  EXPECT_NE((message).find(text), std::string::npos) << "message: " << (message) << "\nexpected to contain: " << (text)

class Safetensors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinytorch_st_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  // Removes the old file first: on ext4, truncating and rewriting a file forces
  // it to disk on close (auto_da_alloc), which makes thousands of rewrites slow.
  std::string write(const std::string& name, const Bytes& bytes) const {
    fs::remove(path(name));
    std::ofstream(path(name), std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path(name);
  }

  // The FileError message for loading `bytes` ("" if it loads).
  std::string error_of(const Bytes& bytes) const {
    const std::string file = write("case.safetensors", bytes);
    try {
      load_safetensors(file);
    } catch (const FileError& error) {
      return error.what();
    }
    return "";
  }

  fs::path dir_;
};

}  // namespace

TINYTORCH_CONCEPT(Safetensors,
                  "the safetensors file format: write it byte for byte, read it back, reject every corruption",
                  "bytes [0, 8) = N as little-endian uint64; "
                  "[8, 8 + N) = JSON header padded with spaces to a multiple of 8; "
                  "then the buffer, each tensor row-major little-endian at data_offsets [begin, end), "
                  "end - begin = prod(shape) * dtype_size, tiling the buffer exactly");

TINYTORCH_TEST_FORMULA(Safetensors, WritesTheFormatByteForByte,
                       "N, then {__metadata__, w: F32 [1,3] offsets [0,12], y: I32 [2] offsets [12,20]} in save "
                       "order padded to a multiple of 8, then 1, -2, 0.5, 7, -1 as little-endian 4-byte values");
TEST_F(Safetensors, WritesTheFormatByteForByte) {
  // Expected bytes built by hand from the format: header JSON in save order,
  // padded with spaces to a multiple of 8, then the buffer little-endian.
  Tensor weight = Tensor::from_values({1.0f, -2.0f, 0.5f}, {1, 3});
  Tensor labels = Tensor::from_int32({7, -1}, {2});
  save_safetensors(path("m.safetensors"), {{"w", weight}, {"y", labels}}, {{"format", "pt"}});
  const std::string json = R"({"__metadata__":{"format":"pt"},)"
                           R"("w":{"dtype":"F32","shape":[1,3],"data_offsets":[0,12]},)"
                           R"("y":{"dtype":"I32","shape":[2],"data_offsets":[12,20]}})";
  const std::string padded = json + std::string((8 - json.size() % 8) % 8, ' ');
  Bytes buffer;
  for (float value : {1.0f, -2.0f, 0.5f}) {
    uint32_t bits;
    std::memcpy(&bits, &value, 4);
    for (int i = 0; i < 4; ++i) buffer.push_back(static_cast<uint8_t>(bits >> (8 * i)));
  }
  for (int32_t value : {7, -1}) {
    for (int i = 0; i < 4; ++i) buffer.push_back(static_cast<uint8_t>(static_cast<uint32_t>(value) >> (8 * i)));
  }
  const Bytes written = read_all(path("m.safetensors"));
  EXPECT_EQ(written, make_file(padded, buffer));
  EXPECT_EQ((written.size() - 8 - buffer.size()) % 8, 0u);  // header length is a multiple of 8
}

TINYTORCH_TEST_FORMULA(Safetensors, RoundTripsEveryDtypeInOrder,
                       "load(save(tensors)) returns the same names in the saved order with the same dtype, "
                       "shape and bytes, for F32, I8, U8, I32, I64, F16, BF16, a scalar and an empty tensor, "
                       "plus the metadata; at(missing) throws IndexError");
TEST_F(Safetensors, RoundTripsEveryDtypeInOrder) {
  Generator generator(3);
  Tensor f32 = Tensor::randn({17, 3}, 0.0f, 1.0f, generator);
  Tensor i8 = Tensor::from_int32({-128, -1, 0, 1, 127}, {5}).to(DType::Int8);
  Tensor u8 = Tensor::from_int32({0, 1, 254, 255}, {2, 2}).to(DType::UInt8);
  Tensor i32 = Tensor::from_int32({INT32_MIN, -7, 0, INT32_MAX}, {4});
  Tensor i64 = Tensor::empty({3}, DType::Int64);
  i64.data<int64_t>()[0] = INT64_MIN;
  i64.data<int64_t>()[1] = 1234567890123;
  i64.data<int64_t>()[2] = INT64_MAX;
  Tensor f16 = Tensor::empty({2}, DType::Float16);
  f16.data<uint16_t>()[0] = 0x3C00;  // 1.0 in IEEE half
  f16.data<uint16_t>()[1] = 0xC000;  // -2.0
  Tensor bf16 = Tensor::empty({1, 1, 3}, DType::BFloat16);
  for (int i = 0; i < 3; ++i) bf16.data<uint16_t>()[i] = static_cast<uint16_t>(0x3F80 + i);
  Tensor scalar = Tensor::scalar(3.5f);
  Tensor empty = Tensor::zeros({0, 4});
  const NamedTensors saved = {{"z.f32", f32}, {"i8", i8},     {"u8", u8},         {"i32", i32},    {"i64", i64},
                              {"f16", f16},   {"bf16", bf16}, {"scalar", scalar}, {"empty", empty}};
  save_safetensors(path("all.safetensors"), saved, {{"epochs", "10"}, {"note", "ünïcode ✓"}});
  SafetensorsFile loaded = load_safetensors(path("all.safetensors"));
  ASSERT_EQ(loaded.tensors.size(), saved.size());
  for (std::size_t i = 0; i < saved.size(); ++i) {
    const auto& [name, original] = saved[i];
    const auto& [loaded_name, copy] = loaded.tensors[i];
    EXPECT_EQ(loaded_name, name);  // the order saved
    EXPECT_EQ(copy.dtype(), original.dtype()) << name;
    EXPECT_EQ(copy.shape(), original.shape()) << name;
    ASSERT_EQ(copy.nbytes(), original.nbytes()) << name;
    EXPECT_EQ(std::memcmp(copy.storage()->bytes(), original.storage()->bytes(), copy.nbytes()), 0) << name;
  }
  EXPECT_EQ(loaded.metadata, (std::map<std::string, std::string>{{"epochs", "10"}, {"note", "ünïcode ✓"}}));
  EXPECT_TRUE(loaded.contains("i64"));
  EXPECT_EQ(loaded.at("i64").data<int64_t>()[2], INT64_MAX);
  EXPECT_THROW(loaded.at("missing"), IndexError);
}

TINYTORCH_TEST_FORMULA(Safetensors, NonContiguousTensorsAreSavedContiguously,
                       "a view is written in its own row-major order: transpose -> [0,3,1,4,2,5], "
                       "slice_rows(1, 2) -> [3,4,5]");
TEST_F(Safetensors, NonContiguousTensorsAreSavedContiguously) {
  Tensor a = ops::reshape(Tensor::arange(0, 6), {2, 3});
  Tensor t = ops::transpose(a, 0, 1);  // (3, 2) = [[0 3] [1 4] [2 5]], strided
  Tensor rows = a.slice_rows(1, 2);    // (1, 3) = [[3 4 5]], offset 3
  save_safetensors(path("v.safetensors"), {{"t", t}, {"rows", rows}});
  SafetensorsFile loaded = load_safetensors(path("v.safetensors"));
  EXPECT_EQ(loaded.at("t").shape(), (Shape{3, 2}));
  EXPECT_EQ(loaded.at("t").to_vector(), (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(loaded.at("rows").to_vector(), (std::vector<float>{3, 4, 5}));
}

TINYTORCH_TEST_FORMULA(Safetensors, ReadsFilesInAnyHeaderOrder,
                       "the buffer order (data_offsets), not the header order, "
                       "decides the tensor order: a [0,3) then b [3,5)");
TEST_F(Safetensors, ReadsFilesInAnyHeaderOrder) {
  // Other writers order the header by name, not by offset; the buffer order is what counts.
  Bytes buffer = {1, 2, 3, 4, 5};
  const std::string header = R"({"b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]},)"
                             R"("a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})";
  SafetensorsFile loaded = load_safetensors(write("o.safetensors", make_file(header, buffer)));
  ASSERT_EQ(loaded.tensors.size(), 2u);
  EXPECT_EQ(loaded.tensors[0].first, "a");
  EXPECT_EQ(loaded.at("a").to_int32_vector(), (std::vector<int32_t>{1, 2, 3}));
  EXPECT_EQ(loaded.at("b").to_int32_vector(), (std::vector<int32_t>{4, 5}));
  EXPECT_TRUE(loaded.metadata.empty());
}

TINYTORCH_TEST_FORMULA(Safetensors, SaveReplacesAtomicallyAndLeavesNoTemporary,
                       "save writes path.tmp.<pid>, fsyncs and renames it over path: the new values are read "
                       "back and no temporary file is left");
TEST_F(Safetensors, SaveReplacesAtomicallyAndLeavesNoTemporary) {
  save_safetensors(path("m.safetensors"), {{"x", Tensor::ones({2})}});
  save_safetensors(path("m.safetensors"), {{"x", Tensor::full({3}, 2.0f)}});
  EXPECT_EQ(load_safetensors(path("m.safetensors")).at("x").to_vector(), (std::vector<float>{2, 2, 2}));
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir_)) files.push_back(entry.path().filename().string());
  EXPECT_EQ(files, std::vector<std::string>{"m.safetensors"});  // no m.safetensors.tmp.<pid> left
}

TINYTORCH_TEST_FORMULA(Safetensors, FailedSaveThrowsAndKeepsTheOldFile,
                       "a failed rename or an uncreatable temporary throws FileError (cannot create ...), "
                       "removes the temporary, and the old file still loads");
TEST_F(Safetensors, FailedSaveThrowsAndKeepsTheOldFile) {
  save_safetensors(path("m.safetensors"), {{"x", Tensor::ones({2})}});
  // The target is a non-empty directory: rename fails after the temporary was written.
  fs::create_directories(dir_ / "taken" / "inside");
  EXPECT_THROW(save_safetensors(path("taken"), {{"x", Tensor::ones({2})}}), FileError);
  EXPECT_FALSE(fs::exists(path("taken") + ".tmp." + std::to_string(::getpid())));
  // A folder that does not exist: the temporary cannot be created.
  try {
    save_safetensors(path("no/such/dir/m.safetensors"), {{"x", Tensor::ones({2})}});
    FAIL() << "expected FileError";
  } catch (const FileError& error) {
    EXPECT_MESSAGE_HAS(std::string(error.what()), "cannot create");
  }
  EXPECT_EQ(load_safetensors(path("m.safetensors")).at("x").to_vector(), (std::vector<float>{1, 1}));
}

TINYTORCH_TEST_FORMULA(Safetensors, SaveRejectsBadNames,
                       "names must be unique, non-empty, valid UTF-8 and not __metadata__, tensors defined; "
                       "else ValueError and no file is written");
TEST_F(Safetensors, SaveRejectsBadNames) {
  EXPECT_THROW(save_safetensors(path("a"), {{"x", Tensor::ones({1})}, {"x", Tensor::ones({1})}}), ValueError);
  EXPECT_THROW(save_safetensors(path("a"), {{"__metadata__", Tensor::ones({1})}}), ValueError);
  EXPECT_THROW(save_safetensors(path("a"), {{"", Tensor::ones({1})}}), ValueError);
  EXPECT_THROW(save_safetensors(path("a"), {{"x", Tensor()}}), ValueError);
  EXPECT_THROW(save_safetensors(path("a"), {{"bad\xff", Tensor::ones({1})}}), ValueError);  // not UTF-8
  EXPECT_FALSE(fs::exists(path("a")));
}

// ---- every corruption is a FileError that says what is wrong ---------------------

TINYTORCH_TEST_FORMULA(Safetensors, MissingAndEmptyFiles,
                       "FileError naming the file: no such file; "
                       "the file is 0 bytes, shorter than the 8-byte header length; not a regular file");
TEST_F(Safetensors, MissingAndEmptyFiles) {
  try {
    load_safetensors(path("absent.safetensors"));
    FAIL() << "expected FileError";
  } catch (const FileError& error) {
    EXPECT_MESSAGE_HAS(std::string(error.what()), path("absent.safetensors") + ": no such file");
  }
  EXPECT_MESSAGE_HAS(error_of({}), "the file is 0 bytes, shorter than the 8-byte header length");
  EXPECT_MESSAGE_HAS(
      [&] {
        try {
          load_safetensors(dir_.string());
        } catch (const FileError& error) {
          return std::string(error.what());
        }
        return std::string();
      }(),
      "not a regular file");
}

TINYTORCH_TEST_FORMULA(Safetensors, MessagesNameTheFileAndTheProblem,
                       "each corrupt file throws FileError load_safetensors: <path>: <the rule it breaks> "
                       "(length, JSON, dtype, shape, data_offsets, overlap, gap, duplicate, __metadata__); "
                       "the header {} alone is a valid empty file");
TEST_F(Safetensors, MessagesNameTheFileAndTheProblem) {
  const Bytes four = {1, 2, 3, 4};
  const std::string u8x4 = R"("a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]})";
  struct Case {
    Bytes file;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {Bytes{1, 0, 0}, "the file is 3 bytes, shorter than the 8-byte header length"},
      {make_file("{}", {}), ""},  // an empty file of tensors is valid
      {[] {
         Bytes b = make_file("{}", {});
         b[0] = 200;
         return b;
       }(),
       "header length 200 is larger than the 2 bytes after it"},
      {make_file(R"({"a":)", {}), "invalid JSON header"},
      {make_file(R"([1,2])", {}), "does not start with '{'"},
      {make_file("{" + u8x4 + "}", {1, 2, 3}), "data_offsets [0, 4) run past the 3-byte buffer"},
      {make_file(R"({"a":{"dtype":"Q9","shape":[4],"data_offsets":[0,4]}})", four), "unknown dtype \"Q9\""},
      {make_file(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", Bytes(8)),
       "dtype F64, which TinyTorch cannot hold"},
      {make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", four),
       "shape [2] of F32 needs 8 bytes but data_offsets [0, 4) hold 4"},
      {make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[4,0]}})", four), "end before they begin"},
      {make_file(R"({"a":{"dtype":"U8","shape":[-4],"data_offsets":[0,4]}})", four),
       "shape holds -4; expected non-negative integers"},
      {make_file(R"({"a":{"dtype":"U8","shape":[4.0],"data_offsets":[0,4]}})", four), "shape holds 4.0"},
      {make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0]}})", four), "expected [begin, end]"},
      {make_file(R"({"a":{"dtype":"U8","shape":[4]}})", four), "tensor \"a\" has no \"data_offsets\""},
      {make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4],"extra":1}})", four),
       "unknown field \"extra\""},
      {make_file(
           R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[3],"data_offsets":[1,4]}})",
           four),
       "tensor \"b\" (begins at 1) overlaps tensor \"a\" (ends at 2)"},
      {make_file(
           R"({"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})",
           four),
       "gap of 1 bytes between tensor \"a\" (ends at 1) and tensor \"b\" (begins at 2)"},
      {make_file(R"({"a":{"dtype":"U8","shape":[3],"data_offsets":[1,4]}})", four),
       "gap of 1 bytes between the start of the buffer"},
      {make_file(R"({"a":{"dtype":"U8","shape":[3],"data_offsets":[0,3]}})", four),
       "3 of a 4-byte buffer: 1 bytes belong to no tensor"},
      {make_file("{" + u8x4 + "," + u8x4 + "}", four), "duplicate key \"a\""},
      {make_file(R"({"__metadata__":{"k":1},)" + u8x4 + "}", four), "__metadata__ \"k\" holds 1; expected a string"},
      {make_file(R"({"__metadata__":[],)" + u8x4 + "}", four), "__metadata__ is []; expected an object"},
      {make_file(R"({"a":{"dtype":"U8","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}})", {}),
       "has more elements than int64 can count"},
      {make_file(R"({"a":{"dtype":"U8","shape":[4],"data_offsets":[0,18446744073709551616]}})", four),
       "data_offsets holds 1.8446744073709552e+19"},
      {make_file("{\"a\xff\":1}", {}), "invalid JSON header"},  // not UTF-8
  };
  for (const Case& c : cases) {
    const std::string message = error_of(c.file);
    if (c.expected.empty()) {
      EXPECT_EQ(message, "");
      continue;
    }
    EXPECT_MESSAGE_HAS(message, "load_safetensors: " + path("case.safetensors") + ": ");
    EXPECT_MESSAGE_HAS(message, c.expected);
  }
}

TINYTORCH_TEST_FORMULA(Safetensors, EveryTruncationIsAFileError,
                       "every prefix of a valid file (0 .. size - 1 bytes) throws FileError; "
                       "one extra byte is reported as bytes belong to no tensor");
TEST_F(Safetensors, EveryTruncationIsAFileError) {
  // Cut a small valid file at every byte boundary: each prefix must fail cleanly.
  save_safetensors(path("whole.safetensors"),
                   {{"w", Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3})},
                    {"b", Tensor::from_int32({1, 2, 3}, {3}).to(DType::Int8)}},
                   {{"k", "v"}});
  const Bytes whole = read_all(path("whole.safetensors"));
  ASSERT_NO_THROW(load_safetensors(path("whole.safetensors")));
  for (std::size_t size = 0; size < whole.size(); ++size) {
    EXPECT_NE(error_of(Bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size))), "")
        << "a prefix of " << size << " of " << whole.size() << " bytes loaded without error";
  }
  Bytes longer = whole;
  longer.push_back(0);
  EXPECT_MESSAGE_HAS(error_of(longer), "bytes belong to no tensor");
}

TINYTORCH_TEST_FORMULA(Safetensors, RandomHeaderFlipsNeverCrash,
                       "3000 files with 1-3 random bit flips in the length or header: each is a FileError or a "
                       "valid file whose tensors fit in the file; more than half are rejected");
TEST_F(Safetensors, RandomHeaderFlipsNeverCrash) {
  // Flip random bits in the length and header: every result is either a clean
  // FileError or a file that really is valid (then its tensors fit the file).
  save_safetensors(path("whole.safetensors"),
                   {{"layer.weight", Tensor::from_values({1, 2, 3, 4, 5, 6}, {3, 2})},
                    {"layer.bias", Tensor::from_values({7, 8, 9}, {3})}},
                   {{"format", "pt"}});
  const Bytes whole = read_all(path("whole.safetensors"));
  uint64_t header_length = 0;
  std::memcpy(&header_length, whole.data(), 8);
  Generator generator(2024);
  int rejected = 0;
  constexpr int kTrials = 3000;
  for (int trial = 0; trial < kTrials; ++trial) {
    Bytes broken = whole;
    const int flips = 1 + static_cast<int>(generator.below(3));
    for (int f = 0; f < flips; ++f) {
      const std::size_t at = static_cast<std::size_t>(generator.below(8 + header_length));
      broken[at] ^= static_cast<uint8_t>(1u << generator.below(8));
    }
    const std::string file = write("flip.safetensors", broken);
    try {
      SafetensorsFile loaded = load_safetensors(file);
      std::size_t bytes = 0;
      for (const auto& [name, tensor] : loaded.tensors) bytes += tensor.nbytes();
      EXPECT_LE(bytes, broken.size());
    } catch (const FileError&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, kTrials / 2);  // most flips break the JSON or a number
}
