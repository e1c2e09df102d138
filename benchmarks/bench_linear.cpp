// bench_linear.cpp — the Linear layer, forward and forward+backward, on the
// layer shapes of the milestone MLP (784-256-128-10) at batch 1, 64 and 1024.
//
//   forward:   y:(B,N) = x:(B,K) Wᵀ + b                         2·B·K·N FLOPs (+ B·N bias adds)
//   backward:  dW = gᵀ x  (N,K)                                  2·B·K·N
//              dx = g W   (B,K)  — only when x requires a grad   2·B·K·N
//              db = Σ_b g (N)                                    B·N adds
// GFLOP/s counts the matrix products only (2·B·K·N per product: one multiply-add
// is 2 FLOPs), so the figure compares directly with bench_gemm_fp32. The first
// layer of the MLP sees the images, which need no gradient (no dx): its
// forward+backward is two products; the hidden layers' are three.
// The backward is driven by loss = sum(y), whose gradient is all ones (B·N work).
#include <benchmark/benchmark.h>

#include <string>

#include <fmt/format.h>

#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/tensor.hpp"

namespace {

using tinytorch::Generator;
using tinytorch::Linear;
using tinytorch::Tensor;

std::string shape_label(int64_t batch, int64_t in, int64_t out) {
  return fmt::format("B{} K{} N{}", batch, in, out);
}

void set_gflops(benchmark::State& state, double flops_per_iteration) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_iteration, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

// args: batch B, in_features K, out_features N
void BM_LinearForward(benchmark::State& state) {
  const int64_t batch = state.range(0), in = state.range(1), out = state.range(2);
  Generator generator(1);
  Linear layer(in, out, true, generator);
  const Tensor x = Tensor::randn({batch, in}, 0, 1, generator);
  const tinytorch::NoGradGuard no_grad;  // inference: no graph recorded
  for (auto _ : state) {
    Tensor y = layer(x);
    benchmark::DoNotOptimize(y.data<float>());
  }
  set_gflops(state, 2.0 * batch * in * out);
  state.SetLabel(shape_label(batch, in, out));
}

// args: batch B, in_features K, out_features N, x requires grad (0/1)
void BM_LinearForwardBackward(benchmark::State& state) {
  const int64_t batch = state.range(0), in = state.range(1), out = state.range(2);
  const bool input_grad = state.range(3) != 0;
  Generator generator(1);
  Linear layer(in, out, true, generator);
  const Tensor x_data = Tensor::randn({batch, in}, 0, 1, generator);
  for (auto _ : state) {
    layer.zero_grad();           // as a training step does
    Tensor x = x_data.detach();  // a fresh leaf each time (its old grad dropped)
    if (input_grad) x.set_requires_grad();
    Tensor loss = tinytorch::sum(layer(x));
    loss.backward();
    benchmark::DoNotOptimize(layer.weight().grad().data<float>());
  }
  set_gflops(state, (input_grad ? 3.0 : 2.0) * 2.0 * batch * in * out);
  state.SetLabel(shape_label(batch, in, out) + (input_grad ? " with dx" : " no dx"));
}

void ForwardShapes(benchmark::internal::Benchmark* b) {
  for (int64_t batch : {1, 64, 1024}) {
    for (auto [in, out] : {std::pair{784, 256}, std::pair{256, 128}, std::pair{128, 10}}) b->Args({batch, in, out});
  }
}

void BackwardShapes(benchmark::internal::Benchmark* b) {
  for (int64_t batch : {1, 64, 1024}) {
    b->Args({batch, 784, 256, 0});  // first layer: the images need no gradient
    b->Args({batch, 256, 128, 1});
    b->Args({batch, 128, 10, 1});
  }
}

}  // namespace

BENCHMARK(BM_LinearForward)->Apply(ForwardShapes)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_LinearForwardBackward)->Apply(BackwardShapes)->Unit(benchmark::kMicrosecond);
