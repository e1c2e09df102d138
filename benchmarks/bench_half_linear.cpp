// bench_half_linear.cpp — latency of the weight-only FP16 and BF16 Linear (HalfLinear) against the FP32
// Linear (OpenBLAS sgemm), on the milestone MLP's layers and on the whole MLP, measured in one run.
//
//   y:(B,N) = x:(B,K) · f32(W16)ᵀ + b   (half_linear.hpp)                  784->256, 256->128, 128->10
//   MLP     logits = L3(relu(L2(relu(L1(x)))))                               784-256-128-10
//
// Columns (each the median of samples taken in turn with the FP32 entry, median_timer.hpp):
//   FP32          Linear::forward (OpenBLAS, its core printed in the banner)
//   FP16, BF16    HalfLinear::forward on the active kernel path: the fused kernel up to
//                 kWeightOnlyFusedMaxRows rows, block conversion + sgemm above (weight_only_matmul.hpp)
//   fused/blocked the two FP16 paths alone at that batch
//   speedup = t_FP32 / t.
// A second table times the fused kernel of every supported path at batch 1 (784->256),
// a third the two FP16 paths of 784->256 at small batches (where they cross sets
// kWeightOnlyFusedMaxRows). One thread (OpenBLAS too): the weight-only kernels are single-threaded.
//
//   bench_half_linear [--json PATH] [--quick]
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
#include "tinytorch/perf/half_linear.hpp"
#include "tinytorch/perf/half_precision.hpp"
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
  double fp32_us = 0, fp16_us = 0, bf16_us = 0, fused_us = 0, blocked_us = 0;  // fused/blocked: FP16; 0 = not timed
};

double us(const bench::Timing& t) { return t.seconds_per_call * 1e6; }

// The two FP16 paths of `layer` as the driver sees them, on the active kernel path.
WeightOnlyOperand operand_of(const HalfLinear& layer) {
  const KernelIsa isa = active_kernel_isa();
  const HalfLinearKernel kernel = half_linear_kernel(isa);
  const HalfToFloat32Kernel widen = half_kernels_for(isa).from_float16;
  const uint16_t* w16 = layer.weight16().data<uint16_t>();
  const int64_t N = layer.out_features(), K = layer.in_features();
  return {N, K,
          [=](const float* x, int64_t rows, const float* bias, float* y) {
            kernel(x, rows, w16, DType::Float16, N, K, bias, y);
          },
          [=](int64_t n0, int64_t n1, float* out) { widen(w16 + n0 * K, (n1 - n0) * K, out); }};
}

Row bench_layer(Linear& fp32, HalfLinear& fp16, HalfLinear& bf16, const Tensor& inputs, int64_t batch,
                const bench::TimingBudget& budget) {
  const Tensor x = inputs.slice_rows(0, batch).contiguous();
  const WeightOnlyOperand operand = operand_of(fp16);
  const Tensor bias = fp16.bias();
  std::vector<float> y(static_cast<std::size_t>(batch * fp16.out_features()));
  const std::vector<bench::Timing> t = bench::time_round_robin(
      {[&] { fp32(x); }, [&] { fp16(x); }, [&] { bf16(x); },
       [&] { operand.fused(x.data<float>(), batch, bias.data<float>(), y.data()); },
       [&] { weight_only_matmul_blocked(x.data<float>(), batch, operand, bias.data<float>(), y.data()); }},
      budget);
  return {fmt::format("{}->{}", fp32.in_features(), fp32.out_features()), batch, us(t[0]), us(t[1]), us(t[2]),
          us(t[3]), us(t[4])};
}

void print_rows(const std::vector<Row>& rows) {
  fmt::print("{:>9} {:>6} {:>9} {:>9} {:>8} {:>9} {:>8} {:>12} {:>12}\n", "layer", "batch", "FP32 us", "FP16 us",
             "speedup", "BF16 us", "speedup", "FP16 fused", "FP16 blocked");
  for (const Row& r : rows) {
    const std::string fused = r.fused_us > 0 ? fmt::format("{:.1f}", r.fused_us) : "-";
    const std::string blocked = r.blocked_us > 0 ? fmt::format("{:.1f}", r.blocked_us) : "-";
    fmt::print("{:>9} {:>6} {:>9.1f} {:>9.1f} {:>7.2f}x {:>9.1f} {:>7.2f}x {:>12} {:>12}\n", r.what, r.batch,
               r.fp32_us, r.fp16_us, r.fp32_us / r.fp16_us, r.bf16_us, r.fp32_us / r.bf16_us, fused, blocked);
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  std::string json_path;
  bool quick = false;
  CLI::App app{"Latency of the weight-only FP16/BF16 Linear vs the FP32 Linear (784-256-128-10 MLP layers)"};
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

    fmt::print("bench_half_linear: weight-only FP16 / BF16 vs FP32 Linear, 1 thread{}\n",
               quick ? "  [--quick: figures NOT meaningful]" : "");
    fmt::print("  CPU:    {}\n  BLAS:   {}\n  kernel: {} (path {}), block widening f16 {} / bf16 {}, fused up to {} "
               "rows, block {} KiB\n",
               cpu_summary(), blas_summary(), half_linear_kernel_name(isa), kernel_isa_name(isa),
               half_kernels_for(isa).float16_name, half_kernels_for(isa).bfloat16_name, kWeightOnlyFusedMaxRows,
               kWeightOnlyScratchBytes / 1024);
    const double load_before = bench::load_average();
    fmt::print("  load:   {:.2f} (1-minute load average, {} cores)\n\n", load_before,
               std::thread::hardware_concurrency());

    Generator generator(42);
    const Tensor inputs = Tensor::uniform({1024, 784}, 0, 1, generator);
    std::vector<Row> rows;
    std::vector<std::shared_ptr<Linear>> fp32_layers;
    std::vector<std::shared_ptr<HalfLinear>> fp16_layers, bf16_layers;
    for (const auto& shape : kLayerShapes) {
      fp32_layers.push_back(std::make_shared<Linear>(shape[0], shape[1], true, generator));
      fp16_layers.push_back(std::make_shared<HalfLinear>(*fp32_layers.back(), DType::Float16));
      bf16_layers.push_back(std::make_shared<HalfLinear>(*fp32_layers.back(), DType::BFloat16));
      const Tensor layer_inputs = Tensor::uniform({1024, shape[0]}, 0, 1, generator);
      for (int64_t batch : kBatchSizes) {
        rows.push_back(bench_layer(*fp32_layers.back(), *fp16_layers.back(), *bf16_layers.back(), layer_inputs, batch,
                                   budget));
      }
    }
    const auto mlp_of = [](const auto& layers) {
      return Sequential(std::vector<std::shared_ptr<Module>>{layers[0], std::make_shared<ReLU>(), layers[1],
                                                             std::make_shared<ReLU>(), layers[2]});
    };
    Sequential fp32_mlp = mlp_of(fp32_layers), fp16_mlp = mlp_of(fp16_layers), bf16_mlp = mlp_of(bf16_layers);
    for (int64_t batch : kBatchSizes) {
      const Tensor x = inputs.slice_rows(0, batch).contiguous();
      const auto t =
          bench::time_round_robin({[&] { fp32_mlp(x); }, [&] { fp16_mlp(x); }, [&] { bf16_mlp(x); }}, budget);
      rows.push_back({"MLP", batch, us(t[0]), us(t[1]), us(t[2]), 0, 0});
    }
    print_rows(rows);
    int64_t fp32_bytes = 0, half_bytes = 0;
    for (const auto& layer : fp16_layers) {
      fp32_bytes += layer->memory_usage().original_bytes;
      half_bytes += layer->memory_usage().quantized_bytes;
    }
    fmt::print("  MLP bytes: FP32 {}, FP16/BF16 {} ({:.2f}x smaller)\n", fp32_bytes, half_bytes,
               static_cast<double>(fp32_bytes) / static_cast<double>(half_bytes));

    fmt::print("\nfused kernel per path, 784->256, batch 1 (FP32 Linear: {:.1f} us)\n", rows[0].fp32_us);
    nlohmann::json paths = nlohmann::json::array();
    const Tensor x1 = inputs.slice_rows(0, 1).contiguous();
    std::vector<float> y1(256);
    for (KernelIsa path : {KernelIsa::Scalar, KernelIsa::Avx2, KernelIsa::Avx512Vnni}) {
      if (!kernel_isa_supported(path)) continue;
      for (const auto& [format, layer] : {std::pair{DType::Float16, fp16_layers[0]}, {DType::BFloat16, bf16_layers[0]}}) {
        const uint16_t* w16 = layer->weight16().data<uint16_t>();
        const HalfLinearKernel kernel = half_linear_kernel(path);
        const bench::Timing t = bench::time_median(
            [&, format = format] { kernel(x1.data<float>(), 1, w16, format, 256, 784, nullptr, y1.data()); }, budget);
        fmt::print("  {:<12} {:<9} {:>8.1f} us  {:>5.2f}x FP32\n", half_linear_kernel_name(path), dtype_name(format),
                   us(t), rows[0].fp32_us / us(t));
        paths.push_back({{"kernel", half_linear_kernel_name(path)}, {"format", dtype_name(format)}, {"median_us", us(t)}});
      }
    }

    fmt::print("\nFP16 fused vs blocked, 784->256 (sets kWeightOnlyFusedMaxRows = {})\n", kWeightOnlyFusedMaxRows);
    fmt::print("{:>6} {:>10} {:>10} {:>10}\n", "batch", "FP32 us", "fused us", "blocked us");
    nlohmann::json crossover = nlohmann::json::array();
    for (int64_t batch : kCrossoverBatches) {
      const Row r = bench_layer(*fp32_layers[0], *fp16_layers[0], *bf16_layers[0], inputs, batch, budget);
      fmt::print("{:>6} {:>10.1f} {:>10.1f} {:>10.1f}\n", batch, r.fp32_us, r.fused_us, r.blocked_us);
      crossover.push_back(
          {{"batch", batch}, {"fp32_us", r.fp32_us}, {"fused_us", r.fused_us}, {"blocked_us", r.blocked_us}});
    }
    const double load_after = bench::load_average();
    fmt::print("\nload average {:.2f} before, {:.2f} after (2 cores: near 1 or above means other processes ran)\n",
               load_before, load_after);

    if (!json_path.empty()) {
      nlohmann::json out = {{"program", "bench_half_linear"},
                            {"quick", quick},
                            {"cpu", cpu_summary()},
                            {"blas", blas_summary()},
                            {"kernel", half_linear_kernel_name(isa)},
                            {"fused_max_rows", kWeightOnlyFusedMaxRows},
                            {"mlp_bytes", {{"fp32", fp32_bytes}, {"half", half_bytes}}},
                            {"load_average_before", load_before},
                            {"load_average_after", load_after}};
      out["rows"] = nlohmann::json::array();
      for (const Row& r : rows) {
        out["rows"].push_back({{"layer", r.what}, {"batch", r.batch}, {"fp32_us", r.fp32_us}, {"fp16_us", r.fp16_us},
                               {"bf16_us", r.bf16_us}, {"fp16_speedup_vs_fp32", r.fp32_us / r.fp16_us},
                               {"bf16_speedup_vs_fp32", r.fp32_us / r.bf16_us}, {"fp16_fused_us", r.fused_us},
                               {"fp16_blocked_us", r.blocked_us}});
      }
      out["fused_batch1_784x256"] = paths;
      out["crossover_784x256"] = crossover;
      json_file << out.dump(2) << "\n";
      if (!json_file) throw std::runtime_error("cannot write --json " + json_path);
      fmt::print("wrote {}\n", json_path);
    }
  } catch (const std::exception& error) {
    std::fprintf(stderr, "bench_half_linear: %s\n", error.what());
    return 2;
  }
  return 0;
}
