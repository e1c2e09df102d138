// idx_reader.hpp — Module 08: read the IDX files that hold MNIST and Fashion-MNIST.
//
// The IDX format (LeCun & Cortes, the MNIST page) is a 4-byte magic number, one
// size per dimension, then the elements, row-major:
//
//   offset 0   0x00 0x00       two zero bytes
//          2   0x08            element type: unsigned byte (the only type these datasets use)
//          3   d               number of dimensions: 1 for labels, 3 for images
//          4   size_0 .. size_{d-1}    each a big-endian uint32
//    4 + 4d    prod(size_k) bytes of data
//
//   labels: magic 0x00000801, sizes (N)          images: magic 0x00000803, sizes (N, 28, 28)
//
// Big-endian means the most significant byte comes first:
//   size = b0·2^24 + b1·2^16 + b2·2^8 + b3      (00 00 EA 60 = 60000)
//
// The files are usually gzip-compressed (*.gz); read_idx reads both, because
// zlib's gzread passes a file that is not gzip through unchanged.
#pragma once

#include <cstdint>
#include <string>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

// The IDX file at `path` (gzip or raw) as a uint8 tensor of the stored sizes.
// FileError naming the file and the problem when it is missing, truncated,
// has a wrong magic number or dimension count, or holds bytes after the data.
Tensor read_idx(const std::string& path);

// size = b0·2^24 + b1·2^16 + b2·2^8 + b3 (IDX stores its sizes big-endian).
uint32_t read_big_endian_u32(const uint8_t* bytes);

}  // namespace tinytorch
