// profiler.hpp — Module 14: what a model costs — size, arithmetic, time, memory.
//
// Before making a model faster or smaller (module 15 quantizes it to int8) you
// measure it. For any Module and the shape of one input sample the Profiler reports:
//
//   parameters      Σ numel over the tensors each layer stores                 (1)
//   bytes by dtype  Σ numel · dtype_size, grouped by element type               (2)
//                   (float32 now: 4 bytes each; int8 weights after module 15: 1)
//   ops per sample  multiply-adds, bias adds, activations and
//                   FLOPs = 2 · multiply_adds + bias_adds  (see flops.hpp)       (3)
//   latency         of one forward pass per batch size: after `warmup_runs`
//                   untimed runs, `timed_runs` timed ones; min, median, p90      (4)
//   peak memory     the most tensor-storage bytes alive at once during one
//                   forward pass, above what was alive before it started         (5)
//
// and the same per layer (a row per leaf layer, Sequentials opened up), printed
// as a table (report.hpp, format_profile) or written as JSON (profile_to_json).
//
// The forward passes run as inference: under NoGradGuard (no graph is recorded)
// and in eval mode (Dropout off); the model's mode is restored afterwards.
//
// Percentiles (4) use the nearest-rank rule on the n times sorted ascending,
// t_(1) <= ... <= t_(n):   p-th percentile = t_(ceil(p/100 · n)),
// and the median is the middle value (the mean of the two middle ones for even n).
// The minimum is the best estimate of what the code costs; median and p90 show
// how much the machine (other processes, frequency changes, cache state) adds.
//
//   Profiler profiler({.batch_sizes = {1, 64, 1024}});
//   ModelProfile profile = profiler.profile(model, {784});   // one sample is (784)
//   fmt::print("{}", format_profile(profile));
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tinytorch/core/module.hpp"
#include "tinytorch/core/tensor.hpp"
#include "tinytorch/profiling/flops.hpp"

namespace tinytorch {

// Bytes per element type: {Float32: 940584} for the MLP.
using DTypeBytes = std::map<DType, int64_t>;
int64_t total_bytes(const DTypeBytes& bytes);

// ---- (1) and (2): size ----------------------------------------------------------
int64_t count_parameters(const std::vector<Tensor>& tensors);
DTypeBytes count_bytes(const std::vector<Tensor>& tensors);
// What `layer` stores: its LayerCounter's stored_tensors if its type has one,
// else its parameters() and buffers() (own and children's).
std::vector<Tensor> stored_tensors(const Module& layer);

// ---- one row per layer ------------------------------------------------------------
struct LayerProfile {
  std::string path;         // name in the model: "0", "2", "encoder.1" ("" for the model itself)
  std::string kind;         // Module::name(): "Linear"
  std::string description;  // Module::extra_repr(): "in_features=784, out_features=256, bias=true"
  Shape input_shape;        // as profiled, batch axis included
  Shape output_shape;
  int64_t parameters = 0;   // (1)
  DTypeBytes parameter_bytes;  // (2)
  bool counted = false;     // false: no LayerCounter for this type; ops are unknown (left 0)
  OpCounts ops;             // (3) for input_shape
  int64_t output_bytes = 0; // the activation this layer hands on: numel(output) · dtype_size
  double median_us = 0;     // median forward time of this layer alone (0 when not timed)
};

// Runs `model` on a zero tensor of `input_shape` (inference mode) and returns one
// row per leaf layer, in execution order. A Sequential is opened up (its layers
// are run one by one); any other module with a LayerCounter, or without
// children, is one row; a module with children but no counter is one row,
// not counted (its forward is opaque to the profiler).
std::vector<LayerProfile> profile_layers(Module& model, const Shape& input_shape);
// Σ of the rows' ops (the not-counted rows contribute nothing).
OpCounts total_ops(const std::vector<LayerProfile>& layers);

// ---- (4): latency -------------------------------------------------------------------
struct LatencyStats {
  int64_t batch_size = 0;
  int runs = 0;
  double min_us = 0, median_us = 0, p90_us = 0, max_us = 0, mean_us = 0;
  // Throughput at the median: batch_size / median time.
  double samples_per_second() const { return median_us > 0 ? batch_size * 1e6 / median_us : 0.0; }
};
// The statistics of (4) from measured times in µs (any order; at least one).
LatencyStats summarize_latency(std::vector<double> times_us, int64_t batch_size);

struct TimingOptions {
  int warmup_runs = 10;  // untimed: fault in pages, warm caches, let OpenBLAS allocate its buffers
  int timed_runs = 100;
};
// Times `timed_runs` calls of layer.forward(input) after `warmup_runs` untimed
// ones: one duration per call, in µs. No inference mode is set here: the caller decides.
std::vector<double> time_forward(Module& layer, const Tensor& input, const TimingOptions& options);
// Inference latency (4) of `model` on a batch of `batch_size` samples of `sample_shape`.
LatencyStats measure_latency(Module& model, const Shape& sample_shape, int64_t batch_size,
                             const TimingOptions& options = {});

// ---- (5): memory ------------------------------------------------------------------
struct MemoryProfile {
  int64_t batch_size = 0;
  int64_t input_bytes = 0;         // the batch itself (allocated before the pass)
  int64_t output_bytes = 0;        // the result
  int64_t peak_forward_bytes = 0;  // (5): max alive during the pass − alive before it
  int64_t allocations = 0;         // tensor storages allocated during the pass
};
// Peak memory (5) of one inference forward pass on a batch of `batch_size`.
MemoryProfile measure_memory(Module& model, const Shape& sample_shape, int64_t batch_size);

// ---- everything together ---------------------------------------------------------------
struct ProfilerOptions {
  std::vector<int64_t> batch_sizes = {1, 64, 1024};  // latency and memory per batch size
  int64_t layer_batch_size = 64;                      // batch of the per-layer times
  int warmup_runs = 10;
  int timed_runs = 100;
  bool measure_time = true;  // false: sizes, ops and memory only (fast; what unit tests use)
};

struct ModelProfile {
  std::string model;          // Module::name()
  Shape sample_shape;         // one input sample, without the batch axis
  std::string cpu;            // cpu_summary()
  std::string blas;           // blas_summary(): the OpenBLAS core and its thread count
  ProfilerOptions options;
  std::vector<LayerProfile> layers;  // ops per sample (profiled at batch 1); times at layer_batch_size
  int64_t parameters = 0;
  DTypeBytes parameter_bytes;
  OpCounts ops_per_sample;    // Σ over the counted layers
  int uncounted_layers = 0;   // rows whose ops are unknown (then the totals are a lower bound)
  std::vector<LatencyStats> latency;  // one per batch size (empty when !measure_time)
  std::vector<MemoryProfile> memory;  // one per batch size
};

class Profiler {
 public:
  explicit Profiler(ProfilerOptions options = {});
  ModelProfile profile(Module& model, const Shape& sample_shape) const;
  const ProfilerOptions& options() const { return options_; }

 private:
  ProfilerOptions options_;
};

}  // namespace tinytorch
