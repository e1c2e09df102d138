// Peak memory (5) of profiler.hpp: tensor-storage bytes alive at once during one
// forward pass, above what was alive before it (tinytorch::memory_stats()).
#include <gtest/gtest.h>

#include "concepts.hpp"
#include "mlp.hpp"
#include "tinytorch/core/storage.hpp"
#include "tinytorch/profiling/profiler.hpp"

namespace tinytorch {
namespace {

TINYTORCH_CONCEPT(Memory, "peak tensor memory of one forward pass",
                  "peak = the most tensor-storage bytes alive at once during the forward pass, "
                  "above what was alive before it; a float32 (B, N) tensor is B * N * 4 bytes");

TINYTORCH_TEST_FORMULA(Memory, LinearForwardAllocatesExactlyItsOutput,
                       "Linear(17, 63), B = 5: input 5 * 17 * 4, output = peak = 5 * 63 * 4 bytes, "
                       "one allocation");
TEST(Memory, LinearForwardAllocatesExactlyItsOutput) {
  // linear() writes x Wᵀ + b straight into one new (B, N) tensor: B·N·4 bytes, one allocation.
  Linear layer(17, 63);
  const MemoryProfile m = measure_memory(layer, {17}, 5);
  EXPECT_EQ(m.batch_size, 5);
  EXPECT_EQ(m.input_bytes, 5 * 17 * 4);
  EXPECT_EQ(m.output_bytes, 5 * 63 * 4);
  EXPECT_EQ(m.peak_forward_bytes, 5 * 63 * 4);
  EXPECT_EQ(m.allocations, 1);
}

TINYTORCH_TEST_FORMULA(Memory, MlpPeakIsTwoWideActivationsAliveAtOnce,
                       "peak = Linear(784, 256)'s output + ReLU's output alive at once = 2 * B * 256 * 4; "
                       "output B * 10 * 4; 5 layers -> 5 allocations (B = 1, 64, 65)");
TEST(Memory, MlpPeakIsTwoWideActivationsAliveAtOnce) {
  // In Sequential::forward, x = layer(x) frees the previous activation only after
  // the next one exists. The widest moment: Linear(784,256)'s output and the
  // ReLU's output, both (B, 256) float32: 2 · B · 256 · 4 bytes. Later pairs are
  // smaller ((B,256)+(B,128) once the first is gone, then (B,128)+(B,10)).
  // Five layers, five outputs: five allocations.
  Sequential mlp = test::milestone_mlp();
  for (int64_t batch : {1, 64, 65}) {
    const MemoryProfile m = measure_memory(mlp, {784}, batch);
    EXPECT_EQ(m.peak_forward_bytes, 2 * batch * 256 * 4) << "batch " << batch;
    EXPECT_EQ(m.output_bytes, batch * 10 * 4) << "batch " << batch;
    EXPECT_EQ(m.allocations, 5) << "batch " << batch;
  }
}

TINYTORCH_TEST_FORMULA(Memory, MeasurementLeavesNothingAlive,
                       "memory_stats().current_bytes after measure_memory = before it");
TEST(Memory, MeasurementLeavesNothingAlive) {
  Sequential mlp = test::milestone_mlp();
  const int64_t before = memory_stats().current_bytes;
  measure_memory(mlp, {784}, 64);
  EXPECT_EQ(memory_stats().current_bytes, before);
}

TINYTORCH_TEST_FORMULA(Memory, ProfilerReportsOneEntryPerBatchSize,
                       "one MemoryProfile per batch size: B = 3 -> peak 2 * 3 * 256 * 4; "
                       "measure_time = false -> no latency");
TEST(Memory, ProfilerReportsOneEntryPerBatchSize) {
  Sequential mlp = test::milestone_mlp();
  const ModelProfile profile = Profiler({.batch_sizes = {1, 3}, .measure_time = false}).profile(mlp, {784});
  ASSERT_EQ(profile.memory.size(), 2u);
  EXPECT_EQ(profile.memory[1].batch_size, 3);
  EXPECT_EQ(profile.memory[1].peak_forward_bytes, 2 * 3 * 256 * 4);
  EXPECT_TRUE(profile.latency.empty()) << "measure_time = false: nothing is timed";
}

}  // namespace
}  // namespace tinytorch
