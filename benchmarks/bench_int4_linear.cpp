// bench_int4_linear.cpp — latency of the weight-only INT4 Linear (Int4Linear, group 32) against the FP32
// Linear (OpenBLAS sgemm), on the milestone MLP's layers and on the whole MLP, measured in one run.
//
//   y:(B,N) = x:(B,K) · Ŵᵀ + b,  Ŵ = s[n, g] · q[n, k] (int4_weights.hpp)      784->256, 256->128, 128->10
//   MLP     logits = L3(relu(L2(relu(L1(x)))))                                     784-256-128-10
//
// Columns (each the median of samples taken in turn with the FP32 entry, median_timer.hpp):
//   FP32     Linear::forward (OpenBLAS, its core printed in the banner)
//   INT4     Int4Linear::forward on the active kernel path: the fused kernel up to
//            kWeightOnlyFusedMaxRows rows, block conversion + sgemm above (weight_only_matmul.hpp)
//   fused    the fused kernel alone (int4_linear_kernel(isa)) at that batch
//   blocked  the block-conversion path alone (weight_only_matmul_blocked)
//   speedup = t_FP32 / t_INT4.
// A second table times the fused kernel of every supported path at batch 1 (784->256),
// and a third the two paths of 784->256 at small batches: where they cross sets
// kWeightOnlyFusedMaxRows. One thread (OpenBLAS too): the weight-only kernels are single-threaded.
//
//   bench_int4_linear [--group N] [--json PATH] [--quick]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "median_timer.hpp"
#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/blas.hpp"
#include "tinytorch/core/cpu_features.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/perf/int4_linear.hpp"
#include "tinytorch/perf/weight_only_matmul.hpp"

using namespace tinytorch;

namespace {

constexpr int64_t kBatchSizes[] = {1, 64, 1024};
constexpr int64_t kCrossoverBatches[] = {1, 2, 4, 8, 16, 32};
constexpr int64_t kLayerShapes[][2] = {{784, 256}, {256, 128}, {128, 10}};  // (in, out)
constexpr double kBudgetSeconds = 0.2;

struct Row {
  std::string what;  // "784->256", "MLP"
  int64_t batch = 0;
  double fp32_us = 0, int4_us = 0, fused_us = 0, blocked_us = 0;  // fused/blocked: 0 = not timed (MLP)
  int64_t fp32_bytes = 0, int4_bytes = 0;
};

double us(const bench::Timing& t) { return t.seconds_per_call * 1e6; }

WeightOnlyOperand operand_of(const Int4Linear& layer, Int4LinearKernel kernel, KernelIsa isa) {
  const Int4GroupedWeights* w = &layer.weights();
  const auto converter = isa == KernelIsa::Avx512Vnni ? dequantize_int4_rows_avx512
                         : isa == KernelIsa::Avx2     ? dequantize_int4_rows_avx2
                                                      : dequantize_int4_rows_ref;
  return {w->out_features, w->in_features,
          [w, kernel](const float* x, int64_t rows, const float* bias, float* y) { kernel(x, rows, *w, bias, y); },
          [w, converter](int64_t n0, int64_t n1, float* out) { converter(*w, n0, n1, out); }};
}

Row bench_layer(Linear& fp32, Int4Linear& int4, const Tensor& inputs, int64_t batch, const bench::TimingBudget& budget) {
  const KernelIsa isa = active_kernel_isa();
  const Tensor x = inputs.slice_rows(0, batch).contiguous();
  const WeightOnlyOperand operand = operand_of(int4, int4_linear_kernel(isa), isa);
  const Tensor bias = int4.parts().bias;
  std::vector<float> y(static_cast<std::size_t>(batch * int4.out_features()));
  const std::vector<bench::Timing> t = bench::time_round_robin(
      {[&] { fp32(x); }, [&] { int4(x); },
       [&] { operand.fused(x.data<float>(), batch, bias.data<float>(), y.data()); },
       [&] { weight_only_matmul_blocked(x.data<float>(), batch, operand, bias.data<float>(), y.data()); }},
      budget);
  const MemoryUsage memory = int4.memory_usage();
  return {fmt::format("{}->{}", fp32.in_features(), fp32.out_features()), batch, us(t[0]), us(t[1]), us(t[2]),
          us(t[3]), memory.original_bytes, memory.quantized_bytes};
}

void print_rows(const std::vector<Row>& rows) {
  fmt::print("{:>9} {:>6} {:>10} {:>10} {:>8} {:>10} {:>10} {:>11} {:>11}\n", "layer", "batch", "FP32 us", "INT4 us",
             "speedup", "fused us", "blocked us", "FP32 bytes", "INT4 bytes");
  for (const Row& r : rows) {
    const std::string fused = r.fused_us > 0 ? fmt::format("{:.1f}", r.fused_us) : "-";
    const std::string blocked = r.blocked_us > 0 ? fmt::format("{:.1f}", r.blocked_us) : "-";
    fmt::print("{:>9} {:>6} {:>10.1f} {:>10.1f} {:>7.2f}x {:>10} {:>10} {:>11} {:>11}\n", r.what, r.batch, r.fp32_us,
               r.int4_us, r.fp32_us / r.int4_us, fused, blocked, r.fp32_bytes, r.int4_bytes);
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t group_size = 32;
  std::string json_path;
  bool quick = false;
  CLI::App app{"Latency of the weight-only INT4 Linear vs the FP32 Linear (784-256-128-10 MLP layers)"};
  app.add_option("--group", group_size, "int4 group size (default 32)");
  app.add_option("--json", json_path, "also write the tables to this file");
  app.add_flag("--quick", quick, "smoke test: one short sample per entry (figures are not meaningful)");
  CLI11_PARSE(app, argc, argv);
  try {
    std::ofstream json_file;
    if (!json_path.empty()) {
      json_file.open(json_path);
      if (!json_file) throw std::runtime_error("cannot write --json " + json_path);
    }
    blas_set_num_threads(1);
    bench::let_worker_threads_sleep();
    const NoGradGuard no_grad;
    bench::TimingBudget budget = quick ? bench::quick_budget() : bench::TimingBudget{};
    if (!quick) budget.budget_seconds = kBudgetSeconds;
    const KernelIsa isa = active_kernel_isa();

    fmt::print("bench_int4_linear: weight-only INT4 (group {}) vs FP32 Linear, 1 thread{}\n", group_size,
               quick ? "  [--quick: figures NOT meaningful]" : "");
    fmt::print("  CPU:    {}\n  BLAS:   {}\n  kernel: {} (path {}), fused up to {} rows, block {} KiB\n",
               cpu_summary(), blas_summary(), int4_linear_kernel_name(isa), kernel_isa_name(isa),
               kWeightOnlyFusedMaxRows, kWeightOnlyScratchBytes / 1024);
    const double load_before = bench::load_average();
    fmt::print("  load:   {:.2f} (1-minute load average, {} cores)\n\n", load_before,
               std::thread::hardware_concurrency());

    Generator generator(42);
    const Tensor inputs = Tensor::uniform({1024, 784}, 0, 1, generator);
    std::vector<Row> rows;
    std::vector<std::shared_ptr<Linear>> fp32_layers;
    std::vector<std::shared_ptr<Int4Linear>> int4_layers;
    for (const auto& shape : kLayerShapes) {
      fp32_layers.push_back(std::make_shared<Linear>(shape[0], shape[1], true, generator));
      int4_layers.push_back(std::make_shared<Int4Linear>(*fp32_layers.back(), group_size));
      const Tensor layer_inputs = Tensor::uniform({1024, shape[0]}, 0, 1, generator);
      for (int64_t batch : kBatchSizes) {
        rows.push_back(bench_layer(*fp32_layers.back(), *int4_layers.back(), layer_inputs, batch, budget));
      }
    }
    // The whole MLP: the same layers with ReLUs between them.
    Sequential fp32_mlp(std::vector<std::shared_ptr<Module>>{fp32_layers[0], std::make_shared<ReLU>(), fp32_layers[1],
                                                            std::make_shared<ReLU>(), fp32_layers[2]});
    Sequential int4_mlp(std::vector<std::shared_ptr<Module>>{int4_layers[0], std::make_shared<ReLU>(), int4_layers[1],
                                                            std::make_shared<ReLU>(), int4_layers[2]});
    int64_t fp32_bytes = 0, int4_bytes = 0;
    for (const auto& layer : int4_layers) {
      fp32_bytes += layer->memory_usage().original_bytes;
      int4_bytes += layer->memory_usage().quantized_bytes;
    }
    for (int64_t batch : kBatchSizes) {
      const Tensor x = inputs.slice_rows(0, batch).contiguous();
      const auto t = bench::time_round_robin({[&] { fp32_mlp(x); }, [&] { int4_mlp(x); }}, budget);
      rows.push_back({"MLP", batch, us(t[0]), us(t[1]), 0, 0, fp32_bytes, int4_bytes});
    }
    print_rows(rows);

    // Every supported path's fused kernel, batch 1, 784->256.
    fmt::print("\nfused kernel per path, 784->256, batch 1 (FP32 Linear: {:.1f} us)\n", rows[0].fp32_us);
    nlohmann::json paths = nlohmann::json::array();
    const Tensor x1 = inputs.slice_rows(0, 1).contiguous();
    std::vector<float> y1(256);
    for (KernelIsa path : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512Vnni}) {
      if (!kernel_isa_supported(path)) continue;
      const Int4LinearKernel kernel = int4_linear_kernel(path);
      const Int4GroupedWeights& w = int4_layers[0]->weights();
      const bench::Timing t = bench::time_median([&] { kernel(x1.data<float>(), 1, w, nullptr, y1.data()); }, budget);
      fmt::print("  {:<12} {:>8.1f} us  {:>5.2f}x FP32\n", int4_linear_kernel_name(path), us(t),
                 rows[0].fp32_us / us(t));
      paths.push_back({{"kernel", int4_linear_kernel_name(path)}, {"median_us", us(t)}});
    }

    // Where the fused kernel stops paying: both paths of 784->256 at small batches.
    fmt::print("\nfused vs blocked, 784->256 (sets kWeightOnlyFusedMaxRows = {})\n", kWeightOnlyFusedMaxRows);
    fmt::print("{:>6} {:>10} {:>10} {:>10}\n", "batch", "FP32 us", "fused us", "blocked us");
    nlohmann::json crossover = nlohmann::json::array();
    for (int64_t batch : kCrossoverBatches) {
      const Row r = bench_layer(*fp32_layers[0], *int4_layers[0], inputs, batch, budget);
      fmt::print("{:>6} {:>10.1f} {:>10.1f} {:>10.1f}\n", batch, r.fp32_us, r.fused_us, r.blocked_us);
      crossover.push_back({{"batch", batch}, {"fp32_us", r.fp32_us}, {"fused_us", r.fused_us},
                           {"blocked_us", r.blocked_us}});
    }
    const double load_after = bench::load_average();
    fmt::print("\nload average {:.2f} before, {:.2f} after (2 cores: near 1 or above means other processes ran)\n",
               load_before, load_after);

    if (!json_path.empty()) {
      nlohmann::json out = {{"program", "bench_int4_linear"}, {"quick", quick},          {"cpu", cpu_summary()},
                            {"blas", blas_summary()},          {"group_size", group_size},
                            {"kernel", int4_linear_kernel_name(isa)},
                            {"fused_max_rows", kWeightOnlyFusedMaxRows},
                            {"load_average_before", load_before}, {"load_average_after", load_after}};
      out["rows"] = nlohmann::json::array();
      for (const Row& r : rows) {
        out["rows"].push_back({{"layer", r.what}, {"batch", r.batch}, {"fp32_us", r.fp32_us}, {"int4_us", r.int4_us},
                               {"speedup_vs_fp32", r.fp32_us / r.int4_us}, {"fused_us", r.fused_us},
                               {"blocked_us", r.blocked_us}, {"fp32_bytes", r.fp32_bytes},
                               {"int4_bytes", r.int4_bytes}});
      }
      out["fused_batch1_784x256"] = paths;
      out["crossover_784x256"] = crossover;
      json_file << out.dump(2) << "\n";
      if (!json_file) throw std::runtime_error("cannot write --json " + json_path);
      fmt::print("wrote {}\n", json_path);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_int4_linear: %s\n", error.what());
    return 2;
  }
  return 0;
}
