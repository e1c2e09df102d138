// gemm_u8s8s32.hpp — Module 15: the INT8 matrix multiply, uint8 × int8 -> int32, and its fast kernels.
//
// A quantized Linear multiplies uint8 activations a:(M, K) by int8 weights
// w:(N, K) (row-major, like Linear's weight (out, in)). With zero points z_a (one
// per tensor) and z_w[n] (one per output channel) the exact integer result is
//
//   acc[m, n] = Σ_k (a[m, k] − z_a) · (w[n, k] − z_w[n])                                       (1)
//
// and expanding the product gives four terms — the form the fast kernels use:
//
//   acc[m, n] = Σ_k a[m, k]·w[n, k]            the raw u8 × s8 dot product (the kernel's work)
//             − z_a · Σ_k w[n, k]              weight row sums: fixed, computed at pack time
//             − z_w[n] · Σ_k a[m, k]           activation row sums: a cheap pass, only if some z_w ≠ 0
//             + K · z_a · z_w[n]                                                                (2)
//
// With symmetric weights (z_w = 0, the default) the third and fourth terms
// vanish and the correction is one multiply-add per output column. (2) is
// computed in wrapping 32-bit arithmetic: each term may overflow on its own
// but the sum is (1), which fits an int32 for K ≤ 32768 (|each product| ≤ 255·255,
// 2^15 · 65025 < 2^31), so the wrapped sum is exact.
//
// Three paths compute the raw dot products, all on the same packed weights
// (pack_weights_s8, once, when a layer is quantized):
//
//   scalar      plain C++ over the packed layout; runs on any x86-64 (and anywhere)
//   avx2        8 int32 lanes. AVX2 has no u8×s8 dot of 4; vpmaddubsw (u8×s8, pairs
//               added into int16) SATURATES: 255·127 + 255·127 = 64770 > 32767. So
//               this path widens both operands to int16 (vpmovzxbw / vpmovsxbw) and
//               uses vpmaddwd (int16 pairs -> int32), which is exact.
//   avx512vnni  vpdpbusd: 16 int32 lanes, each += a u8×s8 dot product of 4 bytes,
//               exact in int32 — one instruction per 64 multiply-adds.
//
// The packed layout (what vpdpbusd wants: 4 consecutive k of one output channel
// side by side, 16 channels per 64-byte vector), for channel n and depth k:
//
//   K_padded = K rounded up to a multiple of 4 (kGroupK); N_padded = N rounded up to 16 (kBlockN)
//   offset(n, k) = (n / 16)·(K_padded·16)  +  (k / 4)·64  +  (n % 16)·4  +  k % 4                 (3)
//
// Padding bytes are 0, so they add nothing to any dot product whatever the
// activation bytes they meet. Kernels read several adjacent blocks at once
// (the AVX-512 tile is 64 channels wide = 4 blocks).
//
// Epilogues, applied to each output tile while it is still in registers:
//   int32      acc itself                                          gemm_u8s8s32
//   float32    y = scale[n] · float(acc + bias_s32[n])   (static)  gemm_u8s8f32
//              y = scale[n] · float(acc) + bias_f32[n]   (dynamic)
//              — the operation order of QuantizedLinear's scalar path, so equal to the bit
//   uint8/int8 y = clamp(z_y + fixed_point(acc + bias_s32[n]), q_min, q_max)
//                                                         gemm_u8s8u8 / gemm_u8s8s8 (requantize.hpp)
//
// Dispatch: the best path that is built in AND that the CPU supports (CPUID and
// XGETBV, cpu_features.hpp), decided once on first use. TINYTORCH_ISA=scalar|
// avx2|avx512vnni narrows it; asking for a path the CPU lacks (or an unknown
// name) prints one warning on stderr and keeps the best supported path.
// active_kernel_isa() / gemm_kernel_name() say what was chosen (programs print
// it); GemmOptions::isa lets tests and benchmarks run each path explicitly.
//
// Threads: set_gemm_threads(n) (default: TINYTORCH_GEMM_THREADS, else 1) splits
// the output columns, in blocks of 64, over up to n threads (the caller and
// parked workers). Every output is computed by the same instructions in the same
// order whatever the split, so results are identical bit for bit for any thread count.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "tinytorch/core/cpu_features.hpp"
#include "tinytorch/core/tensor.hpp"
#include "tinytorch/perf/requantize.hpp"

namespace tinytorch {

// ---- the references: the specification, stage by stage (plain loops) --------------------------
// a:(M, K) uint8 with row stride lda; w:(N, K) int8 with row stride ldw; c:(M, N) int32 with row stride ldc.

// (1) directly: c[m, n] = Σ_k (a[m, k] − a_zero_point) · (w[n, k] − w_zero_point[n]).
void gemm_u8s8s32_ref(int64_t M, int64_t N, int64_t K, const uint8_t* a, int64_t lda, int32_t a_zero_point,
                      const int8_t* w, int64_t ldw, const int32_t* w_zero_point, int32_t* c, int64_t ldc);
// The stages of (2): row sums of a (sums[m] = Σ_k a[m, k]) and of w (sums[n] = Σ_k w[n, k]) …
void row_sums_u8_ref(int64_t rows, int64_t K, const uint8_t* a, int64_t lda, int32_t* sums);
void row_sums_s8_ref(int64_t rows, int64_t K, const int8_t* w, int64_t ldw, int32_t* sums);
// … and the correction applied in place to the raw c = Σ a·w (gemm_u8s8s32_ref with zero points 0):
//   c[m, n] += − z_a·w_row_sums[n] − z_w[n]·a_row_sums[m] + K·z_a·z_w[n]      (wrapping int32)
void zero_point_correction_ref(int64_t M, int64_t N, int64_t K, int32_t a_zero_point, const int32_t* a_row_sums,
                               const int32_t* w_zero_point, const int32_t* w_row_sums, int32_t* c, int64_t ldc);

// ---- paths and dispatch ---------------------------------------------------------------------------
enum class KernelIsa { Scalar, Avx2, Avx512Vnni };
const char* kernel_isa_name(KernelIsa isa);  // "scalar", "avx2", "avx512vnni" (the TINYTORCH_ISA spellings)
// Built into this binary AND executable on this CPU (CPUID + XGETBV). Scalar is always true.
bool kernel_isa_supported(KernelIsa isa);
bool kernel_isa_supported(KernelIsa isa, const CpuFeatures& cpu);  // the same for a given feature set

// The decision rule, as a pure function (tests call it with made-up CPUs):
// requested = TINYTORCH_ISA's value (nullptr or "" = not set). The result is the
// requested path if cpu supports it, otherwise the best path cpu supports, with
// `warning` saying why the request was not honoured (empty when it was).
struct KernelIsaChoice {
  KernelIsa isa = KernelIsa::Scalar;
  std::string warning;
};
KernelIsaChoice choose_kernel_isa(const char* requested, const CpuFeatures& cpu);

// The path every call uses unless GemmOptions::isa says otherwise: choose_kernel_isa
// of getenv("TINYTORCH_ISA") and cpu_features(), decided once (its warning is
// printed once, on stderr) and cached.
KernelIsa active_kernel_isa();
// The micro-kernel a path runs, named by op, types, tile and ISA (STYLE 5),
// e.g. "gemm_u8s8s32_6x64c4_avx512vnni". No argument: the active path's.
const char* gemm_kernel_name(KernelIsa isa);
const char* gemm_kernel_name();

// Worker threads for one GEMM call (ValueError unless 1 <= threads <= 256).
// Default: TINYTORCH_GEMM_THREADS if set (a bad value warns once and means 1), else 1.
void set_gemm_threads(int threads);
int gemm_threads();

// Per-call options; the defaults mean "the active path, up to gemm_threads() threads".
struct GemmOptions {
  std::optional<KernelIsa> isa;  // force a path: ValueError if the CPU does not support it
  // 0: up to gemm_threads(), one per 2^24 multiply-adds (small products stay on one thread).
  // n > 0: exactly n threads (at most one per 64 output columns) — tests and benchmarks.
  int threads = 0;
};

// ---- packed weights -------------------------------------------------------------------------------
// w:(N, K) int8 in the layout (3), with what (2) needs precomputed. Immutable once
// packed; copies share the bytes (a layer and its clone may hold the same packing).
class PackedWeightsS8 {
 public:
  static constexpr int64_t kBlockN = 16;  // output channels per block: one vector of 16 int32 sums
  static constexpr int64_t kGroupK = 4;   // consecutive k per channel: vpdpbusd's dot of 4 bytes

  PackedWeightsS8() = default;
  int64_t n() const { return n_; }                // N, output channels
  int64_t k() const { return k_; }                // K, depth
  int64_t k_padded() const { return k_padded_; }  // K rounded up to kGroupK
  int64_t n_padded() const { return n_padded_; }  // N rounded up to kBlockN
  bool empty() const { return data_ == nullptr; }
  const int8_t* data() const { return data_.get(); }  // n_padded · k_padded bytes, 64-byte aligned
  // w[n, k] read back through (3), for tests and teaching (IndexError outside (N, K)).
  int8_t at(int64_t n, int64_t k) const;
  const int32_t* row_sums() const { return row_sums_.data(); }        // Σ_k w[n, k], (n_padded), 0 in padding
  const int32_t* zero_points() const { return zero_points_.data(); }  // z_w[n], (n_padded), 0 in padding
  bool has_zero_points() const { return has_zero_points_; }           // some z_w[n] ≠ 0: (2) needs Σ_k a

 private:
  friend PackedWeightsS8 pack_weights_s8(int64_t, int64_t, const int8_t*, int64_t, const int32_t*);
  int64_t n_ = 0, k_ = 0, k_padded_ = 0, n_padded_ = 0;
  std::shared_ptr<int8_t[]> data_;
  std::vector<int32_t> row_sums_;
  std::vector<int32_t> zero_points_;
  bool has_zero_points_ = false;
};

// w:(N, K) int8 with row stride ldw, w_zero_point:(N) in [−128, 127] or nullptr (all 0, symmetric).
// ValueError for N or K < 1, K > 32768 (the int32 bound of (2)) or a zero point out of range.
PackedWeightsS8 pack_weights_s8(int64_t N, int64_t K, const int8_t* w, int64_t ldw, const int32_t* w_zero_point);
// The same from a tensor w:(N, K) int8 and N zero points (or 1, repeated; or none = all 0).
PackedWeightsS8 pack_weights_s8(const Tensor& w, const std::vector<int32_t>& w_zero_point = {});

// ---- epilogues --------------------------------------------------------------------------------------
// DequantizeEpilogue (float32 out) and RequantizeEpilogue (uint8/int8 out) are
// defined in requantize.hpp, with their reference formulas (4)–(7).

// ---- the GEMM -----------------------------------------------------------------------------------------
// a:(M, K) uint8 row-major with row stride lda >= K, zero point a_zero_point in [0, 255];
// w packed (N, K) -> c:(M, N) with row stride ldc >= N. M may be 0 (nothing to do).
// ValueError / ShapeError for bad sizes, strides, zero points or epilogue spans.
void gemm_u8s8s32(int64_t M, const uint8_t* a, int64_t lda, int32_t a_zero_point, const PackedWeightsS8& w,
                  int32_t* c, int64_t ldc, const GemmOptions& options = {});
void gemm_u8s8f32(int64_t M, const uint8_t* a, int64_t lda, int32_t a_zero_point, const PackedWeightsS8& w,
                  const DequantizeEpilogue& epilogue, float* y, int64_t ldy, const GemmOptions& options = {});
void gemm_u8s8u8(int64_t M, const uint8_t* a, int64_t lda, int32_t a_zero_point, const PackedWeightsS8& w,
                 const RequantizeEpilogue& epilogue, uint8_t* y, int64_t ldy, const GemmOptions& options = {});
void gemm_u8s8s8(int64_t M, const uint8_t* a, int64_t lda, int32_t a_zero_point, const PackedWeightsS8& w,
                 const RequantizeEpilogue& epilogue, int8_t* y, int64_t ldy, const GemmOptions& options = {});

// Tensor forms: a:(M, K) uint8 — or int8, moved to uint8 by +128 with its zero point
// (a_u8 − (z + 128) = a_s8 − z, the sign trick vpdpbusd needs) — -> (M, N).
// DTypeError / ShapeError / ValueError naming the shapes.
Tensor gemm_u8s8s32(const Tensor& a, int32_t a_zero_point, const PackedWeightsS8& w, const GemmOptions& options = {});
Tensor gemm_u8s8f32(const Tensor& a, int32_t a_zero_point, const PackedWeightsS8& w,
                    const DequantizeEpilogue& epilogue, const GemmOptions& options = {});
Tensor gemm_u8s8u8(const Tensor& a, int32_t a_zero_point, const PackedWeightsS8& w,
                   const RequantizeEpilogue& epilogue, const GemmOptions& options = {});
Tensor gemm_u8s8s8(const Tensor& a, int32_t a_zero_point, const PackedWeightsS8& w,
                   const RequantizeEpilogue& epilogue, const GemmOptions& options = {});

// ---- inside the library: what each ISA translation unit provides ---------------------------------
// Not for callers: the dispatcher (gemm_u8s8s32.cpp) checks every argument and
// then hands one of these the columns [n_begin, n_end) (multiples of kBlockN,
// except that n_end may be N) of one problem. One translation unit per ISA,
// compiled with that ISA's flags only (STYLE 6).
namespace gemm_detail {

enum class OutputKind { Int32, Float32, Uint8, Int8 };

struct GemmProblem {
  int64_t M = 0;
  const uint8_t* a = nullptr;
  int64_t lda = 0;
  int32_t a_zero_point = 0;
  const int32_t* a_row_sums = nullptr;  // (M) Σ_k a[m, k]; only when w.has_zero_points()
  const PackedWeightsS8* w = nullptr;
  OutputKind output = OutputKind::Int32;
  void* y = nullptr;  // int32_t* / float* / uint8_t* / int8_t* by `output`
  int64_t ldy = 0;
  // Epilogue arrays, (N) each or nullptr.
  const float* scale = nullptr;
  const int32_t* bias_s32 = nullptr;
  const float* bias_f32 = nullptr;
  const int32_t* multiplier = nullptr;
  const int32_t* shift = nullptr;
  int32_t output_zero_point = 0, output_min = 0, output_max = 0;
  // bias_s32 so large that acc + bias could leave int32: the tile epilogue then
  // adds in int64 (the scalar epilogue) instead of in vector int32 lanes.
  bool bias_needs_int64 = false;
};

void gemm_u8s8_scalar(const GemmProblem& problem, int64_t n_begin, int64_t n_end);
void gemm_u8s8_avx2(const GemmProblem& problem, int64_t n_begin, int64_t n_end);
void gemm_u8s8_avx512vnni(const GemmProblem& problem, int64_t n_begin, int64_t n_end);

// The finished int32 tile acc:(rows, cols) (row stride ld_acc) of output rows
// [m0, m0 + rows) and columns [n0, n0 + cols): zero-point correction (2) and the
// epilogue, by the scalar reference formulas. The scalar path uses it for every
// tile, the SIMD paths for their rare int64-bias tiles.
void finish_tile_scalar(const GemmProblem& problem, int64_t m0, int64_t rows, int64_t n0, int64_t cols,
                        int32_t* acc, int64_t ld_acc);

}  // namespace gemm_detail
}  // namespace tinytorch
