// error.cpp — formatting helpers shared by every error message.
#include "tinytorch/core/error.hpp"

namespace tinytorch {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (d > 0) text += ", ";
    text += std::to_string(shape[d]);
  }
  if (shape.size() == 1) text += ",";  // (5,) like Python, so a 1-D shape reads as a tuple
  return text + ")";
}

}  // namespace tinytorch
