// activations.cpp — the forward math of module 02: element-wise activations
// (relu, sigmoid, tanh, gelu) and the axis-wise softmax / log_softmax.
//
// Every function returns a new contiguous float32 tensor of the input's shape.
// Their gradients are module 05's (autograd_nn.cpp).
#include "tinytorch/core/activations.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace tinytorch::ops {
namespace {

void check_float32(const Tensor& x, const char* operation) {
  if (!x.defined()) throw ValueError(std::string(operation) + ": the tensor is undefined");
  if (x.dtype() != DType::Float32) {
    throw DTypeError(std::string(operation) + ": tensor of shape " + shape_str(x.shape()) + " holds " +
                     std::string(dtype_name(x.dtype())) + "; expected float32");
  }
}

// out[i] = f(x[i]) over a contiguous copy (or view) of x.
template <typename F> Tensor map_elementwise(const Tensor& x, F f, const char* operation) {
  check_float32(x, operation);
  const Tensor source = x.contiguous();
  Tensor out = Tensor::empty(x.shape());
  const float* in = source.data<float>();
  float* o = out.data<float>();
  const int64_t count = out.numel();
  for (int64_t i = 0; i < count; ++i) o[i] = f(in[i]);
  return out;
}

// A contiguous tensor seen as (outer, n, inner), n the softmax axis: the
// elements of one "line" along the axis are `inner` apart. For the usual
// axis = -1, inner = 1 and every line is a contiguous row.
struct AxisLines {
  int64_t outer = 1, n = 1, inner = 1;
};

AxisLines axis_lines(const Tensor& x, int64_t axis, const char* operation) {
  const int64_t rank = x.dim();
  const int64_t resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank) {
    throw IndexError(std::string(operation) + ": axis " + std::to_string(axis) + " is out of range for shape " +
                     shape_str(x.shape()) + " (expected -" + std::to_string(rank) + " <= axis < " +
                     std::to_string(rank) + ")");
  }
  AxisLines lines;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t size = x.shape()[static_cast<std::size_t>(d)];
    if (d < resolved) lines.outer *= size;
    if (d == resolved) lines.n = size;
    if (d > resolved) lines.inner *= size;
  }
  return lines;
}

// Calls line(in, out, stride) for every line along the axis.
template <typename Line> Tensor map_lines(const Tensor& x, int64_t axis, Line line, const char* operation) {
  check_float32(x, operation);
  const AxisLines lines = axis_lines(x, axis, operation);
  const Tensor source = x.contiguous();
  Tensor out = Tensor::empty(x.shape());
  const float* in = source.data<float>();
  float* o = out.data<float>();
  for (int64_t outer = 0; outer < lines.outer; ++outer) {
    for (int64_t i = 0; i < lines.inner; ++i) {
      const int64_t start = outer * lines.n * lines.inner + i;
      line(in + start, o + start, lines.n, lines.inner);
    }
  }
  return out;
}

[[maybe_unused]] float line_max(const float* x, int64_t n, int64_t stride) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < n; ++j) m = std::max(m, x[j * stride]);
  return m;
}

}  // namespace

// (1) relu(x) = max(0, x)
Tensor relu(const Tensor& x) {
  return map_elementwise(x, [](float v) -> float {
    // BEGIN SOLUTION
    return v > 0.0f ? v : 0.0f;
    // END SOLUTION
  }, "relu");
}

// (2) sigmoid(x) = 1 / (1 + e^-x). For x < 0, e^-x overflows to inf when
// x < -88; the same value written as e^x / (1 + e^x) only ever takes e^(negative).
Tensor sigmoid(const Tensor& x) {
  return map_elementwise(x, [](float v) -> float {
    // BEGIN SOLUTION
    if (v >= 0.0f) return 1.0f / (1.0f + std::exp(-v));
    const float e = std::exp(v);
    return e / (1.0f + e);
    // END SOLUTION
  }, "sigmoid");
}

// (3) std::tanh is already stable: it saturates to ±1 without overflow.
Tensor tanh(const Tensor& x) {
  return map_elementwise(x, [](float v) -> float {
    // BEGIN SOLUTION
    return std::tanh(v);
    // END SOLUTION
  }, "tanh");
}

// (4) gelu(x) = 0.5 x (1 + erf(x / √2)), the exact form.
Tensor gelu(const Tensor& x) {
  return map_elementwise(x, [](float v) -> float {
    // BEGIN SOLUTION
    constexpr float kInvSqrt2 = 0.70710678118654752f;
    return 0.5f * v * (1.0f + std::erf(v * kInvSqrt2));
    // END SOLUTION
  }, "gelu");
}

// (5) softmax_i = e^(x_i - m) / Σ_j e^(x_j - m), m = max_j x_j
Tensor softmax(const Tensor& x, int64_t axis) {
  return map_lines(x, axis, [](const float* in, float* out, int64_t n, int64_t stride) {
    // BEGIN SOLUTION
    const float m = line_max(in, n, stride);
    float total = 0.0f;
    for (int64_t j = 0; j < n; ++j) {
      out[j * stride] = std::exp(in[j * stride] - m);
      total += out[j * stride];
    }
    const float inv_total = 1.0f / total;
    for (int64_t j = 0; j < n; ++j) out[j * stride] *= inv_total;
    // END SOLUTION
  }, "softmax");
}

// (6) log_softmax_i = x_i - (m + log Σ_j e^(x_j - m)); the bracket is logsumexp(x).
Tensor log_softmax(const Tensor& x, int64_t axis) {
  return map_lines(x, axis, [](const float* in, float* out, int64_t n, int64_t stride) {
    // BEGIN SOLUTION
    const float m = line_max(in, n, stride);
    float total = 0.0f;
    for (int64_t j = 0; j < n; ++j) total += std::exp(in[j * stride] - m);
    const float log_sum_exp = m + std::log(total);
    for (int64_t j = 0; j < n; ++j) out[j * stride] = in[j * stride] - log_sum_exp;
    // END SOLUTION
  }, "log_softmax");
}

}  // namespace tinytorch::ops
