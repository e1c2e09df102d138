// checks.cpp — Module 14's inline checks: run these first while you write profiler.cpp and flops.cpp.
#include <vector>

#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/inline_checks.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/profiling/profiler.hpp"

using namespace tinytorch;
using inline_checks::expect;
using inline_checks::expect_near;

int main() {
  return inline_checks::run("14_profiling", {
    {"Linear(3, 5) stores 3·5 + 5 = 20 parameters, 80 float32 bytes", [] {
       Linear layer(3, 5);
       const std::vector<Tensor> stored = stored_tensors(layer);
       expect(count_parameters(stored) == 20, "parameters = in·out + out");
       expect(count_bytes(stored).at(DType::Float32) == 80, "bytes = 20 · 4");
     }},
    {"Linear(4, 2) on (3, 4): 3·4·2 = 24 multiply-adds, 3·2 = 6 bias adds", [] {
       const OpCounts ops = count_linear({3, 4}, 4, 2, true);
       expect(ops.multiply_adds == 24 && ops.bias_adds == 6, "R·K·N and R·N with R = 3 rows");
       expect(ops.flops() == 2 * 24 + 6, "FLOPs = 2·multiply_adds + bias_adds");
     }},
    {"ReLU on (2, 7): 14 activation evaluations", [] {
       expect(count_activation({2, 7}).activations == 14, "one per output element");
     }},
    {"the 784-256-128-10 MLP: 235,146 parameters, 234,752 multiply-adds per sample", [] {
       Sequential mlp(Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10));
       const std::vector<LayerProfile> rows = profile_layers(mlp, {1, 784});
       int64_t parameters = 0;
       for (const LayerProfile& row : rows) parameters += row.parameters;
       expect(rows.size() == 5, "one row per layer of the Sequential");
       expect(parameters == 235146, "784·256+256 + 256·128+128 + 128·10+10");
       expect(total_ops(rows).multiply_adds == 234752, "784·256 + 256·128 + 128·10");
     }},
    {"latency statistics of 5, 1, 4, 2, 3 µs: min 1, median 3, p90 5", [] {
       const LatencyStats s = summarize_latency({5, 1, 4, 2, 3}, 1);
       expect_near(s.min_us, 1, 0, "min");
       expect_near(s.median_us, 3, 0, "middle of the sorted times");
       expect_near(s.p90_us, 5, 0, "nearest rank: the ceil(0.9·5) = 5th smallest");
     }},
  });
}
