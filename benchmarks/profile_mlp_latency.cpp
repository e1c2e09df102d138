// profile_mlp_latency.cpp — the profiler's report for the milestone MLP, and how stable
// its latency figures are: five profiler runs (one thread), min–max of each statistic.
#include <algorithm>
#include <cstdio>
#include <vector>

#include <fmt/format.h>

#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/blas.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/profiling/report.hpp"

using namespace tinytorch;

int main() {
  blas_set_num_threads(1);
  Sequential mlp(Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10));
  Profiler profiler({.batch_sizes = {1, 64, 1024}, .layer_batch_size = 64, .warmup_runs = 10, .timed_runs = 100});
  std::vector<ModelProfile> runs;
  for (int i = 0; i < 5; ++i) runs.push_back(profiler.profile(mlp, {784}));
  fmt::print("{}\n", format_profile(runs[0]));
  fmt::print("\nSpread over 5 profiler runs (each: 10 warm-up + 100 timed):\n");
  fmt::print("{:>6} {:>22} {:>22} {:>22}\n", "batch", "min us (lo..hi)", "median us (lo..hi)", "p90 us (lo..hi)");
  for (std::size_t b = 0; b < runs[0].latency.size(); ++b) {
    auto range = [&](auto field) {
      double lo = 1e300, hi = 0;
      for (const auto& r : runs) { lo = std::min(lo, field(r.latency[b])); hi = std::max(hi, field(r.latency[b])); }
      return fmt::format("{:.1f}..{:.1f} ({:+.1f}%)", lo, hi, 100.0 * (hi - lo) / lo);
    };
    fmt::print("{:>6} {:>22} {:>22} {:>22}\n", runs[0].latency[b].batch_size,
               range([](const LatencyStats& s) { return s.min_us; }),
               range([](const LatencyStats& s) { return s.median_us; }),
               range([](const LatencyStats& s) { return s.p90_us; }));
  }
}
