// error.cpp — formatting helpers shared by every error message.
#include "tinytorch/core/error.hpp"

namespace tinytorch {

std::string shape_str(const std::vector<int64_t>& shape) {
  // Built with append(): GCC 12 gives a false -Wrestrict warning on "(" + std::string.
  std::string text(1, '(');
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (d > 0) text.append(", ");
    text.append(std::to_string(shape[d]));
  }
  if (shape.size() == 1) text.push_back(',');  // (5,) like Python, so a 1-D shape reads as a tuple
  text.push_back(')');
  return text;
}

}  // namespace tinytorch
