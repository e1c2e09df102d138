// gemm_u8s8s32.cpp — Module 15: the INT8 GEMM's references, weight packing, dispatch and scalar path.
//
//   acc[m, n] = Σ_k (a[m, k] − z_a)(w[n, k] − z_w[n])          (1)   gemm_u8s8s32_ref
//             = Σ a·w − z_a·Σ_k w[n, k] − z_w[n]·Σ_k a[m, k] + K·z_a·z_w[n]   (2)
//   offset(n, k) of the packed weights                         (3)   pack_weights_s8
//   then an epilogue (requantize.hpp (4)–(7))                  finish_tile_scalar
//
// What lives here: the references (the specification, stage by stage, STYLE 1–2),
// the packer, the run-time choice of path, the split over threads, and the
// scalar path — the same packed layout and tile structure as the SIMD paths,
// written with plain loops (the path of CPUs without AVX2). The AVX2 and AVX-512
// VNNI kernels live in gemm_u8s8s32_avx2.cpp and gemm_u8s8s32_avx512vnni.cpp,
// each compiled with its own ISA flags (STYLE 6).
//
// Versions: v1 reference only (integer_matmul_reference); v2 packed weights,
// AVX2 and AVX-512 VNNI micro-kernels with fused epilogues, threads.
#include "tinytorch/perf/gemm_u8s8s32.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "tinytorch/core/error.hpp"

namespace tinytorch {

namespace {

// The deepest K whose worst-case (1) fits an int32: 2^15 · 255 · 255 = 2,130,739,200 < 2^31 − 1.
constexpr int64_t kMaxDepth = int64_t{1} << 15;
// The largest |(1)| for a depth K: every factor of (1) is at most 255 in magnitude.
constexpr int64_t kMaxProduct = 255 * 255;
// Output columns per unit of work handed to a thread: a multiple of every kernel's tile width.
constexpr int64_t kColumnsPerUnit = 64;
// With the default thread count, a thread is worth starting only for this many multiply-adds
// (≈ 20 µs of work for the fast paths; waking a parked worker costs a few µs).
constexpr int64_t kMinMultiplyAddsPerThread = int64_t{1} << 24;
constexpr int kMaxThreads = 256;

int64_t round_up(int64_t value, int64_t multiple) { return (value + multiple - 1) / multiple * multiple; }

}  // namespace

// ---- the references --------------------------------------------------------------------------------

void gemm_u8s8s32_ref(int64_t M, int64_t N, int64_t K, const uint8_t* a, int64_t lda, int32_t a_zero_point,
                      const int8_t* w, int64_t ldw, const int32_t* w_zero_point, int32_t* c, int64_t ldc) {
  // a:(M,K) w:(N,K) -> c:(M,N)
  // BEGIN SOLUTION
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      int32_t sum = 0;
      for (int64_t k = 0; k < K; ++k) {
        sum += (int32_t{a[m * lda + k]} - a_zero_point) * (int32_t{w[n * ldw + k]} - w_zero_point[n]);
      }
      c[m * ldc + n] = sum;
    }
  }
  // END SOLUTION
}

void row_sums_u8_ref(int64_t rows, int64_t K, const uint8_t* a, int64_t lda, int32_t* sums) {
  // a:(rows,K) -> sums:(rows)
  // BEGIN SOLUTION
  for (int64_t r = 0; r < rows; ++r) {
    int32_t sum = 0;
    for (int64_t k = 0; k < K; ++k) sum += a[r * lda + k];
    sums[r] = sum;
  }
  // END SOLUTION
}

void row_sums_s8_ref(int64_t rows, int64_t K, const int8_t* w, int64_t ldw, int32_t* sums) {
  // w:(rows,K) -> sums:(rows)
  // BEGIN SOLUTION
  for (int64_t r = 0; r < rows; ++r) {
    int32_t sum = 0;
    for (int64_t k = 0; k < K; ++k) sum += w[r * ldw + k];
    sums[r] = sum;
  }
  // END SOLUTION
}

namespace {

// The three correction terms of (2) for one output, in wrapping 32-bit arithmetic
// (unsigned, so the wrap is defined behaviour): each product may leave int32 on its
// own, but raw + correction is (1), which does not.
uint32_t zero_point_correction(int64_t K, int32_t a_zero_point, int32_t a_row_sum, int32_t w_zero_point,
                               int32_t w_row_sum) {
  // BEGIN SOLUTION
  const auto z_a = static_cast<uint32_t>(a_zero_point);
  const auto z_w = static_cast<uint32_t>(w_zero_point);
  return static_cast<uint32_t>(K) * z_a * z_w - z_a * static_cast<uint32_t>(w_row_sum) -
         z_w * static_cast<uint32_t>(a_row_sum);
  // END SOLUTION
}

}  // namespace

void zero_point_correction_ref(int64_t M, int64_t N, int64_t K, int32_t a_zero_point, const int32_t* a_row_sums,
                               const int32_t* w_zero_point, const int32_t* w_row_sums, int32_t* c, int64_t ldc) {
  // c:(M,N) += −z_a·Σw[n] − z_w[n]·Σa[m] + K·z_a·z_w[n]
  // BEGIN SOLUTION
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t n = 0; n < N; ++n) {
      const uint32_t correction = zero_point_correction(K, a_zero_point, a_row_sums[m], w_zero_point[n], w_row_sums[n]);
      c[m * ldc + n] = static_cast<int32_t>(static_cast<uint32_t>(c[m * ldc + n]) + correction);
    }
  }
  // END SOLUTION
}

// ---- packed weights -------------------------------------------------------------------------------------

int8_t PackedWeightsS8::at(int64_t n, int64_t k) const {
  if (n < 0 || n >= n_ || k < 0 || k >= k_) {
    throw IndexError(fmt::format("PackedWeightsS8::at: ({}, {}) is outside the packed weight ({}, {})", n, k, n_, k_));
  }
  // (3)
  const int64_t offset = (n / kBlockN) * (k_padded_ * kBlockN) + (k / kGroupK) * (kBlockN * kGroupK) +
                         (n % kBlockN) * kGroupK + k % kGroupK;
  return data_[offset];
}

PackedWeightsS8 pack_weights_s8(int64_t N, int64_t K, const int8_t* w, int64_t ldw, const int32_t* w_zero_point) {
  if (N < 1 || K < 1 || K > kMaxDepth || ldw < K || w == nullptr) {
    throw ValueError(fmt::format("pack_weights_s8: w ({}, {}) with row stride {}; expected N >= 1, 1 <= K <= 32768 "
                                 "(the int32 bound of (2)), a row stride >= K and data",
                                 N, K, ldw));
  }
  for (int64_t n = 0; w_zero_point != nullptr && n < N; ++n) {
    if (w_zero_point[n] < -128 || w_zero_point[n] > 127) {
      throw ValueError(fmt::format("pack_weights_s8: weight zero point {} of row {}; expected it in [-128, 127]",
                                   w_zero_point[n], n));
    }
  }
  PackedWeightsS8 packed;
  packed.n_ = N;
  packed.k_ = K;
  packed.k_padded_ = round_up(K, PackedWeightsS8::kGroupK);
  packed.n_padded_ = round_up(N, PackedWeightsS8::kBlockN);
  const auto bytes = static_cast<std::size_t>(packed.n_padded_ * packed.k_padded_);
  // 64-byte aligned, so every 64-byte group is one cache line and one aligned vector load.
  packed.data_ = std::shared_ptr<int8_t[]>(new (std::align_val_t{64}) int8_t[bytes],
                                           [](int8_t* p) { ::operator delete[](p, std::align_val_t{64}); });
  int8_t* out = packed.data_.get();
  std::memset(out, 0, bytes);  // the padding: zero weights add nothing to a dot product
  // BEGIN SOLUTION
  constexpr int64_t block_n = PackedWeightsS8::kBlockN;
  constexpr int64_t group_k = PackedWeightsS8::kGroupK;
  for (int64_t n = 0; n < N; ++n) {
    int8_t* block = out + (n / block_n) * (packed.k_padded_ * block_n) + (n % block_n) * group_k;
    for (int64_t k = 0; k < K; ++k) block[(k / group_k) * (block_n * group_k) + k % group_k] = w[n * ldw + k];  // (3)
  }
  // END SOLUTION
  packed.row_sums_.assign(static_cast<std::size_t>(packed.n_padded_), 0);
  packed.zero_points_.assign(static_cast<std::size_t>(packed.n_padded_), 0);
  row_sums_s8_ref(N, K, w, ldw, packed.row_sums_.data());
  for (int64_t n = 0; w_zero_point != nullptr && n < N; ++n) {
    packed.zero_points_[static_cast<std::size_t>(n)] = w_zero_point[n];
    packed.has_zero_points_ = packed.has_zero_points_ || w_zero_point[n] != 0;
  }
  return packed;
}

PackedWeightsS8 pack_weights_s8(const Tensor& w, const std::vector<int32_t>& w_zero_point) {
  if (!w.defined() || w.dtype() != DType::Int8 || w.dim() != 2) {
    throw DTypeError(fmt::format("pack_weights_s8: w is {} {}; expected int8 weights (N, K)",
                                 w.defined() ? dtype_name(w.dtype()) : "undefined",
                                 w.defined() ? shape_str(w.shape()) : "()"));
  }
  const int64_t N = w.shape()[0];
  const int64_t K = w.shape()[1];
  const auto count = static_cast<int64_t>(w_zero_point.size());
  if (count != 0 && count != 1 && count != N) {
    throw ShapeError(fmt::format("pack_weights_s8: {} weight zero points for w {}; expected N = {}, 1 or none",
                                 count, shape_str(w.shape()), N));
  }
  std::vector<int32_t> per_row(static_cast<std::size_t>(N), count == 0 ? 0 : w_zero_point[0]);
  if (count == N) per_row = w_zero_point;
  const Tensor rows = w.contiguous();
  return pack_weights_s8(N, K, rows.data<int8_t>(), K, per_row.data());
}

// ---- paths and dispatch -----------------------------------------------------------------------------------

namespace {

constexpr KernelIsa kBestFirst[] = {KernelIsa::Avx512Vnni, KernelIsa::Avx2, KernelIsa::Scalar};

KernelIsa best_supported(const CpuFeatures& cpu) {
  for (KernelIsa isa : kBestFirst) {
    if (kernel_isa_supported(isa, cpu)) return isa;
  }
  return KernelIsa::Scalar;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

}  // namespace

const char* kernel_isa_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Avx512Vnni:
      return "avx512vnni";
    case KernelIsa::Avx2:
      return "avx2";
    case KernelIsa::Scalar:
      break;
  }
  return "scalar";
}

bool kernel_isa_supported(KernelIsa isa, const CpuFeatures& cpu) {
  switch (isa) {
    case KernelIsa::Avx512Vnni:
      return kX86SimdBuilt && cpu.avx512() && cpu.avx512vnni;
    case KernelIsa::Avx2:
      return kX86SimdBuilt && cpu.avx2 && cpu.fma;  // the AVX2 unit is compiled with -mavx2 -mfma
    case KernelIsa::Scalar:
      break;
  }
  return true;
}

bool kernel_isa_supported(KernelIsa isa) { return kernel_isa_supported(isa, cpu_features()); }

KernelIsaChoice choose_kernel_isa(const char* requested, const CpuFeatures& cpu) {
  const KernelIsa best = best_supported(cpu);
  if (requested == nullptr || requested[0] == '\0') return {best, ""};
  const std::string name = lower(requested);
  for (KernelIsa isa : kBestFirst) {
    if (name != kernel_isa_name(isa)) continue;
    if (kernel_isa_supported(isa, cpu)) return {isa, ""};
    return {best, fmt::format("TINYTORCH_ISA={}: this CPU (or build) does not support it; using {}", requested,
                              kernel_isa_name(best))};
  }
  return {best, fmt::format("TINYTORCH_ISA={}: unknown path; expected scalar, avx2 or avx512vnni; using {}",
                            requested, kernel_isa_name(best))};
}

KernelIsa active_kernel_isa() {
  static const KernelIsa chosen = [] {
    const KernelIsaChoice choice = choose_kernel_isa(std::getenv("TINYTORCH_ISA"), cpu_features());
    if (!choice.warning.empty()) std::fprintf(stderr, "tinytorch: warning: %s\n", choice.warning.c_str());
    return choice.isa;
  }();
  return chosen;
}

const char* gemm_kernel_name(KernelIsa isa) {
  switch (isa) {
    case KernelIsa::Avx512Vnni:
      return "gemm_u8s8s32_6x64c4_avx512vnni";
    case KernelIsa::Avx2:
      return "gemm_u8s8s32_2x16c4_avx2";
    case KernelIsa::Scalar:
      break;
  }
  return "gemm_u8s8s32_1x16c4_scalar";
}

const char* gemm_kernel_name() { return gemm_kernel_name(active_kernel_isa()); }

// ---- threads ---------------------------------------------------------------------------------------------

namespace {

int threads_from_environment() {
  const char* text = std::getenv("TINYTORCH_GEMM_THREADS");
  if (text == nullptr || text[0] == '\0') return 1;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 1 || value > kMaxThreads) {
    std::fprintf(stderr, "tinytorch: warning: TINYTORCH_GEMM_THREADS=%s; expected an integer in 1..%d; using 1\n",
                 text, kMaxThreads);
    return 1;
  }
  return static_cast<int>(value);
}

std::atomic<int>& thread_setting() {
  static std::atomic<int> threads{threads_from_environment()};
  return threads;
}

}  // namespace

void set_gemm_threads(int threads) {
  if (threads < 1 || threads > kMaxThreads) {
    throw ValueError(fmt::format("set_gemm_threads: {} threads; expected 1..{}", threads, kMaxThreads));
  }
  thread_setting().store(threads);
}

int gemm_threads() { return thread_setting().load(); }

// ---- the scalar path ------------------------------------------------------------------------------------

namespace gemm_detail {

void finish_tile_scalar(const GemmProblem& problem, int64_t m0, int64_t rows, int64_t n0, int64_t cols,
                        int32_t* acc, int64_t ld_acc) {
  // acc:(rows, cols) raw Σ a·w of outputs [m0, m0+rows) × [n0, n0+cols) -> y
  const PackedWeightsS8& w = *problem.w;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t m = m0 + r;
    const int32_t a_row_sum = problem.a_row_sums != nullptr ? problem.a_row_sums[m] : 0;
    for (int64_t j = 0; j < cols; ++j) {
      const int64_t n = n0 + j;
      // (2): the raw dot product plus its zero-point terms is (1)
      const int32_t value = static_cast<int32_t>(
          static_cast<uint32_t>(acc[r * ld_acc + j]) +
          zero_point_correction(w.k(), problem.a_zero_point, a_row_sum, w.zero_points()[n], w.row_sums()[n]));
      const int64_t at = m * problem.ldy + n;
      switch (problem.output) {
        case OutputKind::Int32:
          static_cast<int32_t*>(problem.y)[at] = value;
          break;
        case OutputKind::Float32:
          static_cast<float*>(problem.y)[at] =
              dequantize_one(value, problem.scale[n], problem.bias_s32 != nullptr ? problem.bias_s32 + n : nullptr,
                             problem.bias_f32 != nullptr ? problem.bias_f32 + n : nullptr);
          break;
        case OutputKind::Uint8:
        case OutputKind::Int8: {
          const int32_t bias = problem.bias_s32 != nullptr ? problem.bias_s32[n] : 0;
          const int32_t q = requantize_one(value, bias, {problem.multiplier[n], problem.shift[n]},
                                           problem.output_zero_point, problem.output_min, problem.output_max);
          if (problem.output == OutputKind::Uint8) {
            static_cast<uint8_t*>(problem.y)[at] = static_cast<uint8_t>(q);
          } else {
            static_cast<int8_t*>(problem.y)[at] = static_cast<int8_t>(q);
          }
          break;
        }
      }
    }
  }
}

// The scalar micro-kernel: one row × one block of 16 channels, over the packed layout (3).
// a:(M,K) packed w:(N,K) -> y columns [n_begin, n_end)
void gemm_u8s8_scalar(const GemmProblem& problem, int64_t n_begin, int64_t n_end) {
  // BEGIN SOLUTION
  const PackedWeightsS8& w = *problem.w;
  constexpr int64_t block_n = PackedWeightsS8::kBlockN;
  constexpr int64_t group_k = PackedWeightsS8::kGroupK;
  const int64_t K = w.k();
  for (int64_t m = 0; m < problem.M; ++m) {
    const uint8_t* a_row = problem.a + m * problem.lda;
    for (int64_t n0 = n_begin; n0 < n_end; n0 += block_n) {
      const int8_t* block = w.data() + (n0 / block_n) * (w.k_padded() * block_n);
      int32_t acc[block_n] = {};
      for (int64_t g = 0; g * group_k < K; ++g) {
        int32_t a_group[group_k] = {};  // a[m, 4g..4g+3], zero past K (the weights are zero there too)
        for (int64_t t = 0; t < group_k && g * group_k + t < K; ++t) a_group[t] = a_row[g * group_k + t];
        const int8_t* group = block + g * (block_n * group_k);  // (3): channel j's 4 bytes at 4j
        for (int64_t j = 0; j < block_n; ++j) {
          acc[j] += a_group[0] * group[j * group_k] + a_group[1] * group[j * group_k + 1] +
                    a_group[2] * group[j * group_k + 2] + a_group[3] * group[j * group_k + 3];
        }
      }
      finish_tile_scalar(problem, m, 1, n0, std::min(block_n, n_end - n0), acc, block_n);
    }
  }
  // END SOLUTION
}

}  // namespace gemm_detail

// ---- worker threads ------------------------------------------------------------------------------------

namespace {

// Threads started on first use and parked between GEMM calls: starting and joining
// a std::thread costs ~30 µs, as long as a whole 256×256×784 GEMM on one core.
class WorkerPool {
 public:
  ~WorkerPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (std::thread& worker : workers_) worker.join();
  }

  // task(0) … task(count − 1): task 0 on the calling thread, the others on parked workers.
  // Should another thread be using the pool, this call runs all of them itself (same results).
  void run(int count, const std::function<void(int)>& task) {
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) {
      for (int t = 0; t < count; ++t) task(t);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      while (static_cast<int>(workers_.size()) < count - 1) {
        const int index = static_cast<int>(workers_.size()) + 1;
        workers_.emplace_back([this, index] { work(index); });
      }
      task_ = &task;
      active_ = count;
      pending_ = count - 1;
      ++generation_;
    }
    wake_.notify_all();
    task(0);
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return pending_ == 0; });
    task_ = nullptr;
  }

 private:
  void work(int index) {
    uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    while (true) {
      wake_.wait(lock, [&] { return stopping_ || generation_ != seen; });
      if (stopping_) return;
      seen = generation_;
      if (index >= active_) continue;
      const std::function<void(int)>* task = task_;
      lock.unlock();
      (*task)(index);
      lock.lock();
      if (--pending_ == 0) done_.notify_one();
    }
  }

  std::mutex busy_;   // one GEMM at a time uses the workers
  std::mutex mutex_;  // guards everything below
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* task_ = nullptr;
  uint64_t generation_ = 0;
  int active_ = 0;   // tasks of the current call, the caller's included
  int pending_ = 0;  // worker tasks not finished yet
  bool stopping_ = false;
};

WorkerPool& worker_pool() {
  static WorkerPool pool;
  return pool;
}

}  // namespace

// ---- the GEMM: checks, the split over threads, the call of a path ------------------------------------------

namespace {

using gemm_detail::GemmProblem;
using gemm_detail::OutputKind;

// Everything the four entry points check the same way.
GemmProblem make_problem(int64_t M, const uint8_t* a, int64_t lda, int32_t a_zero_point, const PackedWeightsS8& w,
                         void* y, int64_t ldy, const char* operation) {
  if (w.empty()) throw ValueError(fmt::format("{}: the packed weights are empty; pack them with pack_weights_s8", operation));
  if (M < 0 || (M > 0 && (a == nullptr || y == nullptr)) || lda < w.k() || ldy < w.n()) {
    throw ShapeError(fmt::format("{}: a ({}, {}) with row stride {}, output ({}, {}) with row stride {}; expected "
                                 "M >= 0, data, lda >= K and ldy >= N",
                                 operation, M, w.k(), lda, M, w.n(), ldy));
  }
  if (a_zero_point < 0 || a_zero_point > 255) {
    throw ValueError(fmt::format("{}: activation zero point {}; expected it in [0, 255] (uint8 activations)", operation,
                                 a_zero_point));
  }
  GemmProblem problem;
  problem.M = M;
  problem.a = a;
  problem.lda = lda;
  problem.a_zero_point = a_zero_point;
  problem.w = &w;
  problem.y = y;
  problem.ldy = ldy;
  return problem;
}

// acc + bias stays inside int32 for every possible acc (|acc| ≤ K·255·255) unless |bias| is this large.
bool bias_may_overflow(std::span<const int32_t> bias, int64_t K) {
  const int64_t limit = std::numeric_limits<int32_t>::max() - K * kMaxProduct;
  return std::any_of(bias.begin(), bias.end(), [limit](int32_t b) { return b > limit || b < -limit; });
}

KernelIsa chosen_isa(const GemmOptions& options, const char* operation) {
  if (!options.isa.has_value()) return active_kernel_isa();
  if (!kernel_isa_supported(*options.isa)) {
    throw ValueError(fmt::format("{}: path {} was asked for, but this CPU (or build) does not support it; "
                                 "check kernel_isa_supported() first",
                                 operation, kernel_isa_name(*options.isa)));
  }
  return *options.isa;
}

int thread_count(const GemmOptions& options, const GemmProblem& problem, int64_t units, const char* operation) {
  if (options.threads < 0 || options.threads > kMaxThreads) {
    throw ValueError(fmt::format("{}: {} threads; expected 0 (the default) to {}", operation, options.threads,
                                 kMaxThreads));
  }
  int64_t threads = options.threads;
  if (threads == 0) {  // the default: only as many threads as there is work for
    const int64_t multiply_adds = problem.M * problem.w->n() * problem.w->k();
    threads = std::min<int64_t>(gemm_threads(), std::max<int64_t>(1, multiply_adds / kMinMultiplyAddsPerThread));
  }
  return static_cast<int>(std::clamp<int64_t>(threads, 1, units));
}

void run(GemmProblem problem, const GemmOptions& options, const char* operation) {
  if (problem.M == 0) return;
  const KernelIsa isa = chosen_isa(options, operation);
  const PackedWeightsS8& w = *problem.w;
  std::vector<int32_t> a_row_sums;
  if (w.has_zero_points()) {  // (2)'s third term needs Σ_k a[m, k]
    a_row_sums.resize(static_cast<std::size_t>(problem.M));
    row_sums_u8_ref(problem.M, w.k(), problem.a, problem.lda, a_row_sums.data());
    problem.a_row_sums = a_row_sums.data();
  }
  auto* kernel = isa == KernelIsa::Avx512Vnni ? gemm_detail::gemm_u8s8_avx512vnni
                 : isa == KernelIsa::Avx2     ? gemm_detail::gemm_u8s8_avx2
                                              : gemm_detail::gemm_u8s8_scalar;
  // Threads take contiguous ranges of 64-column units; each output is computed the
  // same way whichever thread owns it, so the split cannot change a bit of the result.
  const int64_t units = (w.n() + kColumnsPerUnit - 1) / kColumnsPerUnit;
  const int threads = thread_count(options, problem, units, operation);
  const auto columns_of = [&](int t) {
    const int64_t n_begin = units * t / threads * kColumnsPerUnit;
    const int64_t n_end = std::min(w.n(), units * (t + 1) / threads * kColumnsPerUnit);
    kernel(problem, n_begin, n_end);
  };
  if (threads == 1) {
    columns_of(0);
  } else {
    worker_pool().run(threads, columns_of);
  }
}
}  // namespace

void gemm_u8s8s32(int64_t M, const uint8_t* a, int64_t lda, int32_t a_zero_point, const PackedWeightsS8& w,
                  int32_t* c, int64_t ldc, const GemmOptions& options) {
  GemmProblem problem = make_problem(M, a, lda, a_zero_point, w, c, ldc, "gemm_u8s8s32");
  problem.output = OutputKind::Int32;
  run(problem, options, "gemm_u8s8s32");
}

void gemm_u8s8f32(int64_t M, const uint8_t* a, int64_t lda, int32_t a_zero_point, const PackedWeightsS8& w,
                  const DequantizeEpilogue& epilogue, float* y, int64_t ldy, const GemmOptions& options) {
  constexpr const char* operation = "gemm_u8s8f32";
  GemmProblem problem = make_problem(M, a, lda, a_zero_point, w, y, ldy, operation);
  check_dequantize_epilogue(epilogue, w.n(), operation);
  problem.output = OutputKind::Float32;
  problem.scale = epilogue.scale.data();
  problem.bias_s32 = epilogue.bias_s32.empty() ? nullptr : epilogue.bias_s32.data();
  problem.bias_f32 = epilogue.bias_f32.empty() ? nullptr : epilogue.bias_f32.data();
  problem.bias_needs_int64 = bias_may_overflow(epilogue.bias_s32, w.k());
  run(problem, options, operation);
}

namespace {

template <typename Out>
void gemm_requantized(int64_t M, const uint8_t* a, int64_t lda, int32_t a_zero_point, const PackedWeightsS8& w,
                      const RequantizeEpilogue& epilogue, Out* y, int64_t ldy, const GemmOptions& options,
                      const char* operation) {
  GemmProblem problem = make_problem(M, a, lda, a_zero_point, w, y, ldy, operation);
  check_requantize_epilogue(epilogue, w.n(), std::numeric_limits<Out>::min(), std::numeric_limits<Out>::max(),
                            operation);
  problem.output = std::is_same_v<Out, uint8_t> ? OutputKind::Uint8 : OutputKind::Int8;
  problem.bias_s32 = epilogue.bias_s32.empty() ? nullptr : epilogue.bias_s32.data();
  problem.multiplier = epilogue.multiplier.data();
  problem.shift = epilogue.shift.data();
  problem.output_zero_point = epilogue.output_zero_point;
  problem.output_min = epilogue.output_min;
  problem.output_max = epilogue.output_max;
  problem.bias_needs_int64 = bias_may_overflow(epilogue.bias_s32, w.k());
  run(problem, options, operation);
}

}  // namespace

void gemm_u8s8u8(int64_t M, const uint8_t* a, int64_t lda, int32_t a_zero_point, const PackedWeightsS8& w,
                 const RequantizeEpilogue& epilogue, uint8_t* y, int64_t ldy, const GemmOptions& options) {
  gemm_requantized(M, a, lda, a_zero_point, w, epilogue, y, ldy, options, "gemm_u8s8u8");
}

void gemm_u8s8s8(int64_t M, const uint8_t* a, int64_t lda, int32_t a_zero_point, const PackedWeightsS8& w,
                 const RequantizeEpilogue& epilogue, int8_t* y, int64_t ldy, const GemmOptions& options) {
  gemm_requantized(M, a, lda, a_zero_point, w, epilogue, y, ldy, options, "gemm_u8s8s8");
}

// ---- tensor forms ---------------------------------------------------------------------------------------

namespace {

// a:(M, K) uint8 as it is, or int8 moved to uint8 by +128 together with its zero point.
struct Uint8Activations {
  Tensor values;  // (M, K) uint8, contiguous
  int32_t zero_point = 0;
};

Uint8Activations uint8_activations(const Tensor& a, int32_t a_zero_point, const PackedWeightsS8& w,
                                   const char* operation) {
  if (!a.defined() || (a.dtype() != DType::UInt8 && a.dtype() != DType::Int8)) {
    throw DTypeError(fmt::format("{}: a is {}; expected uint8 or int8 activations (M, K)", operation,
                                 a.defined() ? dtype_name(a.dtype()) : "undefined"));
  }
  if (w.empty() || a.dim() != 2 || a.shape()[1] != w.k()) {
    throw ShapeError(fmt::format("{}: a is {}, the packed weights are ({}, {}); expected a:(M, K) with K = {}",
                                 operation, shape_str(a.shape()), w.n(), w.k(), w.k()));
  }
  if (a.dtype() == DType::UInt8) return {a.contiguous(), a_zero_point};
  if (a_zero_point < -128 || a_zero_point > 127) {
    throw ValueError(fmt::format("{}: activation zero point {} for int8 activations; expected it in [-128, 127]",
                                 operation, a_zero_point));
  }
  const Tensor source = a.contiguous();
  Tensor shifted = Tensor::empty(source.shape(), DType::UInt8);
  const int8_t* in = source.data<int8_t>();
  uint8_t* out = shifted.data<uint8_t>();
  // a_u8 = a_s8 + 128 (the sign bit flipped): a_u8 − (z + 128) = a_s8 − z, the same real values.
  for (int64_t i = 0; i < source.numel(); ++i) out[i] = static_cast<uint8_t>(int32_t{in[i]} + 128);
  return {shifted, a_zero_point + 128};
}

}  // namespace

Tensor gemm_u8s8s32(const Tensor& a, int32_t a_zero_point, const PackedWeightsS8& w, const GemmOptions& options) {
  const Uint8Activations input = uint8_activations(a, a_zero_point, w, "gemm_u8s8s32");
  const int64_t M = a.shape()[0];
  Tensor c = Tensor::empty({M, w.n()}, DType::Int32);
  gemm_u8s8s32(M, input.values.data<uint8_t>(), w.k(), input.zero_point, w, c.data<int32_t>(), w.n(), options);
  return c;
}

Tensor gemm_u8s8f32(const Tensor& a, int32_t a_zero_point, const PackedWeightsS8& w,
                    const DequantizeEpilogue& epilogue, const GemmOptions& options) {
  const Uint8Activations input = uint8_activations(a, a_zero_point, w, "gemm_u8s8f32");
  const int64_t M = a.shape()[0];
  Tensor y = Tensor::empty({M, w.n()}, DType::Float32);
  gemm_u8s8f32(M, input.values.data<uint8_t>(), w.k(), input.zero_point, w, epilogue, y.data<float>(), w.n(),
               options);
  return y;
}

Tensor gemm_u8s8u8(const Tensor& a, int32_t a_zero_point, const PackedWeightsS8& w,
                   const RequantizeEpilogue& epilogue, const GemmOptions& options) {
  const Uint8Activations input = uint8_activations(a, a_zero_point, w, "gemm_u8s8u8");
  const int64_t M = a.shape()[0];
  Tensor y = Tensor::empty({M, w.n()}, DType::UInt8);
  gemm_u8s8u8(M, input.values.data<uint8_t>(), w.k(), input.zero_point, w, epilogue, y.data<uint8_t>(), w.n(),
              options);
  return y;
}

Tensor gemm_u8s8s8(const Tensor& a, int32_t a_zero_point, const PackedWeightsS8& w,
                   const RequantizeEpilogue& epilogue, const GemmOptions& options) {
  const Uint8Activations input = uint8_activations(a, a_zero_point, w, "gemm_u8s8s8");
  const int64_t M = a.shape()[0];
  Tensor y = Tensor::empty({M, w.n()}, DType::Int8);
  gemm_u8s8s8(M, input.values.data<uint8_t>(), w.k(), input.zero_point, w, epilogue, y.data<int8_t>(), w.n(),
              options);
  return y;
}

}  // namespace tinytorch
