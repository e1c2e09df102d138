// bench_gemm_int8.cpp — module 15's INT8 GEMM against the FP32 baseline and against oneDNN.
//
//   FP32:   y:(M,N) float = x:(M,K) float · w:(N,K)ᵀ float        OpenBLAS sgemm (tinytorch::sgemm)
//   INT8:   c:(M,N) int32 = a:(M,K) uint8 · w:(N,K)ᵀ int8         gemm_u8s8s32, every ISA path built
//   oneDNN: the same INT8 product by oneDNN's matmul primitive      (Intel's library, the reference speed)
//
// This is the Linear layer's product (x Wᵀ), for the three layers of the
// milestone MLP (784-256-128-10) and two large square layers, at batch sizes
// M = 1, 16, 64, 256, 1024. The INT8 kernel and oneDNN both get their weights
// packed ahead of time, outside the timing, as a quantized layer keeps them:
//   INT8    the packed layout of gemm_u8s8s32 (its name is printed);
//   oneDNN  the layout oneDNN picks for itself (format_tag::any), reordered into once;
//           the primitive is created once per shape; only execute() is timed.
// Both produce exact int32 sums, so each INT8 path's output is compared with
// oneDNN's bit for bit before it is timed: the program stops if they differ.
//
// Each entry: median time per call (median_timer.hpp: warm-up, then samples of
// back-to-back calls lasting ~50 ms in all; on one thread the kernels of a shape
// take their samples in turn, so a busy stretch of the machine slows them alike),
// GOP/s = 2·M·N·K / time, and
//   ×FP32   = t_FP32 / t     (> 1: faster than the FP32 OpenBLAS kernel)
//   ×oneDNN = t_oneDNN / t   (> 1: faster than oneDNN)
// The scalar path is a plain loop: shapes above --scalar-max-gop are skipped for
// it (it would take seconds per call) and the table says so.
//
// Threads: 1 by default, for all three — OpenBLAS by blas_set_num_threads,
// oneDNN by OpenMP (Debian builds libdnnl with the OpenMP runtime, GNU libgomp:
// omp_set_num_threads before the primitives run), the INT8 kernel by its own
// setting. --threads 2 runs all three with 2. The "busy" column (process CPU
// time / wall time) shows how many cores each really kept busy.
//
//   bench_gemm_int8 [--threads 1] [--json PATH] [--quick] [--scalar-max-gop 1]
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <omp.h>

#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "median_timer.hpp"
#include "tinytorch/core/blas.hpp"
#include "tinytorch/core/cpu_features.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/core/tensor.hpp"
#include "tinytorch/perf/gemm_u8s8s32.hpp"

using namespace tinytorch;

namespace {

struct GemmShape {
  int64_t m, n, k;
  double ops() const { return 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k); }
};

std::vector<GemmShape> benchmark_shapes() {
  const std::pair<int64_t, int64_t> layers[] = {{256, 784}, {128, 256}, {10, 128}, {1024, 1024}, {4096, 4096}};
  std::vector<GemmShape> shapes;
  for (auto [n, k] : layers) {
    for (int64_t m : {1, 16, 64, 256, 1024}) shapes.push_back({m, n, k});
  }
  return shapes;
}

// ---- the operands: random values, the same for every kernel ---------------------------
struct Operands {
  Tensor x_f32, w_f32, y_f32;  // FP32: x:(M,K) w:(N,K) -> y:(M,N)
  Tensor a_u8, w_s8;           // INT8: a:(M,K) uint8 in [0, 255], w:(N,K) int8 in [-127, 127]
};

// Integers drawn uniformly from [low, high].
template <typename T>
Tensor random_integers(const Shape& shape, int low, int high, Generator& generator) {
  Tensor t = Tensor::empty(shape, dtype_of<T>());
  T* values = t.data<T>();
  const auto levels = static_cast<uint64_t>(high - low + 1);
  for (int64_t i = 0; i < t.numel(); ++i) values[i] = static_cast<T>(low + static_cast<int>(generator.below(levels)));
  return t;
}

Operands make_operands(const GemmShape& s) {
  Generator generator(1);
  Operands o;
  o.x_f32 = Tensor::randn({s.m, s.k}, 0, 1, generator);
  o.w_f32 = Tensor::randn({s.n, s.k}, 0, 1, generator);
  o.y_f32 = Tensor::zeros({s.m, s.n});
  o.a_u8 = random_integers<uint8_t>({s.m, s.k}, 0, 255, generator);
  o.w_s8 = random_integers<int8_t>({s.n, s.k}, -127, 127, generator);
  return o;
}

// ---- FP32: the OpenBLAS call behind Linear (ops::matmul(x, w, false, true)) -------------
std::function<void()> fp32_gemm(const GemmShape& s, Operands& o) {
  return [&s, &o] {
    const int m = static_cast<int>(s.m), n = static_cast<int>(s.n), k = static_cast<int>(s.k);
    sgemm(false, true, m, n, k, 1.0f, o.x_f32.data<float>(), k, o.w_f32.data<float>(), k, 0.0f, o.y_f32.data<float>(),
          n);
  };
}

// ---- oneDNN: u8 × s8 -> s32 matmul, weights in the layout oneDNN chooses ------------------
// oneDNN's matmul computes src:(M,K) · weights:(K,N). Our w:(N,K) row-major is
// that (K,N) matrix stored column-major: format tag "ba". Everything but the
// execute() call happens once, here: the primitive, the packed weights, and the
// memory objects around a and c.
class OneDnnInt8Matmul {
 public:
  // c:(M,N) int32 = a:(M,K) uint8 · w:(N,K)ᵀ int8, on every run().
  OneDnnInt8Matmul(const dnnl::engine& engine, const GemmShape& s, const Tensor& w_s8, const Tensor& a_u8, Tensor& c)
      : stream_(engine) {
    using dt = dnnl::memory::data_type;
    using tag = dnnl::memory::format_tag;
    const dnnl::memory::desc src({s.m, s.k}, dt::u8, tag::ab);
    const dnnl::memory::desc weights_any({s.k, s.n}, dt::s8, tag::any);
    const dnnl::memory::desc weights_ours({s.k, s.n}, dt::s8, tag::ba);
    const dnnl::memory::desc dst({s.m, s.n}, dt::s32, tag::ab);
    primitive_desc_ = dnnl::matmul::primitive_desc(dnnl::matmul::desc(src, weights_any, dst), engine);
    primitive_ = dnnl::matmul(primitive_desc_);
    // Pack the weights once, as a quantized layer would when it is built.
    dnnl::memory ours(weights_ours, engine, const_cast<int8_t*>(w_s8.data<int8_t>()));
    packed_weights_ = dnnl::memory(primitive_desc_.weights_desc(), engine);
    dnnl::reorder(ours, packed_weights_).execute(stream_, ours, packed_weights_);
    stream_.wait();
    src_ = dnnl::memory(src, engine, const_cast<uint8_t*>(a_u8.data<uint8_t>()));
    dst_ = dnnl::memory(dst, engine, c.data<int32_t>());
  }

  void run() {
    primitive_.execute(stream_, {{DNNL_ARG_SRC, src_}, {DNNL_ARG_WEIGHTS, packed_weights_}, {DNNL_ARG_DST, dst_}});
    stream_.wait();
  }

  std::string kernel_name() const { return primitive_desc_.impl_info_str(); }
  std::string weights_layout() const { return layout_tag(primitive_desc_.weights_desc()); }

 private:
  // oneDNN's own notation for a blocked layout (as ONEDNN_VERBOSE prints it):
  // dimensions a, b, ... outermost first, upper case when also blocked inside,
  // then the inner blocks: "BA16a64b4a" = blocks of (16·4) K × 64 N, 4 K innermost.
  static std::string layout_tag(const dnnl::memory::desc& md) {
    const dnnl_memory_desc_t& d = md.data;
    if (d.format_kind != dnnl_blocked) return "(not a blocked layout)";
    const dnnl_blocking_desc_t& blocking = d.format_desc.blocking;
    std::vector<int> order(static_cast<std::size_t>(d.ndims));
    for (int i = 0; i < d.ndims; ++i) order[static_cast<std::size_t>(i)] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](int x, int y) { return blocking.strides[x] > blocking.strides[y]; });
    std::string tag;
    for (int dim : order) {
      bool blocked = false;
      for (int i = 0; i < blocking.inner_nblks; ++i) blocked |= blocking.inner_idxs[i] == dim;
      tag += static_cast<char>((blocked ? 'A' : 'a') + dim);
    }
    for (int i = 0; i < blocking.inner_nblks; ++i) {
      tag += std::to_string(blocking.inner_blks[i]) + static_cast<char>('a' + blocking.inner_idxs[i]);
    }
    return tag;
  }

  dnnl::stream stream_;
  dnnl::matmul::primitive_desc primitive_desc_;
  dnnl::matmul primitive_;
  dnnl::memory packed_weights_, src_, dst_;
};

// ---- module 15's INT8 kernel, one ISA path -------------------------------------------------
// Every ISA path this binary has built and this CPU runs, fastest first.
std::vector<KernelIsa> int8_paths() {
  std::vector<KernelIsa> paths;
  for (KernelIsa isa : {KernelIsa::Avx512Vnni, KernelIsa::Avx2, KernelIsa::Scalar}) {
    if (kernel_isa_supported(isa)) paths.push_back(isa);
  }
  return paths;
}

// The packed layout (3) of gemm_u8s8s32.hpp in oneDNN's notation (a = K, b = N), so the
// two columns of the table compare: blocks of 16 channels, 4 consecutive k innermost.
std::string int8_weights_layout() {
  return fmt::format("BA{}b{}a", PackedWeightsS8::kBlockN, PackedWeightsS8::kGroupK);
}

// c:(M,N) int32 = a:(M,K) uint8 · wᵀ on one forced path. Zero points are 0 on both
// sides (oneDNN's matmul here has none): the raw u8 × s8 product, the kernel's work.
// Threads: the library's default rule (up to set_gemm_threads(), fewer for small
// products), as OpenBLAS and oneDNN also pick fewer threads for small products.
class Int8Gemm {
 public:
  Int8Gemm(KernelIsa isa, const GemmShape& s, const Tensor& w_s8)
      : shape_(s), packed_(pack_weights_s8(s.n, s.k, w_s8.data<int8_t>(), s.k, nullptr)), options_{.isa = isa} {}
  void run(const uint8_t* a, int32_t* c) const {
    gemm_u8s8s32(shape_.m, a, shape_.k, /*a_zero_point=*/0, packed_, c, shape_.n, options_);
  }

 private:
  GemmShape shape_;
  PackedWeightsS8 packed_;
  GemmOptions options_;
};

// Both sides hold exact int32 sums: any difference is a bug, not rounding.
void check_same_sums(const GemmShape& s, const std::string& kernel, const Tensor& ours, const Tensor& onednn) {
  const int32_t* c = ours.data<int32_t>();
  const int32_t* expected = onednn.data<int32_t>();
  for (int64_t i = 0; i < s.m * s.n; ++i) {
    if (c[i] != expected[i]) {
      throw std::runtime_error(fmt::format("{} at M{} N{} K{}: c[{}, {}] = {}, oneDNN computes {}", kernel, s.m, s.n,
                                           s.k, i / s.n, i % s.n, c[i], expected[i]));
    }
  }
}

// ---- one table row per shape and kernel -----------------------------------------------------
struct Row {
  GemmShape shape;
  std::string kernel;  // "FP32 sgemm", "oneDNN brg:avx512_core_vnni", "gemm_u8s8s32_6x64c4_avx512vnni", ...
  std::string layout;  // how the weights are stored for it
  std::optional<bench::Timing> timing;  // none: skipped
  std::string skip_reason;
  double gops() const { return timing ? shape.ops() / timing->seconds_per_call / 1e9 : 0.0; }
};

// --quick keeps the scalar path to the small shapes (~0.05 s per call at ~3 GOP/s).
constexpr double kQuickScalarMaxGop = 0.15;

struct Options {
  int threads = 1;
  bool quick = false;
  double scalar_max_gop = 1.0;
  std::string json_path;
};

// Every kernel on one shape: FP32, oneDNN, then each INT8 path (checked against oneDNN
// first), timed side by side (median_timer.hpp).
std::vector<Row> bench_shape(const GemmShape& s, const std::vector<KernelIsa>& paths, const dnnl::engine& engine,
                             const Options& options, const bench::TimingBudget& budget) {
  Operands o = make_operands(s);
  Tensor c_onednn = Tensor::zeros({s.m, s.n}, DType::Int32);
  OneDnnInt8Matmul onednn(engine, s, o.w_s8, o.a_u8, c_onednn);
  onednn.run();  // the sums every INT8 path must reproduce

  std::vector<Row> rows = {{s, "FP32 sgemm", "row-major, packed inside each call", std::nullopt, ""},
                           {s, "oneDNN " + onednn.kernel_name(), onednn.weights_layout(), std::nullopt, ""}};
  std::vector<std::function<void()>> calls = {fp32_gemm(s, o), [&onednn] { onednn.run(); }};
  std::vector<std::unique_ptr<Int8Gemm>> int8_gemms;  // alive until the timing is done
  for (KernelIsa isa : paths) {
    if (isa == KernelIsa::Scalar && s.ops() > options.scalar_max_gop * 1e9) {
      rows.push_back(
          {s, gemm_kernel_name(isa), int8_weights_layout(), std::nullopt,
           fmt::format("skipped: {:.2f} GOP > --scalar-max-gop {:g}", s.ops() / 1e9, options.scalar_max_gop)});
      continue;
    }
    int8_gemms.push_back(std::make_unique<Int8Gemm>(isa, s, o.w_s8));
    Tensor c = Tensor::zeros({s.m, s.n}, DType::Int32);
    auto call = [gemm = int8_gemms.back().get(), a = o.a_u8, c]() mutable {
      gemm->run(a.data<uint8_t>(), c.data<int32_t>());
    };
    call();
    check_same_sums(s, gemm_kernel_name(isa), c, c_onednn);
    rows.push_back({s, gemm_kernel_name(isa), int8_weights_layout(), std::nullopt, ""});
    calls.push_back(call);
  }

  const std::vector<bench::Timing> timings = bench::time_side_by_side(calls, options.threads, budget);
  std::size_t next = 0;
  for (Row& row : rows) {
    if (row.skip_reason.empty()) row.timing = timings[next++];
  }
  return rows;
}

// ---- printing -------------------------------------------------------------------------------
// The FP32 and oneDNN rows of a shape are its first two rows (bench_shape's order).
double speedup(const Row& row, const Row& baseline) {
  return row.timing ? baseline.timing->seconds_per_call / row.timing->seconds_per_call : 0.0;
}

void print_table_header() {
  fmt::print("{:>5} {:>5} {:>5}  {:<31} {:>11} {:>8} {:>7} {:>8} {:>5}  {}\n", "M", "N", "K", "kernel", "time us",
             "GOP/s", "xFP32", "xoneDNN", "busy", "weights layout");
}

void print_shape_rows(const std::vector<Row>& rows) {
  const Row& fp32 = rows[0];
  const Row& onednn = rows[1];
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const std::string shape =
        i == 0 ? fmt::format("{:>5} {:>5} {:>5}", r.shape.m, r.shape.n, r.shape.k) : std::string(17, ' ');
    if (!r.timing) {
      fmt::print("{}  {:<31} {}\n", shape, r.kernel, r.skip_reason);
      continue;
    }
    fmt::print("{}  {:<31} {:>11.2f} {:>8.1f} {:>7.2f} {:>8.2f} {:>5.2f}  {}\n", shape, r.kernel,
               r.timing->seconds_per_call * 1e6, r.gops(), speedup(r, fp32), speedup(r, onednn), r.timing->cores_busy,
               r.layout);
  }
  std::fflush(stdout);
}

// The goals for the INT8 kernel, stated for one thread: at (N,K) = (256,784)
// and (1024,1024), M >= 64, the fastest INT8 path >= 3.5x FP32 and >= 800 GOP/s.
constexpr double kGoalSpeedupVsFp32 = 3.5;
constexpr double kGoalGops = 800.0;

void print_goals(const std::vector<std::vector<Row>>& table, int threads) {
  if (threads != 1) {
    fmt::print("\nGoals are stated for one thread: run without --threads to check them.\n");
    return;
  }
  fmt::print(
      "\nGoals (fastest INT8 path; >= {:.1f}x FP32 and >= {:.0f} GOP/s at M >= 64, (N,K) = (256,784), (1024,1024)):\n",
      kGoalSpeedupVsFp32, kGoalGops);
  for (const std::vector<Row>& rows : table) {
    const GemmShape& s = rows[0].shape;
    const bool goal_shape = s.m >= 64 && ((s.n == 256 && s.k == 784) || (s.n == 1024 && s.k == 1024));
    if (!goal_shape) continue;
    const Row* best = nullptr;
    for (std::size_t i = 2; i < rows.size(); ++i) {
      if (rows[i].timing && (!best || rows[i].timing->seconds_per_call < best->timing->seconds_per_call))
        best = &rows[i];
    }
    if (!best) continue;
    const double x_fp32 = speedup(*best, rows[0]);
    fmt::print("  M{:<5} N{:<5} K{:<5} {:<31} {:6.2f}x FP32 ({}), {:7.1f} GOP/s ({})\n", s.m, s.n, s.k, best->kernel,
               x_fp32, x_fp32 >= kGoalSpeedupVsFp32 ? "met" : "MISSED", best->gops(),
               best->gops() >= kGoalGops ? "met" : "MISSED");
  }
}

// ---- JSON -------------------------------------------------------------------------------------
nlohmann::json row_json(const Row& r, const Row& fp32, const Row& onednn) {
  nlohmann::json j = {{"m", r.shape.m}, {"n", r.shape.n}, {"k", r.shape.k}, {"kernel", r.kernel}, {"layout", r.layout}};
  if (!r.timing) {
    j["skipped"] = r.skip_reason;
    return j;
  }
  j["time_us"] = r.timing->seconds_per_call * 1e6;
  j["gops"] = r.gops();
  j["speedup_vs_fp32"] = speedup(r, fp32);
  j["speedup_vs_onednn"] = speedup(r, onednn);
  j["cores_busy"] = r.timing->cores_busy;
  j["samples"] = r.timing->samples;
  j["calls_per_sample"] = r.timing->calls_per_sample;
  return j;
}

void write_json(std::ofstream& file, const std::string& path, const nlohmann::json& context,
                const std::vector<std::vector<Row>>& table) {
  nlohmann::json out = context;
  out["rows"] = nlohmann::json::array();
  for (const std::vector<Row>& rows : table) {
    for (const Row& r : rows) out["rows"].push_back(row_json(r, rows[0], rows[1]));
  }
  file << out.dump(2) << "\n";
  if (!file) throw std::runtime_error("cannot write --json " + path);
}

// ---- context lines: what this was measured on -------------------------------------------------
std::string onednn_isa_name(dnnl::cpu_isa isa) {
  switch (isa) {
    case dnnl::cpu_isa::avx2: return "avx2";
    case dnnl::cpu_isa::avx2_vnni: return "avx2_vnni";
    case dnnl::cpu_isa::avx512_core: return "avx512_core";
    case dnnl::cpu_isa::avx512_core_vnni: return "avx512_core_vnni";
    case dnnl::cpu_isa::avx512_core_bf16: return "avx512_core_bf16 (includes vnni)";
    case dnnl::cpu_isa::avx512_core_amx: return "avx512_core_amx";
    default: return fmt::format("isa #{}", static_cast<int>(isa));
  }
}

std::string onednn_summary() {
  const dnnl_version_t* v = dnnl_version();
  return fmt::format("oneDNN {}.{}.{}, ISA {}, OpenMP runtime (libgomp), {} thread(s)", v->major, v->minor, v->patch,
                     onednn_isa_name(dnnl::get_effective_cpu_isa()), omp_get_max_threads());
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"INT8 GEMM (u8 x s8 -> s32) vs FP32 OpenBLAS and oneDNN, C = A . W^T"};
  app.add_option("--threads", options.threads, "threads for all three libraries")->check(CLI::PositiveNumber);
  app.add_option("--json", options.json_path, "also write the table to this file");
  app.add_flag("--quick", options.quick, "smoke test: one short sample per entry (figures are not meaningful)");
  CLI::Option* scalar_cap =
      app.add_option("--scalar-max-gop", options.scalar_max_gop, "skip the scalar path above this many GOP per call");
  CLI11_PARSE(app, argc, argv);
  if (options.quick && scalar_cap->count() == 0) options.scalar_max_gop = kQuickScalarMaxGop;
  try {
    std::ofstream json_file;  // opened now, so a bad --json path fails before the measurements
    if (!options.json_path.empty()) {
      json_file.open(options.json_path);
      if (!json_file) throw std::runtime_error("cannot write --json " + options.json_path);
    }
    blas_set_num_threads(options.threads);
    omp_set_num_threads(options.threads);  // oneDNN's threads (OpenMP runtime), before any primitive runs
    set_gemm_threads(options.threads);
    bench::let_worker_threads_sleep();  // the workers OpenBLAS started when it was loaded
    const dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    const std::vector<KernelIsa> paths = int8_paths();
    std::string path_names;
    for (KernelIsa isa : paths) path_names += fmt::format("{}{}", path_names.empty() ? "" : ", ", kernel_isa_name(isa));

    fmt::print("bench_gemm_int8: C:(M,N) = A:(M,K) . W:(N,K)^T, {} thread(s){}\n", options.threads,
               options.quick ? "  [--quick: figures NOT meaningful]" : "");
    fmt::print("  CPU:    {}\n  BLAS:   {}\n  oneDNN: {}\n", cpu_summary(), blas_summary(), onednn_summary());
    fmt::print("  INT8:   paths {} (dispatch picks {}: {}), {} thread(s); packed weights {} (a = K, b = N)\n",
               path_names, kernel_isa_name(active_kernel_isa()), gemm_kernel_name(), gemm_threads(),
               int8_weights_layout());
    const double load_before = bench::load_average();
    fmt::print("  load:   {:.2f} (1-minute load average before the run, {} cores)\n", load_before,
               std::thread::hardware_concurrency());
    fmt::print("  time = median per call; xFP32 = t_FP32 / t; xoneDNN = t_oneDNN / t; busy = CPU time / wall time\n\n");

    const bench::TimingBudget budget = options.quick ? bench::quick_budget() : bench::TimingBudget{};
    print_table_header();
    std::vector<std::vector<Row>> table;
    for (const GemmShape& s : benchmark_shapes()) {
      table.push_back(bench_shape(s, paths, engine, options, budget));
      print_shape_rows(table.back());
    }
    print_goals(table, options.threads);
    const double load_after = bench::load_average();
    fmt::print(
        "\nload average {:.2f} before, {:.2f} after: busy below the thread count means the library used\n"
        "fewer threads or other processes took the cores; then the figures understate the code.\n",
        load_before, load_after);

    if (!options.json_path.empty()) {
      const nlohmann::json context = {{"program", "bench_gemm_int8"},
                                      {"threads", options.threads},
                                      {"quick", options.quick},
                                      {"cpu", cpu_summary()},
                                      {"blas", blas_summary()},
                                      {"onednn", onednn_summary()},
                                      {"load_average_before", load_before},
                                      {"load_average_after", load_after}};
      write_json(json_file, options.json_path, context, table);
      fmt::print("\nwrote {}\n", options.json_path);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_gemm_int8: %s\n", error.what());
    return 2;
  }
  return 0;
}
