// profiler.cpp — measuring a model: sizes (1)(2), ops (3), latency (4), memory (5).
#include "tinytorch/profiling/profiler.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <numeric>
#include <string>
#include <typeinfo>
#include <utility>

#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/inference_scope.hpp"
#include "tinytorch/core/blas.hpp"
#include "tinytorch/core/cpu_features.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/core/storage.hpp"

namespace tinytorch {
namespace {

// (batch, sample...) — the shape of a batch of samples.
Shape batched(int64_t batch_size, const Shape& sample_shape) {
  Shape shape{batch_size};
  shape.insert(shape.end(), sample_shape.begin(), sample_shape.end());
  return shape;
}

void check_batch_size(int64_t batch_size, const char* operation) {
  if (batch_size < 1) {
    throw ValueError(std::string(operation) + ": batch_size is " + std::to_string(batch_size) + "; expected >= 1");
  }
}

// A fixed pseudo-random batch: the same numbers every run, and not all zeros
// (a kernel may take shortcuts on zeros that real data never allows).
Tensor sample_batch(int64_t batch_size, const Shape& sample_shape) {
  Generator generator(14);
  return Tensor::randn(batched(batch_size, sample_shape), 0.0f, 1.0f, generator);
}

std::string child_path(const std::string& parent, const std::string& name) {
  return parent.empty() ? name : parent + "." + name;
}

// A plain Sequential is opened up: its layers become rows. (A subclass may
// override forward(), so only the exact type is opened.)
bool is_opened_container(const Module& module) {
  return typeid(module) == typeid(Sequential) && !find_layer_counter(module);
}

using LeafVisitor = std::function<Tensor(Module& layer, const std::string& path, const Tensor& input)>;

// Runs `module` on `input`, calling `visit` for every leaf layer in execution
// order; `visit` returns the leaf's output, which feeds the next layer.
Tensor walk_layers(Module& module, const std::string& path, const Tensor& input, const LeafVisitor& visit) {
  if (!is_opened_container(module)) return visit(module, path, input);
  Tensor x = input;
  for (const auto& [name, child] : module.named_children()) x = walk_layers(*child, child_path(path, name), x, visit);
  return x;
}

[[maybe_unused]] double microseconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

}  // namespace

int64_t total_bytes(const DTypeBytes& bytes) {
  int64_t total = 0;
  for (const auto& [dtype, count] : bytes) total += count;
  return total;
}

// ---- (1) and (2) ---------------------------------------------------------------------

int64_t count_parameters(const std::vector<Tensor>& tensors) {
  int64_t count = 0;
  // BEGIN SOLUTION
  for (const Tensor& t : tensors) count += t.numel();  // (1)
  // END SOLUTION
  return count;
}

DTypeBytes count_bytes(const std::vector<Tensor>& tensors) {
  DTypeBytes bytes;
  // BEGIN SOLUTION
  for (const Tensor& t : tensors) {
    bytes[t.dtype()] += t.numel() * static_cast<int64_t>(dtype_size(t.dtype()));  // (2)
  }
  // END SOLUTION
  return bytes;
}

std::vector<Tensor> stored_tensors(const Module& layer) {
  const std::optional<LayerCounter> counter = find_layer_counter(layer);
  if (counter && counter->stored_tensors) return counter->stored_tensors(layer);
  // What a layer stores for inference: its parameters and its buffers (the int8
  // weights and scales of a quantized layer are buffers).
  std::vector<Tensor> stored = layer.parameters();
  for (Tensor& buffer : layer.buffers()) stored.push_back(std::move(buffer));
  return stored;
}

// ---- rows -------------------------------------------------------------------------------

std::vector<LayerProfile> profile_layers(Module& model, const Shape& input_shape) {
  const InferenceScope inference(model);
  std::vector<LayerProfile> rows;
  Generator generator(14);
  const Tensor input = Tensor::randn(input_shape, 0.0f, 1.0f, generator);
  walk_layers(model, "", input, [&rows](Module& layer, const std::string& path, const Tensor& x) {
    Tensor y = layer.forward(x);
    LayerProfile row;
    row.path = path;
    row.kind = layer.name();
    row.description = layer.extra_repr();
    row.input_shape = x.shape();
    row.output_shape = y.shape();
    const std::vector<Tensor> stored = stored_tensors(layer);
    row.parameters = count_parameters(stored);
    row.parameter_bytes = count_bytes(stored);
    row.output_bytes = static_cast<int64_t>(y.nbytes());
    if (const std::optional<LayerCounter> counter = find_layer_counter(layer)) {
      row.counted = true;
      row.ops = counter->count_ops(layer, x.shape(), y.shape());
    }
    rows.push_back(std::move(row));
    return y;
  });
  return rows;
}

OpCounts total_ops(const std::vector<LayerProfile>& layers) {
  OpCounts total;
  for (const LayerProfile& row : layers) total += row.ops;
  return total;
}

// ---- (4) --------------------------------------------------------------------------------

LatencyStats summarize_latency(std::vector<double> times_us, int64_t batch_size) {
  if (times_us.empty()) throw ValueError("summarize_latency: no times given; expected at least one measured run");
  LatencyStats stats;
  stats.batch_size = batch_size;
  const std::size_t n = times_us.size();
  stats.runs = static_cast<int>(n);
  // BEGIN SOLUTION
  std::sort(times_us.begin(), times_us.end());
  stats.min_us = times_us.front();
  stats.max_us = times_us.back();
  stats.median_us = n % 2 == 1 ? times_us[n / 2] : 0.5 * (times_us[n / 2 - 1] + times_us[n / 2]);
  // Nearest rank: the ceil(0.9 n)-th smallest (1-based), ceil(9n/10) = (9n + 9) / 10.
  stats.p90_us = times_us[(9 * n + 9) / 10 - 1];
  stats.mean_us = std::accumulate(times_us.begin(), times_us.end(), 0.0) / static_cast<double>(n);
  // END SOLUTION
  return stats;
}

std::vector<double> time_forward(Module& layer, const Tensor& input, const TimingOptions& options) {
  if (options.warmup_runs < 0 || options.timed_runs < 1) {
    throw ValueError("time_forward: warmup_runs = " + std::to_string(options.warmup_runs) +
                     ", timed_runs = " + std::to_string(options.timed_runs) + "; expected warmup_runs >= 0 and timed_runs >= 1");
  }
  std::vector<double> times_us;
  times_us.reserve(static_cast<std::size_t>(options.timed_runs));
  // BEGIN SOLUTION
  for (int run = 0; run < options.warmup_runs; ++run) layer.forward(input);
  for (int run = 0; run < options.timed_runs; ++run) {
    const auto begin = std::chrono::steady_clock::now();
    const Tensor output = layer.forward(input);
    const auto end = std::chrono::steady_clock::now();  // before `output` is freed: only the forward is timed
    times_us.push_back(microseconds(end - begin));
  }
  // END SOLUTION
  return times_us;
}

LatencyStats measure_latency(Module& model, const Shape& sample_shape, int64_t batch_size,
                             const TimingOptions& options) {
  check_batch_size(batch_size, "measure_latency");
  const InferenceScope inference(model);
  const Tensor input = sample_batch(batch_size, sample_shape);
  return summarize_latency(time_forward(model, input, options), batch_size);
}

// ---- (5) --------------------------------------------------------------------------------

MemoryProfile measure_memory(Module& model, const Shape& sample_shape, int64_t batch_size) {
  check_batch_size(batch_size, "measure_memory");
  const InferenceScope inference(model);
  const Tensor input = sample_batch(batch_size, sample_shape);
  MemoryProfile memory;
  memory.batch_size = batch_size;
  memory.input_bytes = static_cast<int64_t>(input.nbytes());
  // BEGIN SOLUTION
  reset_peak_memory();  // peak := what is alive now (the model, the input, ...)
  const int64_t alive_before = memory_stats().current_bytes;
  const Tensor output = model.forward(input);
  const MemoryStats after = memory_stats();
  memory.peak_forward_bytes = after.peak_bytes - alive_before;  // (5)
  memory.allocations = after.allocations;
  memory.output_bytes = static_cast<int64_t>(output.nbytes());
  // END SOLUTION
  return memory;
}

// ---- everything ---------------------------------------------------------------------------

Profiler::Profiler(ProfilerOptions options) : options_(std::move(options)) {
  check_batch_size(options_.layer_batch_size, "Profiler");
  for (int64_t batch_size : options_.batch_sizes) check_batch_size(batch_size, "Profiler");
  if (options_.warmup_runs < 0 || options_.timed_runs < 1) {
    throw ValueError("Profiler: warmup_runs = " + std::to_string(options_.warmup_runs) + ", timed_runs = " +
                     std::to_string(options_.timed_runs) + "; expected warmup_runs >= 0 and timed_runs >= 1");
  }
}

ModelProfile Profiler::profile(Module& model, const Shape& sample_shape) const {
  ModelProfile profile;
  profile.model = model.name();
  profile.sample_shape = sample_shape;
  profile.cpu = cpu_summary();
  profile.blas = blas_summary();
  profile.options = options_;

  // Per sample: the rows of a batch of one.
  profile.layers = profile_layers(model, batched(1, sample_shape));
  for (const LayerProfile& row : profile.layers) {
    profile.parameters += row.parameters;
    for (const auto& [dtype, bytes] : row.parameter_bytes) profile.parameter_bytes[dtype] += bytes;
    if (!row.counted) ++profile.uncounted_layers;
  }
  profile.ops_per_sample = total_ops(profile.layers);

  const TimingOptions timing{options_.warmup_runs, options_.timed_runs};
  if (options_.measure_time) {
    // Each layer timed alone on the input it sees inside the model.
    const InferenceScope inference(model);
    std::size_t row = 0;
    walk_layers(model, "", sample_batch(options_.layer_batch_size, sample_shape),
                [&](Module& layer, const std::string&, const Tensor& x) {
                  profile.layers.at(row++).median_us = summarize_latency(time_forward(layer, x, timing), 0).median_us;
                  return layer.forward(x);
                });
    for (int64_t batch_size : options_.batch_sizes) {
      profile.latency.push_back(measure_latency(model, sample_shape, batch_size, timing));
    }
  }
  for (int64_t batch_size : options_.batch_sizes) {
    profile.memory.push_back(measure_memory(model, sample_shape, batch_size));
  }
  return profile;
}

}  // namespace tinytorch
