// bench_gemm_fp32.cpp — FP32 GEMM through OpenBLAS: the baseline every INT8
// speedup is measured against.
//
//   y:(M,N) = x:(M,K) @ w:(N,K)^T      (the Linear layer's product)
// Shapes: the three layers of the milestone MLP (784-256-128-10) at batch
// 1, 64, 1024, and large square layers. Reports GFLOP/s = 2·M·N·K / time.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "tinytorch/core/blas.hpp"
#include "tinytorch/core/tensor.hpp"

namespace {

void BM_SgemmLinear(benchmark::State& state) {
  const int m = static_cast<int>(state.range(0));
  const int n = static_cast<int>(state.range(1));
  const int k = static_cast<int>(state.range(2));
  tinytorch::Generator generator(1);
  tinytorch::Tensor x = tinytorch::Tensor::randn({m, k}, 0, 1, generator);
  tinytorch::Tensor w = tinytorch::Tensor::randn({n, k}, 0, 1, generator);
  tinytorch::Tensor y = tinytorch::Tensor::zeros({m, n});
  for (auto _ : state) {
    tinytorch::sgemm(false, true, m, n, k, 1.0f, x.data<float>(), k, w.data<float>(), k, 0.0f, y.data<float>(), n);
    benchmark::DoNotOptimize(y.data<float>());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
  state.SetLabel(fmt::format("M{} N{} K{}", m, n, k));  // (fmt: g++ 12 warns falsely on "M" + std::string)
}

void MilestoneShapes(benchmark::internal::Benchmark* b) {
  for (int m : {1, 16, 64, 256, 1024}) {
    for (auto [n, k] : {std::pair{256, 784}, std::pair{128, 256}, std::pair{10, 128}, std::pair{1024, 1024}}) {
      b->Args({m, n, k});
    }
  }
  b->Args({1024, 4096, 4096});
}

}  // namespace

BENCHMARK(BM_SgemmLinear)->Apply(MilestoneShapes)->Unit(benchmark::kMicrosecond);
