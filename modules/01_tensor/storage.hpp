// storage.hpp — the memory behind tensors, and a count of it.
//
// A Storage is one 64-byte-aligned block (a cache line; also what AVX-512 loads
// like best). Tensors share it through std::shared_ptr. Every allocation is
// counted, so the profiler (module 14) can report the peak memory of a forward pass.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tinytorch {

class Storage {
 public:
  enum class Init { Zeros, Uninitialized };
  // Zeros costs a memset; Uninitialized is for buffers about to be overwritten
  // (every operation's output), where that memset would be pure waste.
  explicit Storage(std::size_t nbytes, Init init = Init::Zeros);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  std::byte* bytes() { return bytes_; }
  const std::byte* bytes() const { return bytes_; }
  std::size_t nbytes() const { return nbytes_; }

 private:
  std::byte* bytes_ = nullptr;
  std::size_t nbytes_ = 0;
};

// Bytes of tensor storage alive now, the most alive at once since the last
// reset, and the number of allocations made (all threads together).
struct MemoryStats {
  int64_t current_bytes = 0;
  int64_t peak_bytes = 0;
  int64_t allocations = 0;
};
MemoryStats memory_stats();
// Start a new peak measurement: peak := current, allocations := 0.
void reset_peak_memory();

}  // namespace tinytorch
