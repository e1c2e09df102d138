// error.hpp — the one error type of TinyTorch, and its kinds.
//
// Every user-facing failure throws a subclass of tinytorch::Error whose message
// names the operation, the offending shapes or values, and what was expected:
//   "matmul: inner dimensions differ: a is (3, 4), b is (5, 2); expected a.shape[1] == b.shape[0]"
// Nothing prints-and-returns, nothing aborts on user input.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tinytorch {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A shape does not fit the operation (matmul inner dims, broadcasting, reshape size).
class ShapeError : public Error { using Error::Error; };
// A value is out of its domain (NaN in a calibration batch, negative size, bad argument).
class ValueError : public Error { using Error::Error; };
// A tensor has the wrong element type for the operation.
class DTypeError : public Error { using Error::Error; };
// An index or axis is out of range.
class IndexError : public Error { using Error::Error; };
// A file is missing, truncated or corrupt (datasets, model files, module.yaml).
class FileError : public Error { using Error::Error; };
// A student stub that has not been written yet: "15_quantization: quantize_int8".
class NotImplemented : public Error { using Error::Error; };

// "(3, 4)" — how every message prints a shape.
std::string shape_str(const std::vector<int64_t>& shape);

}  // namespace tinytorch
