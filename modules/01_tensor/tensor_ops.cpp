// tensor_ops.cpp — the forward math of module 01: broadcasting element-wise
// operations, reductions over an axis, and matrix multiply through OpenBLAS.
//
// None of these record a graph; module 05 wraps them into the differentiable
// operators (operator+, sum, matmul, ...) that the rest of TinyTorch calls.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "tinytorch/core/blas.hpp"
#include "tinytorch/core/tensor.hpp"

namespace tinytorch::ops {
namespace {

void check_float32(const Tensor& t, const char* operation) {
  if (!t.defined()) throw ValueError(std::string(operation) + ": the tensor is undefined");
  if (t.dtype() != DType::Float32) {
    throw DTypeError(std::string(operation) + ": tensor of shape " + shape_str(t.shape()) + " holds " +
                     std::string(dtype_name(t.dtype())) + "; expected float32");
  }
}

int64_t resolve_axis(int64_t axis, int64_t rank, const char* operation, const Shape& shape) {
  const int64_t resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank) {
    throw IndexError(std::string(operation) + ": axis " + std::to_string(axis) + " is out of range for shape " +
                     shape_str(shape) + " (expected -" + std::to_string(rank) + " <= axis < " +
                     std::to_string(rank) + ")");
  }
  return resolved;
}

// The strides with which `t` is read when broadcast to `out_shape`: a broadcast
// axis (size 1, or missing on the left) gets stride 0, so the same element is
// read again and again — broadcasting never copies.
[[maybe_unused]] Shape broadcast_strides(const Tensor& t, const Shape& out_shape) {
  Shape strides(out_shape.size(), 0);
  // BEGIN SOLUTION
  const std::size_t lead = out_shape.size() - t.shape().size();
  for (std::size_t d = 0; d < t.shape().size(); ++d) {
    strides[lead + d] = t.shape()[d] == 1 ? 0 : t.strides()[d];
  }
  // END SOLUTION
  return strides;
}

// out[i] = op(a[i], b[i]) over the broadcast shape. The innermost axis is a
// plain loop (unit or zero strides vectorise); the outer axes step like an odometer.
template <typename Op> Tensor binary_elementwise(const Tensor& a, const Tensor& b, Op op, const char* operation) {
  check_float32(a, operation);
  check_float32(b, operation);
  const Shape out_shape = broadcast_shapes(a.shape(), b.shape(), operation);
  Tensor out = Tensor::empty(out_shape);
  float* o = out.data<float>();
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  const int64_t count = out.numel();
  if (a.shape() == b.shape() && a.is_contiguous() && b.is_contiguous()) {  // the common case
    for (int64_t i = 0; i < count; ++i) o[i] = op(pa[i], pb[i]);
    return out;
  }
  if (count == 0) return out;
  if (out_shape.empty()) {
    o[0] = op(pa[0], pb[0]);
    return out;
  }
  // BEGIN SOLUTION
  const Shape stride_a = broadcast_strides(a, out_shape);
  const Shape stride_b = broadcast_strides(b, out_shape);
  const std::size_t last = out_shape.size() - 1;
  const int64_t inner = out_shape[last];
  const int64_t inner_a = stride_a[last], inner_b = stride_b[last];
  std::vector<int64_t> index(last, 0);
  int64_t offset_a = 0, offset_b = 0;
  for (int64_t row = 0; row < count / inner; ++row) {
    float* o_row = o + row * inner;
    const float* a_row = pa + offset_a;
    const float* b_row = pb + offset_b;
    if (inner_a == 1 && inner_b == 1) {
      for (int64_t j = 0; j < inner; ++j) o_row[j] = op(a_row[j], b_row[j]);
    } else if (inner_a == 1 && inner_b == 0) {
      for (int64_t j = 0; j < inner; ++j) o_row[j] = op(a_row[j], b_row[0]);
    } else {
      for (int64_t j = 0; j < inner; ++j) o_row[j] = op(a_row[j * inner_a], b_row[j * inner_b]);
    }
    for (std::size_t d = last; d-- > 0;) {  // next row of the outer axes
      offset_a += stride_a[d];
      offset_b += stride_b[d];
      if (++index[d] < out_shape[d]) break;
      offset_a -= stride_a[d] * out_shape[d];
      offset_b -= stride_b[d] * out_shape[d];
      index[d] = 0;
    }
  }
  // END SOLUTION
  return out;
}

// out[i] = op(a[i]).
template <typename Op> Tensor unary_elementwise(const Tensor& a, Op op, const char* operation) {
  check_float32(a, operation);
  const Tensor source = a.contiguous();
  Tensor out = Tensor::empty(a.shape());
  const float* in = source.data<float>();
  float* o = out.data<float>();
  const int64_t count = out.numel();
  for (int64_t i = 0; i < count; ++i) o[i] = op(in[i]);
  return out;
}

// A reduction sees a contiguous tensor as (outer, n, inner): n is the reduced axis.
struct ReductionView {
  int64_t outer = 1, n = 1, inner = 1;
  Shape out_shape;
};

ReductionView reduction_view(const Tensor& a, int64_t axis, bool keepdim, const char* operation) {
  const int64_t resolved = resolve_axis(axis, a.dim(), operation, a.shape());
  ReductionView view;
  for (int64_t d = 0; d < a.dim(); ++d) {
    const int64_t size = a.shape()[static_cast<std::size_t>(d)];
    if (d < resolved) view.outer *= size;
    if (d == resolved) view.n = size;
    if (d > resolved) view.inner *= size;
    if (d != resolved) view.out_shape.push_back(size);
    if (d == resolved && keepdim) view.out_shape.push_back(1);
  }
  return view;
}

}  // namespace

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* operation) {
  const std::size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  // BEGIN SOLUTION
  for (std::size_t i = 0; i < rank; ++i) {  // i counts axes from the right
    const int64_t size_a = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int64_t size_b = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (size_a != size_b && size_a != 1 && size_b != 1) {
      throw ShapeError(std::string(operation) + ": shapes " + shape_str(a) + " and " + shape_str(b) +
                       " cannot broadcast: axis -" + std::to_string(i + 1) + " has sizes " + std::to_string(size_a) +
                       " and " + std::to_string(size_b) + " (expected equal sizes, or one of them 1)");
    }
    out[rank - 1 - i] = size_a == 1 ? size_b : size_a;
  }
  // END SOLUTION
  return out;
}

Tensor add(const Tensor& a, const Tensor& b) {
  // BEGIN SOLUTION
  return binary_elementwise(a, b, std::plus<float>(), "add");
  // END SOLUTION
}
Tensor sub(const Tensor& a, const Tensor& b) {
  // BEGIN SOLUTION
  return binary_elementwise(a, b, std::minus<float>(), "sub");
  // END SOLUTION
}
Tensor mul(const Tensor& a, const Tensor& b) {
  // BEGIN SOLUTION
  return binary_elementwise(a, b, std::multiplies<float>(), "mul");
  // END SOLUTION
}
Tensor div(const Tensor& a, const Tensor& b) {
  // BEGIN SOLUTION
  return binary_elementwise(a, b, std::divides<float>(), "div");
  // END SOLUTION
}

Tensor add_scalar(const Tensor& a, float s) {
  return unary_elementwise(a, [s](float x) { return x + s; }, "add_scalar");
}
Tensor mul_scalar(const Tensor& a, float s) {
  return unary_elementwise(a, [s](float x) { return x * s; }, "mul_scalar");
}
Tensor neg(const Tensor& a) {
  return unary_elementwise(a, [](float x) { return -x; }, "neg");
}
Tensor exp(const Tensor& a) {
  return unary_elementwise(a, [](float x) { return std::exp(x); }, "exp");
}
Tensor log(const Tensor& a) {
  return unary_elementwise(a, [](float x) { return std::log(x); }, "log");
}
Tensor sqrt(const Tensor& a) {
  return unary_elementwise(a, [](float x) { return std::sqrt(x); }, "sqrt");
}
Tensor pow_scalar(const Tensor& a, float exponent) {
  return unary_elementwise(a, [exponent](float x) { return std::pow(x, exponent); }, "pow");
}

// out[o, i] = Σ_j a[o, j, i]
Tensor sum(const Tensor& a, int64_t axis, bool keepdim) {
  check_float32(a, "sum");
  const ReductionView view = reduction_view(a, axis, keepdim, "sum");
  const Tensor source = a.contiguous();
  Tensor out = Tensor::zeros(view.out_shape);
  // BEGIN SOLUTION
  const float* in = source.data<float>();
  float* o = out.data<float>();
  for (int64_t outer = 0; outer < view.outer; ++outer) {
    float* o_row = o + outer * view.inner;
    for (int64_t j = 0; j < view.n; ++j) {  // add whole rows: the inner loop vectorises
      const float* in_row = in + (outer * view.n + j) * view.inner;
      for (int64_t i = 0; i < view.inner; ++i) o_row[i] += in_row[i];
    }
  }
  // END SOLUTION
  return out;
}

Tensor sum_all(const Tensor& a) {
  check_float32(a, "sum");
  const Tensor source = a.contiguous();
  const float* in = source.data<float>();
  double total = 0.0;  // double: a float running sum of 10^6 terms drifts visibly
  // BEGIN SOLUTION
  for (int64_t i = 0; i < source.numel(); ++i) total += in[i];
  // END SOLUTION
  return Tensor::scalar(static_cast<float>(total));
}

// mean = sum / n
Tensor mean(const Tensor& a, int64_t axis, bool keepdim) {
  const int64_t n = a.size(axis);
  if (n == 0) throw ShapeError("mean: axis " + std::to_string(axis) + " of shape " + shape_str(a.shape()) + " is empty");
  // BEGIN SOLUTION
  return mul_scalar(ops::sum(a, axis, keepdim), 1.0f / static_cast<float>(n));
  // END SOLUTION
}

Tensor mean_all(const Tensor& a) {
  if (a.numel() == 0) throw ShapeError("mean: tensor of shape " + shape_str(a.shape()) + " is empty");
  // BEGIN SOLUTION
  return Tensor::scalar(sum_all(a).item() / static_cast<float>(a.numel()));
  // END SOLUTION
}

// out[o, i] = max_j a[o, j, i]
Tensor max(const Tensor& a, int64_t axis, bool keepdim) {
  check_float32(a, "max");
  const ReductionView view = reduction_view(a, axis, keepdim, "max");
  if (view.n == 0) throw ShapeError("max: axis " + std::to_string(axis) + " of shape " + shape_str(a.shape()) + " is empty");
  const Tensor source = a.contiguous();
  Tensor out = Tensor::full(view.out_shape, -std::numeric_limits<float>::infinity());
  // BEGIN SOLUTION
  const float* in = source.data<float>();
  float* o = out.data<float>();
  for (int64_t outer = 0; outer < view.outer; ++outer) {
    float* o_row = o + outer * view.inner;
    for (int64_t j = 0; j < view.n; ++j) {
      const float* in_row = in + (outer * view.n + j) * view.inner;
      for (int64_t i = 0; i < view.inner; ++i) o_row[i] = std::max(o_row[i], in_row[i]);
    }
  }
  // END SOLUTION
  return out;
}

// out[o, i] = the first j with a[o, j, i] = max_j a[o, j, i]  (int32)
Tensor argmax(const Tensor& a, int64_t axis) {
  check_float32(a, "argmax");
  const ReductionView view = reduction_view(a, axis, false, "argmax");
  if (view.n == 0) throw ShapeError("argmax: axis " + std::to_string(axis) + " of shape " + shape_str(a.shape()) + " is empty");
  const Tensor source = a.contiguous();
  Tensor out = Tensor::zeros(view.out_shape, DType::Int32);
  // BEGIN SOLUTION
  const float* in = source.data<float>();
  int32_t* o = out.data<int32_t>();
  for (int64_t outer = 0; outer < view.outer; ++outer) {
    for (int64_t i = 0; i < view.inner; ++i) {
      const float* column = in + outer * view.n * view.inner + i;
      int64_t best = 0;
      for (int64_t j = 1; j < view.n; ++j) {
        if (column[j * view.inner] > column[best * view.inner]) best = j;
      }
      o[outer * view.inner + i] = static_cast<int32_t>(best);
    }
  }
  // END SOLUTION
  return out;
}

// Undo broadcasting: sum over every axis where `shape` has size 1 (or is
// missing on the left) but `a` does not. The gradient of a broadcast input.
Tensor sum_to_shape(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  const Shape check = broadcast_shapes(a.shape(), shape, "sum_to_shape");
  if (check != a.shape()) {
    throw ShapeError("sum_to_shape: " + shape_str(a.shape()) + " is not a broadcast of " + shape_str(shape));
  }
  // BEGIN SOLUTION
  Tensor result = a;
  const std::size_t lead = a.shape().size() - shape.size();
  for (std::size_t d = 0; d < lead; ++d) result = ops::sum(result, 0, false);  // the missing leading axes
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1 && result.shape()[d] != 1) result = ops::sum(result, static_cast<int64_t>(d), true);
  }
  return ops::reshape(result, shape);
  // END SOLUTION
}

Tensor reshape(const Tensor& a, const Shape& new_shape) {
  Shape shape = new_shape;
  int64_t known = 1;
  int64_t infer_axis = -1;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == -1) {
      if (infer_axis >= 0) throw ShapeError("reshape: more than one -1 in " + shape_str(new_shape));
      infer_axis = static_cast<int64_t>(d);
    } else if (shape[d] < 0) {
      throw ShapeError("reshape: negative size in " + shape_str(new_shape));
    } else {
      known *= shape[d];
    }
  }
  if (infer_axis >= 0) {
    if (known == 0 || a.numel() % known != 0) {
      throw ShapeError("reshape: cannot infer -1 in " + shape_str(new_shape) + " for " + std::to_string(a.numel()) +
                       " elements");
    }
    shape[static_cast<std::size_t>(infer_axis)] = a.numel() / known;
  }
  if (shape_numel(shape) != a.numel()) {
    throw ShapeError("reshape: cannot view shape " + shape_str(a.shape()) + " (" + std::to_string(a.numel()) +
                     " elements) as " + shape_str(new_shape) + " (" + std::to_string(shape_numel(shape)) +
                     " elements); expected equal element counts");
  }
  // BEGIN SOLUTION
  const Tensor source = a.contiguous();  // a view when possible, a copy otherwise
  return Tensor(source.storage(), shape, contiguous_strides(shape), source.offset(), source.dtype());
  // END SOLUTION
}

Tensor transpose(const Tensor& a, int64_t axis0, int64_t axis1) {
  const int64_t first = resolve_axis(axis0, a.dim(), "transpose", a.shape());
  const int64_t second = resolve_axis(axis1, a.dim(), "transpose", a.shape());
  // BEGIN SOLUTION
  Shape shape = a.shape();
  Shape strides = a.strides();
  std::swap(shape[static_cast<std::size_t>(first)], shape[static_cast<std::size_t>(second)]);
  std::swap(strides[static_cast<std::size_t>(first)], strides[static_cast<std::size_t>(second)]);
  return Tensor(a.storage(), shape, strides, a.offset(), a.dtype());
  // END SOLUTION
}

namespace {

// How a 2-D view is handed to BLAS without copying: row-major rows with a
// leading dimension (stride of axis 0), or a transposed view (stride of axis 1 > 1,
// stride of axis 0 == 1) passed as "transpose" with the other stride as leading dimension.
struct BlasOperand {
  Tensor tensor;  // the tensor whose memory BLAS reads (a copy only if strides are irregular)
  bool transposed = false;
  int leading_dimension = 1;
};

[[maybe_unused]] BlasOperand as_blas_operand(const Tensor& t) {
  const int64_t rows = t.shape()[0], cols = t.shape()[1];
  if (t.strides()[1] == 1 || cols == 1) {
    return {t, false, static_cast<int>(std::max<int64_t>({t.strides()[0], cols, 1}))};
  }
  if (t.strides()[0] == 1 || rows == 1) {
    return {t, true, static_cast<int>(std::max<int64_t>({t.strides()[1], rows, 1}))};
  }
  const Tensor packed = t.contiguous();
  return {packed, false, static_cast<int>(std::max<int64_t>(cols, 1))};
}

}  // namespace

// C(M,N) = op(A)(M,K) @ op(B)(K,N), one sgemm call.
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a, bool trans_b) {
  check_float32(a, "matmul");
  check_float32(b, "matmul");
  if (a.dim() != 2 || b.dim() != 2) {
    throw ShapeError("matmul: expected 2-D tensors, got a " + shape_str(a.shape()) + " and b " + shape_str(b.shape()));
  }
  const int64_t m = trans_a ? a.shape()[1] : a.shape()[0];
  const int64_t k = trans_a ? a.shape()[0] : a.shape()[1];
  const int64_t k_b = trans_b ? b.shape()[1] : b.shape()[0];
  const int64_t n = trans_b ? b.shape()[0] : b.shape()[1];
  if (k != k_b) {
    throw ShapeError("matmul: inner dimensions differ: op(a) is " + shape_str({m, k}) + ", op(b) is " +
                     shape_str({k_b, n}) + " (a " + shape_str(a.shape()) + (trans_a ? " transposed" : "") + ", b " +
                     shape_str(b.shape()) + (trans_b ? " transposed" : "") + "); expected equal inner sizes");
  }
  if (m == 0 || n == 0 || k == 0) return Tensor::zeros({m, n});  // an empty sum is 0
  Tensor c = Tensor::empty({m, n});  // sgemm with beta = 0 writes every element
  // BEGIN SOLUTION
  const BlasOperand left = as_blas_operand(a);
  const BlasOperand right = as_blas_operand(b);
  sgemm(trans_a != left.transposed, trans_b != right.transposed, static_cast<int>(m), static_cast<int>(n),
        static_cast<int>(k), 1.0f, left.tensor.data<float>(), left.leading_dimension, right.tensor.data<float>(),
        right.leading_dimension, 0.0f, c.data<float>(), static_cast<int>(n));
  // END SOLUTION
  return c;
}

}  // namespace tinytorch::ops
