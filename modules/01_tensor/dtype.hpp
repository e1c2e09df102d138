// dtype.hpp — element types a Tensor can hold.
//
// Training runs in float32. The integer types exist for module 15: int8 weights
// and activations, uint8 activations, int32 accumulators and biases. float16 and
// bfloat16 are stored as raw 16-bit patterns (module 15 converts them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tinytorch {

enum class DType : uint8_t { Float32, Int8, UInt8, Int32, Int64, Float16, BFloat16 };

// Bytes per element: 4, 1, 1, 4, 8, 2, 2.
std::size_t dtype_size(DType dtype);
// "float32", "int8", ... — used in messages and reports.
std::string_view dtype_name(DType dtype);

// The DType that stores C++ type T (compile-time), used by Tensor::data<T>().
template <typename T> constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<int8_t>() { return DType::Int8; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtype_of<int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
// float16 and bfloat16 are both read as uint16_t bit patterns: data<uint16_t>()
// accepts either (see Tensor::data).

}  // namespace tinytorch
