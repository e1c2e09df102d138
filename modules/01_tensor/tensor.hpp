// tensor.hpp — Module 01: the Tensor, TinyTorch's one data structure.
//
// A Tensor is a *view*: a shape, strides (in elements) and an offset into a
// shared, contiguous, 64-byte-aligned Storage. Copying a Tensor copies the view,
// not the data — two copies see each other's writes, exactly as in PyTorch.
// Reshape of a contiguous tensor and transpose are views too; clone() and
// contiguous() make fresh storage.
//
//   element (i, j) of a 2-D tensor lives at  storage[offset + i*strides[0] + j*strides[1]]
//
// What this module teaches (you write the parts between BEGIN/END SOLUTION in
// tensor.cpp and tensor_ops.cpp): creation, broadcasting element-wise math,
// reductions over an axis, and matrix multiply through OpenBLAS.
//
// Two layers of operations:
//   * ops::add, ops::matmul, ... — the plain forward math, written in this module.
//   * operator+, matmul(a, b), sum(x, axis), ... — the functions everyone else
//     calls. They are declared here but *defined in module 05 (autograd)*, which
//     calls the ops:: math and, when an input requires a gradient, records the
//     operation so that loss.backward() can run it in reverse.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/core/dtype.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/core/storage.hpp"

namespace tinytorch {

using Shape = std::vector<int64_t>;

struct AutogradMeta;  // module 05: requires_grad, grad, the node that produced the tensor

// Number of elements of a shape: the product of its sizes (1 for a scalar shape {}).
int64_t shape_numel(const Shape& shape);
// Row-major strides of a contiguous tensor: strides[d] = prod(shape[d+1:]).
Shape contiguous_strides(const Shape& shape);

class Tensor {
 public:
  // An undefined tensor (no storage). defined() is false; most operations throw.
  Tensor() = default;

  // ---- creation --------------------------------------------------------------
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32);  // uninitialised
  static Tensor zeros(const Shape& shape, DType dtype = DType::Float32);
  static Tensor ones(const Shape& shape);
  static Tensor full(const Shape& shape, float value);
  static Tensor scalar(float value);  // shape {}
  // [start, start+step, ...) up to (not including) end: arange(0, 5) = 0 1 2 3 4.
  static Tensor arange(float start, float end, float step = 1.0f);
  // Copies `values` (row-major) into a new tensor of `shape`; sizes must agree.
  static Tensor from_values(const std::vector<float>& values, const Shape& shape);
  static Tensor from_values(const std::vector<float>& values);  // 1-D
  static Tensor from_int32(const std::vector<int32_t>& values, const Shape& shape);
  // Normal(mean, std) and Uniform[low, high) samples drawn from `generator`
  // (default: the global generator, seeded by manual_seed()).
  static Tensor randn(const Shape& shape, float mean = 0.0f, float std = 1.0f,
                      Generator& generator = default_generator());
  static Tensor uniform(const Shape& shape, float low, float high,
                        Generator& generator = default_generator());

  // ---- what it is ------------------------------------------------------------
  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  const Shape& strides() const { return strides_; }
  int64_t dim() const { return static_cast<int64_t>(shape_.size()); }
  int64_t size(int64_t axis) const;  // negative axis counts from the end
  int64_t numel() const { return shape_numel(shape_); }
  DType dtype() const { return dtype_; }
  int64_t offset() const { return offset_; }
  bool is_contiguous() const;
  std::size_t nbytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

  // ---- element access ---------------------------------------------------------
  // Pointer to the first element of the view; T must match dtype() (DTypeError).
  template <typename T> T* data();
  template <typename T> const T* data() const;
  float item() const;                                   // the value of a 1-element tensor
  float at(std::initializer_list<int64_t> index) const;  // any float32 element, bounds-checked
  std::vector<float> to_vector() const;                 // float32 values, row-major
  std::vector<int32_t> to_int32_vector() const;         // int32/int8/uint8 values, row-major

  // ---- views and copies -------------------------------------------------------
  // Same data, new shape (numel must agree; one size may be -1 to infer).
  // A view when contiguous, a copy otherwise. Differentiable (= tinytorch::reshape).
  Tensor reshape(const Shape& new_shape) const;
  // Swap two axes (default: the last two): a view with swapped strides.
  // Differentiable (= tinytorch::transpose).
  Tensor transpose(int64_t axis0 = -2, int64_t axis1 = -1) const;
  Tensor contiguous() const;  // itself if contiguous, else a row-major copy
  Tensor clone() const;       // always a fresh copy (not part of any graph)
  // Rows [begin, end) along axis 0: a view, no copy.
  Tensor slice_rows(int64_t begin, int64_t end) const;
  // Rows picked by index along axis 0 (a copy): how a DataLoader builds a batch.
  Tensor index_rows(const std::vector<int64_t>& rows) const;
  // Element-type conversion (a copy). float -> integer truncates toward zero and
  // saturates at the type's limits (NaN is a ValueError); quantization in
  // module 15 rounds and scales on purpose instead. float16/bfloat16 are module 15's.
  Tensor to(DType dtype) const;
  // Copy the values of `source` (same shape) into this tensor's storage.
  void copy_(const Tensor& source);
  void fill_(float value);

  // ---- autograd (module 05) ---------------------------------------------------
  bool requires_grad() const;
  Tensor& set_requires_grad(bool enabled = true);
  // The accumulated gradient dL/dself after backward(); undefined before.
  Tensor grad() const;
  void zero_grad();
  // Runs reverse-mode differentiation from this tensor (a scalar loss):
  // every leaf that requires a gradient receives dL/dleaf in grad().
  void backward() const;
  // The same data, cut from the graph: no grad_fn, requires_grad false.
  Tensor detach() const;
  const std::shared_ptr<AutogradMeta>& autograd_meta() const { return autograd_; }
  std::shared_ptr<AutogradMeta>& autograd_meta() { return autograd_; }

  std::string to_string() const;  // "Tensor(shape=(2, 3), dtype=float32, [[...]])"

  // Low-level constructor: a view of `storage`.
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype);

 private:
  void check_dtype(DType expected, const char* operation) const;

  std::shared_ptr<Storage> storage_;
  Shape shape_;
  Shape strides_;
  int64_t offset_ = 0;
  DType dtype_ = DType::Float32;
  std::shared_ptr<AutogradMeta> autograd_;
};

template <typename T> T* Tensor::data() {
  check_dtype(dtype_of<T>(), "Tensor::data");
  return reinterpret_cast<T*>(storage_->bytes()) + offset_;
}
template <typename T> const T* Tensor::data() const {
  check_dtype(dtype_of<T>(), "Tensor::data");
  return reinterpret_cast<const T*>(storage_->bytes()) + offset_;
}
template <> uint16_t* Tensor::data<uint16_t>();
template <> const uint16_t* Tensor::data<uint16_t>() const;

// ---- the plain forward math (this module) -----------------------------------
// No graph is recorded here. All float32; inputs may be non-contiguous views.
namespace ops {

// Broadcasting (NumPy rules): align shapes on the right; each pair of sizes must
// be equal or one of them 1; the result takes the larger. (3,1)+(4) -> (3,4).
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* operation);

Tensor add(const Tensor& a, const Tensor& b);  // a + b, broadcasting
Tensor sub(const Tensor& a, const Tensor& b);  // a - b
Tensor mul(const Tensor& a, const Tensor& b);  // a * b (element-wise)
Tensor div(const Tensor& a, const Tensor& b);  // a / b
Tensor add_scalar(const Tensor& a, float s);
Tensor mul_scalar(const Tensor& a, float s);
Tensor neg(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor pow_scalar(const Tensor& a, float exponent);

// Reductions over one axis (negative counts from the end); keepdim keeps a size-1 axis.
Tensor sum(const Tensor& a, int64_t axis, bool keepdim = false);
Tensor sum_all(const Tensor& a);  // shape {}
Tensor mean(const Tensor& a, int64_t axis, bool keepdim = false);
Tensor mean_all(const Tensor& a);
Tensor max(const Tensor& a, int64_t axis, bool keepdim = false);
Tensor argmax(const Tensor& a, int64_t axis);  // int32 indices (first maximum wins)
// Views (no copy when possible): the math behind Tensor::reshape / transpose.
Tensor reshape(const Tensor& a, const Shape& shape);
Tensor transpose(const Tensor& a, int64_t axis0, int64_t axis1);

// Sum `a` down to `shape` — the inverse of broadcasting, used by gradients.
Tensor sum_to_shape(const Tensor& a, const Shape& shape);

// C = op(A) @ op(B) for 2-D tensors, op = transpose when the flag is set:
//   a:(M,K) b:(K,N) -> (M,N)   [trans_a: a is (K,M); trans_b: b is (N,K)]
// Runs OpenBLAS sgemm. A transposed view is passed as a transpose flag, not copied.
Tensor matmul(const Tensor& a, const Tensor& b, bool trans_a = false, bool trans_b = false);

}  // namespace ops

// ---- the differentiable operations (declared here, defined in module 05) -----
Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, float s);
Tensor operator-(const Tensor& a, float s);
Tensor operator*(const Tensor& a, float s);
Tensor operator/(const Tensor& a, float s);
Tensor operator*(float s, const Tensor& a);
Tensor operator-(const Tensor& a);
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor pow(const Tensor& a, float exponent);
Tensor matmul(const Tensor& a, const Tensor& b);  // (M,K) @ (K,N) -> (M,N)
Tensor sum(const Tensor& a, int64_t axis, bool keepdim = false);
Tensor sum(const Tensor& a);  // all elements -> shape {}
Tensor mean(const Tensor& a, int64_t axis, bool keepdim = false);
Tensor mean(const Tensor& a);
Tensor max(const Tensor& a, int64_t axis, bool keepdim = false);
Tensor reshape(const Tensor& a, const Shape& shape);
Tensor transpose(const Tensor& a, int64_t axis0 = -2, int64_t axis1 = -1);
// argmax has no gradient: it is ops::argmax, re-exported for convenience.
Tensor argmax(const Tensor& a, int64_t axis);

}  // namespace tinytorch
