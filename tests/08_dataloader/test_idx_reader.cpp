// read_idx: small IDX files written here (raw and gzipped with zlib) read back
// exactly, and every kind of broken file gives a FileError that says what is wrong.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/data/idx_reader.hpp"

using namespace tinytorch;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;

// An IDX file: 00 00 08 d, the sizes big-endian, then `data`.
Bytes idx_file(uint8_t dimensions, const std::vector<uint32_t>& sizes, const Bytes& data, uint8_t type = 0x08) {
  Bytes bytes = {0x00, 0x00, type, dimensions};
  for (uint32_t size : sizes) {
    for (int shift : {24, 16, 8, 0}) bytes.push_back(static_cast<uint8_t>(size >> shift));
  }
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

Bytes counting(std::size_t count, int step = 7) {
  Bytes data(count);
  for (std::size_t i = 0; i < count; ++i) data[i] = static_cast<uint8_t>((i * step) % 256);
  return data;
}

class IdxReader : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tinytorch_idx_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_raw(const std::string& name, const Bytes& bytes) const {
    const std::string path = (dir_ / name).string();
    fs::remove(path);  // not truncate-and-rewrite: ext4 flushes such files to disk on close
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    return path;
  }

  std::string write_gzip(const std::string& name, const Bytes& bytes) const {
    const std::string path = (dir_ / name).string();
    gzFile file = gzopen(path.c_str(), "wb");
    EXPECT_NE(file, nullptr);
    if (!bytes.empty()) {
      EXPECT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    }
    gzclose(file);
    return path;
  }

  static Bytes read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  // The FileError message read_idx gives for `path` ("" if it does not throw).
  static std::string error_of(const std::string& path) {
    try {
      read_idx(path);
    } catch (const FileError& error) {
      return error.what();
    }
    return "";
  }

  fs::path dir_;
};

#define EXPECT_MESSAGE_HAS(message, text) \
  EXPECT_NE((message).find(text), std::string::npos) << "message: " << (message) << "\nexpected to contain: " << (text)

}  // namespace

TINYTORCH_CONCEPT(IdxReader, "reading IDX files (raw or gzip) and naming every way they can be broken",
                  "magic 00 00 08 d, then d sizes as big-endian uint32 (size = b0 2^24 + b1 2^16 + b2 2^8 + b3), "
                  "then prod(sizes) bytes, row-major; anything else is a FileError naming the file and the "
                  "problem");

TINYTORCH_TEST_FORMULA(IdxReader, BigEndianSizes,
                       "size = b0 2^24 + b1 2^16 + b2 2^8 + b3: 00 00 EA 60 = 60000, 12 34 56 78 = 0x12345678");
TEST_F(IdxReader, BigEndianSizes) {
  const uint8_t bytes[4] = {0x00, 0x00, 0xEA, 0x60};  // 0xEA60 = 60000
  EXPECT_EQ(read_big_endian_u32(bytes), 60000u);
  const uint8_t all[4] = {0x12, 0x34, 0x56, 0x78};
  EXPECT_EQ(read_big_endian_u32(all), 0x12345678u);  // most significant byte first
}

TINYTORCH_TEST_FORMULA(IdxReader, ReadsRawLabels,
                       "magic 0x00000801, size 5, bytes 9 0 0 3 0 -> uint8 tensor (5) = [9, 0, 0, 3, 0]");
TEST_F(IdxReader, ReadsRawLabels) {
  const Bytes labels = {9, 0, 0, 3, 0};
  Tensor t = read_idx(write_raw("labels-idx1-ubyte", idx_file(1, {5}, labels)));
  EXPECT_EQ(t.dtype(), DType::UInt8);
  EXPECT_EQ(t.shape(), (Shape{5}));
  EXPECT_EQ(t.to_int32_vector(), (std::vector<int32_t>{9, 0, 0, 3, 0}));
}

TINYTORCH_TEST_FORMULA(IdxReader, ReadsGzippedImagesWithOddSizes,
                       "gzip of magic 0x00000803, sizes (3, 5, 7) -> uint8 (3, 5, 7) with pixel k = 7k mod 256");
TEST_F(IdxReader, ReadsGzippedImagesWithOddSizes) {
  const Bytes pixels = counting(3 * 5 * 7);  // pixel k = 7k mod 256
  Tensor t = read_idx(write_gzip("images-idx3-ubyte.gz", idx_file(3, {3, 5, 7}, pixels)));
  EXPECT_EQ(t.shape(), (Shape{3, 5, 7}));
  const std::vector<int32_t> values = t.to_int32_vector();
  for (std::size_t k = 0; k < pixels.size(); ++k) ASSERT_EQ(values[k], pixels[k]) << "pixel " << k;
}

TINYTORCH_TEST_FORMULA(IdxReader, GzipAndRawGiveTheSameTensor,
                       "read_idx(raw file) == read_idx(gzip of the same bytes): shape (17, 3), equal values");
TEST_F(IdxReader, GzipAndRawGiveTheSameTensor) {
  const Bytes file = idx_file(2, {17, 3}, counting(51, 13));
  Tensor raw = read_idx(write_raw("a-idx2-ubyte", file));
  Tensor gz = read_idx(write_gzip("a-idx2-ubyte.gz", file));
  EXPECT_EQ(raw.shape(), (Shape{17, 3}));
  EXPECT_EQ(raw.to_int32_vector(), gz.to_int32_vector());
}

TINYTORCH_TEST_FORMULA(IdxReader, ZeroExamplesIsAnEmptyTensor,
                       "sizes (0, 28, 28) -> an empty tensor of shape (0, 28, 28)");
TEST_F(IdxReader, ZeroExamplesIsAnEmptyTensor) {
  Tensor t = read_idx(write_raw("empty-idx3-ubyte", idx_file(3, {0, 28, 28}, {})));
  EXPECT_EQ(t.shape(), (Shape{0, 28, 28}));
}

TINYTORCH_TEST_FORMULA(IdxReader, MissingFileIsNamed, "a missing file: FileError naming the path and no such "
                       "file");
TEST_F(IdxReader, MissingFileIsNamed) {
  const std::string path = (dir_ / "t10k-images-idx3-ubyte.gz").string();
  const std::string message = error_of(path);
  EXPECT_MESSAGE_HAS(message, path);
  EXPECT_MESSAGE_HAS(message, "no such file");
}

TINYTORCH_TEST_FORMULA(IdxReader, DirectoryIsNotAnIdxFile, "a directory: FileError ... is a directory");
TEST_F(IdxReader, DirectoryIsNotAnIdxFile) { EXPECT_MESSAGE_HAS(error_of(dir_.string()), "is a directory"); }

TINYTORCH_TEST_FORMULA(IdxReader, TruncatedPixelsSayWhatTheHeaderPromised,
                       "data shorter than prod(sizes): truncated: header promises 4x28x28 = 3136 bytes of "
                       "pixels, file holds 123 (raw and gzip)");
TEST_F(IdxReader, TruncatedPixelsSayWhatTheHeaderPromised) {
  // 4·28·28 = 3136 bytes promised, 123 present.
  const Bytes file = idx_file(3, {4, 28, 28}, counting(123));
  const std::string expected = "truncated: header promises 4×28×28 = 3136 bytes of pixels, file holds 123";
  const std::string raw_path = write_raw("t10k-images-idx3-ubyte", file);
  EXPECT_MESSAGE_HAS(error_of(raw_path), raw_path);
  EXPECT_MESSAGE_HAS(error_of(raw_path), expected);
  EXPECT_MESSAGE_HAS(error_of(write_gzip("t10k-images-idx3-ubyte.gz", file)), expected);
}

TINYTORCH_TEST_FORMULA(IdxReader, TruncatedLabels, "truncated: header promises 10 bytes of labels, file holds 6");
TEST_F(IdxReader, TruncatedLabels) {
  EXPECT_MESSAGE_HAS(error_of(write_gzip("l.gz", idx_file(1, {10}, counting(6)))),
                     "truncated: header promises 10 bytes of labels, file holds 6");
}

TINYTORCH_TEST_FORMULA(IdxReader, TruncatedHeader,
                       "a header needs 4 + 4d bytes: 9 bytes for d = 3 -> the header ends after 9 bytes; "
                       "3 dimensions need 16; fewer than 4 bytes -> too short for the 4-byte IDX magic number");
TEST_F(IdxReader, TruncatedHeader) {
  Bytes file = idx_file(3, {4, 28, 28}, {});
  file.resize(9);  // magic + one size + 1 byte of the second
  EXPECT_MESSAGE_HAS(error_of(write_raw("h", file)), "truncated: the header ends after 9 bytes; 3 dimensions need 16");
  EXPECT_MESSAGE_HAS(error_of(write_raw("two", Bytes{0x00, 0x00})),
                     "truncated: 2 bytes, too short for the 4-byte IDX magic number");
  EXPECT_MESSAGE_HAS(error_of(write_raw("zero", Bytes{})), "truncated: 0 bytes");
}

TINYTORCH_TEST_FORMULA(IdxReader, CutGzipStreamIsTruncated,
                       "half a .gz file: truncated: header promises 4x32x32 = 4096 bytes of pixels, "
                       "file holds ... (gzip stream ends early)");
TEST_F(IdxReader, CutGzipStreamIsTruncated) {
  // Compress a file whose pixels do not compress well, then cut the .gz in half.
  Bytes pixels(64 * 64);
  uint32_t state = 12345;
  for (uint8_t& p : pixels) p = static_cast<uint8_t>((state = state * 1103515245u + 12345u) >> 24);
  const std::string whole = write_gzip("whole.gz", idx_file(3, {4, 32, 32}, pixels));
  Bytes compressed = read_all(whole);
  compressed.resize(compressed.size() / 2);
  const std::string message = error_of(write_raw("cut.gz", compressed));
  EXPECT_MESSAGE_HAS(message, "truncated: header promises 4×32×32 = 4096 bytes of pixels, file holds ");
  EXPECT_MESSAGE_HAS(message, "gzip stream ends early");
}

TINYTORCH_TEST_FORMULA(IdxReader, CorruptGzipDataIsAFileError,
                       "a flipped byte in the deflate stream gives a FileError (bad data or CRC-32) or, rarely, "
                       "a file of the right size (512 elements); never a crash");
TEST_F(IdxReader, CorruptGzipDataIsAFileError) {
  // Flipping bytes inside the deflate stream breaks the data or its CRC-32: an error, never a crash.
  const Bytes file = idx_file(3, {2, 16, 16}, counting(512, 3));
  const Bytes compressed = read_all(write_gzip("good.gz", file));
  for (std::size_t at = 10; at + 8 < compressed.size(); ++at) {
    Bytes broken = compressed;
    broken[at] ^= 0x5A;
    const std::string path = write_raw("broken.gz", broken);
    try {
      Tensor t = read_idx(path);
      // A flip can, rarely, still decode to a valid file; then it must be the right size.
      EXPECT_EQ(t.numel(), 512) << "flip at " << at;
    } catch (const FileError&) {
    }
  }
}

TINYTORCH_TEST_FORMULA(IdxReader, WrongMagic, "type byte 0x09 instead of 0x08: wrong magic number 0x00000901");
TEST_F(IdxReader, WrongMagic) {
  // 0x00000903: type 0x09 (signed byte) is a valid IDX type, but not what these datasets hold.
  EXPECT_MESSAGE_HAS(error_of(write_raw("m", idx_file(1, {2}, {1, 2}, 0x09))), "wrong magic number 0x00000901");
}

TINYTORCH_TEST_FORMULA(IdxReader, BadDimensionCount, "d must be 1..3: d = 0 or 4 -> bad dimension count d");
TEST_F(IdxReader, BadDimensionCount) {
  EXPECT_MESSAGE_HAS(error_of(write_raw("d0", idx_file(0, {}, {1}))), "bad dimension count 0");
  EXPECT_MESSAGE_HAS(error_of(write_gzip("d4.gz", idx_file(4, {1, 1, 1, 1}, {1}))), "bad dimension count 4");
}

TINYTORCH_TEST_FORMULA(IdxReader, TrailingGarbage,
                       "bytes after prod(sizes): trailing garbage: 7 bytes after the data "
                       "(header promises 3 bytes of labels)");
TEST_F(IdxReader, TrailingGarbage) {
  Bytes file = idx_file(1, {3}, {1, 2, 3});
  file.insert(file.end(), {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02});
  const std::string expected = "trailing garbage: 7 bytes after the data (header promises 3 bytes of labels)";
  EXPECT_MESSAGE_HAS(error_of(write_raw("t", file)), expected);
  EXPECT_MESSAGE_HAS(error_of(write_gzip("t.gz", file)), expected);
}

TINYTORCH_TEST_FORMULA(IdxReader, NeitherGzipNorIdx,
                       "first 4 bytes neither gzip nor IDX magic: neither a gzip file nor an IDX file: it starts "
                       "with 0x68656c6c; inside gzip: the gzip content is not an IDX file");
TEST_F(IdxReader, NeitherGzipNorIdx) {
  const std::string text = "hello, world\n";
  EXPECT_MESSAGE_HAS(error_of(write_raw("hello.txt", Bytes(text.begin(), text.end()))),
                     "neither a gzip file nor an IDX file: it starts with 0x68656c6c");  // "hell"
  EXPECT_MESSAGE_HAS(error_of(write_gzip("hello.gz", Bytes(text.begin(), text.end()))),
                     "the gzip content is not an IDX file: magic number 0x68656c6c");
}

TINYTORCH_TEST_FORMULA(IdxReader, ImpossibleSizesAreTruncatedNotAllocated,
                       "prod(sizes) larger than the file is truncated before any allocation: header promises "
                       "4294967295x4294967295x4294967295 bytes of pixels, file holds 10");
TEST_F(IdxReader, ImpossibleSizesAreTruncatedNotAllocated) {
  // 2^32-1 cubed bytes cannot be in a 26-byte file: no allocation is tried.
  const std::string message =
      error_of(write_raw("huge", idx_file(3, {0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF}, counting(10))));
  EXPECT_MESSAGE_HAS(message, "truncated: header promises 4294967295×4294967295×4294967295 bytes of pixels");
  EXPECT_MESSAGE_HAS(message, "file holds 10");
  EXPECT_MESSAGE_HAS(error_of(write_gzip("big.gz", idx_file(3, {60000, 1000, 1000}, counting(10)))),
                     "header promises 60000×1000×1000 = 60000000000 bytes of pixels, file holds 10");
}
