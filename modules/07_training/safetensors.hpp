// safetensors.hpp — save and load named tensors in Hugging Face's safetensors format.
//
// A trained model is a list of named tensors ("0.weight", "0.bias", ...). The
// safetensors format (github.com/huggingface/safetensors) stores them with
// nothing executable in the file — unlike Python's pickle — and is read by
// PyTorch, JAX, Candle and llama.cpp's converters alike:
//
//   bytes [0, 8)          N, the header length: a little-endian uint64
//   bytes [8, 8 + N)      the header: UTF-8 JSON, padded with spaces to a multiple of 8
//     {"__metadata__": {"format": "pt"},                          optional, string -> string
//      "0.weight": {"dtype": "F32", "shape": [256, 784], "data_offsets": [0, 802816]},
//      "0.bias":   {"dtype": "F32", "shape": [256],      "data_offsets": [802816, 803840]}, ...}
//   bytes [8 + N, end)    the buffer: each tensor's elements, row-major, little-endian
//
// data_offsets = [begin, end) are byte offsets into the buffer, and
//   end - begin = prod(shape) · dtype_size(dtype).
// The tensors tile the buffer exactly: sorted by offset, each begins where the
// previous one ends, the first at 0, the last at the end of the file.
//
// A file comes from outside, so load_safetensors checks every one of these rules
// and throws FileError naming the file and the rule it breaks; a corrupt file
// never reads out of bounds or allocates more than the file's size.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tinytorch/core/tensor.hpp"

namespace tinytorch {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

struct SafetensorsFile {
  NamedTensors tensors;                         // in buffer order (for our files: the order saved)
  std::map<std::string, std::string> metadata;  // the "__metadata__" entry, empty if absent

  bool contains(const std::string& name) const;
  // The tensor called `name` (IndexError naming the tensors that exist if none is).
  const Tensor& at(const std::string& name) const;
};

// Writes `tensors` (in this order) and `metadata` to `path` atomically: the
// bytes go to "path.tmp.<pid>", are flushed to disk (fsync), and the temporary
// file is renamed over `path`. A crash leaves the old file or the new one,
// never half of one; on any error the temporary file is removed and FileError
// thrown. Non-contiguous tensors are written contiguously. Names must be
// unique, non-empty and not "__metadata__" (ValueError).
void save_safetensors(const std::string& path, const NamedTensors& tensors,
                      const std::map<std::string, std::string>& metadata = {});

// Reads and checks a safetensors file (FileError naming the file and the problem).
SafetensorsFile load_safetensors(const std::string& path);

// The safetensors name of a dtype ("F32", "I8", "U8", "I32", "I64", "F16", "BF16").
std::string_view safetensors_dtype_code(DType dtype);

}  // namespace tinytorch
