// tensor.cpp — creating tensors, reading them, and making views of them.
//
// The element math (add, sum, matmul, ...) is in tensor_ops.cpp. Autograd
// (requires_grad, backward, and the differentiable operators) is module 05.
#include "tinytorch/core/tensor.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

namespace tinytorch {

int64_t shape_numel(const Shape& shape) {
  int64_t count = 1;
  for (int64_t size : shape) count *= size;
  return count;
}

// strides[d] = shape[d+1] * shape[d+2] * ... * shape[n-1]   (the last stride is 1)
Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  // BEGIN SOLUTION
  int64_t stride = 1;
  for (std::size_t d = shape.size(); d-- > 0;) {
    strides[d] = stride;
    stride *= shape[d];
  }
  // END SOLUTION
  return strides;
}

namespace {

void check_shape_valid(const Shape& shape, const char* operation) {
  for (int64_t size : shape) {
    if (size < 0) throw ShapeError(std::string(operation) + ": negative size in shape " + shape_str(shape));
  }
}

// Reads element `i` of a tensor of any integer or float dtype as a double.
double read_as_double(const std::byte* base, DType dtype, int64_t index) {
  switch (dtype) {
    case DType::Float32: return reinterpret_cast<const float*>(base)[index];
    case DType::Int8: return reinterpret_cast<const int8_t*>(base)[index];
    case DType::UInt8: return reinterpret_cast<const uint8_t*>(base)[index];
    case DType::Int32: return reinterpret_cast<const int32_t*>(base)[index];
    case DType::Int64: return static_cast<double>(reinterpret_cast<const int64_t*>(base)[index]);
    case DType::Float16:
    case DType::BFloat16: break;
  }
  throw DTypeError(std::string("Tensor: reading ") + std::string(dtype_name(dtype)) +
                   " elements needs module 15's conversions (to_float32)");
}

// Float -> integer: truncate toward zero and saturate at the type's limits
// (a plain static_cast of an out-of-range float is undefined behaviour).
template <typename Int> Int saturate_cast(double value) {
  if (std::isnan(value)) throw ValueError("Tensor::to: NaN cannot be converted to an integer type");
  const double low = static_cast<double>(std::numeric_limits<Int>::min());
  const double high = static_cast<double>(std::numeric_limits<Int>::max());
  return static_cast<Int>(std::clamp(std::trunc(value), low, high));
}

void write_from_double(std::byte* base, DType dtype, int64_t index, double value) {
  switch (dtype) {
    case DType::Float32: reinterpret_cast<float*>(base)[index] = static_cast<float>(value); return;
    case DType::Int8: reinterpret_cast<int8_t*>(base)[index] = saturate_cast<int8_t>(value); return;
    case DType::UInt8: reinterpret_cast<uint8_t*>(base)[index] = saturate_cast<uint8_t>(value); return;
    case DType::Int32: reinterpret_cast<int32_t*>(base)[index] = saturate_cast<int32_t>(value); return;
    case DType::Int64: reinterpret_cast<int64_t*>(base)[index] = saturate_cast<int64_t>(value); return;
    case DType::Float16:
    case DType::BFloat16: break;
  }
  throw DTypeError(std::string("Tensor::to: converting to ") + std::string(dtype_name(dtype)) +
                   " is module 15's job (to_float16 / to_bfloat16)");
}

// Calls visit(storage_index) for every element of the view, in row-major order.
template <typename Visit> void for_each_element(const Tensor& t, Visit&& visit) {
  // BEGIN SOLUTION
  const Shape& shape = t.shape();
  const Shape& strides = t.strides();
  const int64_t count = t.numel();
  if (count == 0) return;
  std::vector<int64_t> index(shape.size(), 0);
  int64_t position = t.offset();
  for (int64_t n = 0; n < count; ++n) {
    visit(position);
    for (std::size_t d = shape.size(); d-- > 0;) {  // odometer increment, last axis fastest
      position += strides[d];
      if (++index[d] < shape[d]) break;
      position -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  // END SOLUTION
}

}  // namespace

// ---- construction --------------------------------------------------------------

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype)
    : storage_(std::move(storage)), shape_(std::move(shape)), strides_(std::move(strides)), offset_(offset),
      dtype_(dtype) {}

namespace {
Tensor allocate(const Shape& shape, DType dtype, Storage::Init init, const char* operation) {
  check_shape_valid(shape, operation);
  auto storage = std::make_shared<Storage>(static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype), init);
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}
}  // namespace

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  return allocate(shape, dtype, Storage::Init::Uninitialized, "Tensor::empty");
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) { return allocate(shape, dtype, Storage::Init::Zeros, "Tensor::zeros"); }

Tensor Tensor::ones(const Shape& shape) { return full(shape, 1.0f); }

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape);
  t.fill_(value);
  return t;
}

Tensor Tensor::scalar(float value) { return full({}, value); }

// The count is ceil((end - start) / step), so arange(0, 1, 0.3) = 0, 0.3, 0.6, 0.9.
Tensor Tensor::arange(float start, float end, float step) {
  if (step == 0.0f || std::isnan(step)) throw ValueError("Tensor::arange: step = " + std::to_string(step) + "; expected a non-zero step");
  const double span = (static_cast<double>(end) - start) / step;
  const int64_t count = span > 0 ? static_cast<int64_t>(std::ceil(span)) : 0;
  Tensor t = empty({count});
  // BEGIN SOLUTION
  float* values = t.data<float>();
  for (int64_t i = 0; i < count; ++i) values[i] = start + static_cast<float>(i) * step;
  // END SOLUTION
  return t;
}

Tensor Tensor::from_values(const std::vector<float>& values, const Shape& shape) {
  check_shape_valid(shape, "Tensor::from_values");
  if (shape_numel(shape) != static_cast<int64_t>(values.size())) {
    throw ShapeError("Tensor::from_values: " + std::to_string(values.size()) + " values cannot fill shape " +
                     shape_str(shape) + " (expected " + std::to_string(shape_numel(shape)) + " values)");
  }
  Tensor t = empty(shape);
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}

Tensor Tensor::from_values(const std::vector<float>& values) {
  return from_values(values, {static_cast<int64_t>(values.size())});
}

Tensor Tensor::from_int32(const std::vector<int32_t>& values, const Shape& shape) {
  if (shape_numel(shape) != static_cast<int64_t>(values.size())) {
    throw ShapeError("Tensor::from_int32: " + std::to_string(values.size()) + " values cannot fill shape " +
                     shape_str(shape));
  }
  Tensor t = empty(shape, DType::Int32);
  std::copy(values.begin(), values.end(), t.data<int32_t>());
  return t;
}

Tensor Tensor::randn(const Shape& shape, float mean, float std, Generator& generator) {
  Tensor t = empty(shape);
  float* values = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) values[i] = generator.normal(mean, std);
  return t;
}

Tensor Tensor::uniform(const Shape& shape, float low, float high, Generator& generator) {
  if (!(low < high)) {
    throw ValueError("Tensor::uniform: low = " + std::to_string(low) + ", high = " + std::to_string(high) +
                     "; expected low < high");
  }
  Tensor t = empty(shape);
  float* values = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) values[i] = generator.uniform(low, high);
  return t;
}

// ---- what it is ------------------------------------------------------------------

int64_t Tensor::size(int64_t axis) const {
  const int64_t rank = dim();
  const int64_t resolved = axis < 0 ? axis + rank : axis;
  if (resolved < 0 || resolved >= rank) {
    throw IndexError("Tensor::size: axis " + std::to_string(axis) + " is out of range for shape " +
                     shape_str(shape_) + " (expected -" + std::to_string(rank) + " <= axis < " +
                     std::to_string(rank) + ")");
  }
  return shape_[static_cast<std::size_t>(resolved)];
}

// Contiguous = the strides are exactly the row-major ones (size-1 axes may have any stride).
bool Tensor::is_contiguous() const {
  // BEGIN SOLUTION
  int64_t expected = 1;
  for (std::size_t d = shape_.size(); d-- > 0;) {
    if (shape_[d] != 1 && strides_[d] != expected) return false;
    expected *= shape_[d];
  }
  return true;
  // END SOLUTION
}

void Tensor::check_dtype(DType expected, const char* operation) const {
  if (!defined()) throw ValueError(std::string(operation) + ": the tensor is undefined (default-constructed)");
  if (dtype_ != expected) {
    throw DTypeError(std::string(operation) + ": tensor holds " + std::string(dtype_name(dtype_)) + ", accessed as " +
                     std::string(dtype_name(expected)));
  }
}

template <> uint16_t* Tensor::data<uint16_t>() {
  if (dtype_ != DType::Float16 && dtype_ != DType::BFloat16) check_dtype(DType::Float16, "Tensor::data<uint16_t>");
  return reinterpret_cast<uint16_t*>(storage_->bytes()) + offset_;
}
template <> const uint16_t* Tensor::data<uint16_t>() const {
  if (dtype_ != DType::Float16 && dtype_ != DType::BFloat16) check_dtype(DType::Float16, "Tensor::data<uint16_t>");
  return reinterpret_cast<const uint16_t*>(storage_->bytes()) + offset_;
}

// ---- element access ----------------------------------------------------------------

float Tensor::item() const {
  if (numel() != 1) {
    throw ShapeError("Tensor::item: tensor of shape " + shape_str(shape_) + " has " + std::to_string(numel()) +
                     " elements; expected exactly 1");
  }
  return static_cast<float>(read_as_double(storage_->bytes(), dtype_, offset_));
}

float Tensor::at(std::initializer_list<int64_t> index) const {
  if (static_cast<int64_t>(index.size()) != dim()) {
    throw IndexError("Tensor::at: " + std::to_string(index.size()) + " indices for a tensor of shape " +
                     shape_str(shape_) + " (expected " + std::to_string(dim()) + ")");
  }
  // BEGIN SOLUTION
  int64_t position = offset_;
  std::size_t d = 0;
  for (int64_t i : index) {
    if (i < 0 || i >= shape_[d]) {
      throw IndexError("Tensor::at: index " + std::to_string(i) + " on axis " + std::to_string(d) +
                       " is out of range for shape " + shape_str(shape_));
    }
    position += i * strides_[d++];
  }
  return static_cast<float>(read_as_double(storage_->bytes(), dtype_, position));
  // END SOLUTION
}

std::vector<float> Tensor::to_vector() const {
  check_dtype(DType::Float32, "Tensor::to_vector");
  std::vector<float> values;
  values.reserve(static_cast<std::size_t>(numel()));
  const float* base = reinterpret_cast<const float*>(storage_->bytes());
  for_each_element(*this, [&](int64_t position) { values.push_back(base[position]); });
  return values;
}

std::vector<int32_t> Tensor::to_int32_vector() const {
  if (dtype_ != DType::Int32 && dtype_ != DType::Int8 && dtype_ != DType::UInt8) {
    throw DTypeError("Tensor::to_int32_vector: tensor holds " + std::string(dtype_name(dtype_)) +
                     "; expected int32, int8 or uint8");
  }
  std::vector<int32_t> values;
  values.reserve(static_cast<std::size_t>(numel()));
  for_each_element(*this, [&](int64_t position) {
    values.push_back(static_cast<int32_t>(read_as_double(storage_->bytes(), dtype_, position)));
  });
  return values;
}

// ---- views and copies ----------------------------------------------------------------

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  if (!defined()) throw ValueError("Tensor::clone: the tensor is undefined");
  Tensor copy = empty(shape_, dtype_);
  const std::size_t element_bytes = dtype_size(dtype_);
  std::byte* destination = copy.storage_->bytes();
  const std::byte* source = storage_->bytes();
  if (is_contiguous()) {
    std::memcpy(destination, source + offset_ * element_bytes, nbytes());
    return copy;
  }
  int64_t n = 0;
  for_each_element(*this, [&](int64_t position) {
    std::memcpy(destination + (n++) * element_bytes, source + position * element_bytes, element_bytes);
  });
  return copy;
}

Tensor Tensor::slice_rows(int64_t begin, int64_t end) const {
  if (dim() < 1) throw ShapeError("Tensor::slice_rows: a scalar has no rows");
  if (begin < 0 || end < begin || end > shape_[0]) {
    throw IndexError("Tensor::slice_rows: rows [" + std::to_string(begin) + ", " + std::to_string(end) +
                     ") out of range for shape " + shape_str(shape_) + " (expected 0 <= begin <= end <= " +
                     std::to_string(shape_[0]) + ")");
  }
  // BEGIN SOLUTION
  Shape shape = shape_;
  shape[0] = end - begin;
  return Tensor(storage_, shape, strides_, offset_ + begin * strides_[0], dtype_);
  // END SOLUTION
}

Tensor Tensor::index_rows(const std::vector<int64_t>& rows) const {
  if (dim() < 1) throw ShapeError("Tensor::index_rows: a scalar has no rows");
  const Tensor source = contiguous();
  Shape shape = shape_;
  shape[0] = static_cast<int64_t>(rows.size());
  Tensor result = empty(shape, dtype_);
  const std::size_t row_bytes = static_cast<std::size_t>(shape_numel(shape) / std::max<int64_t>(shape[0], 1)) *
                                dtype_size(dtype_);
  const std::byte* from = source.storage_->bytes() + source.offset_ * dtype_size(dtype_);
  std::byte* to = result.storage_->bytes();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    if (rows[r] < 0 || rows[r] >= shape_[0]) {
      throw IndexError("Tensor::index_rows: row " + std::to_string(rows[r]) + " out of range for shape " +
                       shape_str(shape_));
    }
    std::memcpy(to + r * row_bytes, from + rows[r] * row_bytes, row_bytes);
  }
  return result;
}

Tensor Tensor::to(DType dtype) const {
  if (!defined()) throw ValueError("Tensor::to: the tensor is undefined");
  if (dtype == dtype_) return clone();
  Tensor result = empty(shape_, dtype);
  int64_t n = 0;
  for_each_element(*this, [&](int64_t position) {
    write_from_double(result.storage_->bytes(), dtype, n++, read_as_double(storage_->bytes(), dtype_, position));
  });
  return result;
}

void Tensor::copy_(const Tensor& source) {
  if (source.shape() != shape_) {
    throw ShapeError("Tensor::copy_: source shape " + shape_str(source.shape()) + " differs from destination " +
                     shape_str(shape_));
  }
  if (source.dtype() != dtype_) {
    throw DTypeError("Tensor::copy_: source is " + std::string(dtype_name(source.dtype())) + ", destination is " +
                     std::string(dtype_name(dtype_)));
  }
  const Tensor packed = source.contiguous();
  const std::size_t element_bytes = dtype_size(dtype_);
  const std::byte* from = packed.storage_->bytes() + packed.offset_ * element_bytes;
  int64_t n = 0;
  for_each_element(*this, [&](int64_t position) {
    std::memcpy(storage_->bytes() + position * element_bytes, from + (n++) * element_bytes, element_bytes);
  });
}

void Tensor::fill_(float value) {
  check_dtype(DType::Float32, "Tensor::fill_");
  if (is_contiguous()) {  // the common case: one tight loop
    std::fill_n(data<float>(), numel(), value);
    return;
  }
  float* base = reinterpret_cast<float*>(storage_->bytes());
  for_each_element(*this, [&](int64_t position) { base[position] = value; });
}

Tensor Tensor::reshape(const Shape& new_shape) const { return tinytorch::reshape(*this, new_shape); }

Tensor Tensor::transpose(int64_t axis0, int64_t axis1) const { return tinytorch::transpose(*this, axis0, axis1); }

// ---- printing ------------------------------------------------------------------------

namespace {

// Prints nested brackets, at most `kEdge` items from each end of every axis.
constexpr int64_t kEdge = 3;

void print_axis(std::ostringstream& out, const Tensor& t, std::size_t axis, int64_t position) {
  const int64_t size = t.shape()[axis];
  out << "[";
  for (int64_t i = 0; i < size; ++i) {
    if (size > 2 * kEdge && i == kEdge) {
      out << "..., ";
      i = size - kEdge;
    }
    const int64_t element = position + i * t.strides()[axis];
    if (axis + 1 == t.shape().size()) {
      out << read_as_double(t.storage()->bytes(), t.dtype(), element);
    } else {
      print_axis(out, t, axis + 1, element);
    }
    if (i + 1 < size) out << ", ";
  }
  out << "]";
}

}  // namespace

std::string Tensor::to_string() const {
  if (!defined()) return "Tensor(undefined)";
  std::ostringstream out;
  out << "Tensor(shape=" << shape_str(shape_) << ", dtype=" << dtype_name(dtype_) << ", ";
  if (dtype_ == DType::Float16 || dtype_ == DType::BFloat16) {
    out << "...)";
    return out.str();
  }
  if (shape_.empty()) {
    out << read_as_double(storage_->bytes(), dtype_, offset_);
  } else {
    print_axis(out, *this, 0, offset_);
  }
  out << ")";
  return out.str();
}

}  // namespace tinytorch
