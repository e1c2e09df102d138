// bench_mlp_inference.cpp — inference latency of the milestone MLP 784-256-128-10
// per batch size: the FP32 baseline module 15's int8 model is compared against.
//
//   logits:(B,10) = L3(relu(L2(relu(L1(x:(B,784))))))   under NoGradGuard
// Per sample: 234,752 multiply-adds = 469,504 matmul FLOPs (+ 394 bias adds,
// 384 ReLUs) — the counts module 14's profiler reports.
// Reported: time per batch (µs), samples/s = B / time, GFLOP/s of the matmuls.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/core/tensor.hpp"

namespace {

using namespace tinytorch;

constexpr double kMatmulFlopsPerSample = 2.0 * (784 * 256 + 256 * 128 + 128 * 10);  // 469,504

void BM_MlpInference(benchmark::State& state) {
  const int64_t batch = state.range(0);
  Generator generator(1);
  Sequential mlp(Linear(784, 256, true, generator), ReLU(), Linear(256, 128, true, generator), ReLU(),
                 Linear(128, 10, true, generator));
  mlp.eval();
  const Tensor x = Tensor::randn({batch, 784}, 0, 1, generator);
  const NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor logits = mlp(x);
    benchmark::DoNotOptimize(logits.data<float>());
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(batch), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(kMatmulFlopsPerSample * batch, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
  state.SetLabel(fmt::format("B{}", batch));
}

}  // namespace

BENCHMARK(BM_MlpInference)->Arg(1)->Arg(64)->Arg(1024)->Unit(benchmark::kMicrosecond);
