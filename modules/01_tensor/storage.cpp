// storage.cpp — aligned allocation with a running count of live bytes.
#include "tinytorch/core/storage.hpp"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

namespace tinytorch {
namespace {

constexpr std::size_t kAlignment = 64;  // one cache line; a full AVX-512 register

std::atomic<int64_t> g_current_bytes{0};
std::atomic<int64_t> g_peak_bytes{0};
std::atomic<int64_t> g_allocations{0};

void count_allocation(int64_t nbytes) {
  const int64_t now = g_current_bytes.fetch_add(nbytes) + nbytes;
  int64_t peak = g_peak_bytes.load();
  while (now > peak && !g_peak_bytes.compare_exchange_weak(peak, now)) {
  }
  g_allocations.fetch_add(1);
}

}  // namespace

Storage::Storage(std::size_t nbytes, Init init) : nbytes_(nbytes) {
  // aligned_alloc wants a size that is a multiple of the alignment (and > 0).
  const std::size_t padded = ((nbytes + kAlignment - 1) / kAlignment) * kAlignment;
  bytes_ = static_cast<std::byte*>(std::aligned_alloc(kAlignment, padded == 0 ? kAlignment : padded));
  if (bytes_ == nullptr) throw std::bad_alloc();
  if (init == Init::Zeros) std::memset(bytes_, 0, nbytes);
  count_allocation(static_cast<int64_t>(nbytes));
}

Storage::~Storage() {
  std::free(bytes_);
  g_current_bytes.fetch_sub(static_cast<int64_t>(nbytes_));
}

MemoryStats memory_stats() {
  return MemoryStats{g_current_bytes.load(), g_peak_bytes.load(), g_allocations.load()};
}

void reset_peak_memory() {
  g_peak_bytes.store(g_current_bytes.load());
  g_allocations.store(0);
}

}  // namespace tinytorch
