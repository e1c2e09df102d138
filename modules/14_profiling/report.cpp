// report.cpp — the table (fmt) and the JSON (nlohmann::json) of a ModelProfile.
#include "tinytorch/profiling/report.hpp"

#include <string>
#include <vector>

#include <fmt/format.h>

namespace tinytorch {
namespace {

// "(256)" — a shape without its batch axis: what one sample looks like.
std::string sample_shape_str(const Shape& shape) {
  return shape_str(shape.empty() ? shape : Shape(shape.begin() + 1, shape.end()));
}

std::string bytes_by_dtype_str(const DTypeBytes& bytes) {
  if (bytes.empty()) return "none";
  std::string out;
  for (const auto& [dtype, count] : bytes) {
    if (!out.empty()) out += ", ";
    out += fmt::format("{} {} bytes", dtype_name(dtype), with_thousands(count));
  }
  return out;
}

// FLOPs / µs = MFLOP/s; / 1000 = GFLOP/s.
double gflops(int64_t flops, double microseconds) {
  return microseconds > 0 ? static_cast<double>(flops) / microseconds * 1e-3 : 0.0;
}

nlohmann::json dtype_bytes_json(const DTypeBytes& bytes) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [dtype, count] : bytes) out[std::string(dtype_name(dtype))] = count;
  return out;
}

nlohmann::json ops_json(const OpCounts& ops) {
  return {{"multiply_adds", ops.multiply_adds}, {"matmul_flops", ops.matmul_flops()}, {"bias_adds", ops.bias_adds},
          {"flops", ops.flops()}, {"activations", ops.activations}};
}

void append_layer_table(const ModelProfile& p, std::string& out) {
  double summed_us = 0;
  for (const LayerProfile& row : p.layers) summed_us += row.median_us;
  const bool timed = summed_us > 0;
  out += fmt::format("{:<6} {:<10} {:>18} {:>10} {:>11} {:>11} {:>11} {:>8} {:>10}", "layer", "kind", "shape", "params",
                     "bytes", "mult-adds", "FLOPs", "activ.", "out bytes");
  if (timed) out += fmt::format(" {:>10} {:>6} {:>8}", "time us", "share", "GFLOP/s");
  out += "\n";
  for (const LayerProfile& row : p.layers) {
    const std::string shapes = sample_shape_str(row.input_shape) + "->" + sample_shape_str(row.output_shape);
    const auto count = [&](int64_t v) { return row.counted ? with_thousands(v) : std::string("?"); };
    out += fmt::format("{:<6} {:<10} {:>18} {:>10} {:>11} {:>11} {:>11} {:>8} {:>10}", row.path.empty() ? "-" : row.path,
                       row.kind, shapes, with_thousands(row.parameters), with_thousands(total_bytes(row.parameter_bytes)),
                       count(row.ops.multiply_adds), count(row.ops.flops()), count(row.ops.activations),
                       with_thousands(row.output_bytes));
    if (timed) {
      // A layer without FLOPs (ReLU) has no GFLOP/s: its cost is memory traffic.
      const int64_t batch_flops = row.ops.flops() * p.options.layer_batch_size;
      out += fmt::format(" {:>10.2f} {:>5.1f}% {:>8}", row.median_us, 100.0 * row.median_us / summed_us,
                         batch_flops > 0 ? fmt::format("{:.1f}", gflops(batch_flops, row.median_us)) : "-");
    }
    out += "\n";
  }
  out += fmt::format("{:<6} {:<10} {:>18} {:>10} {:>11} {:>11} {:>11} {:>8} {:>10}", "total", "", "",
                     with_thousands(p.parameters), with_thousands(total_bytes(p.parameter_bytes)),
                     with_thousands(p.ops_per_sample.multiply_adds), with_thousands(p.ops_per_sample.flops()),
                     with_thousands(p.ops_per_sample.activations), "");
  if (timed) out += fmt::format(" {:>10.2f} {:>5.1f}%", summed_us, 100.0);
  out += "\n";
}

}  // namespace

std::string with_thousands(int64_t value) {
  const std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string format_profile(const ModelProfile& p) {
  std::string out;
  out += fmt::format("Profile of {} — one sample is {} (inference: no grad, eval mode)\n", p.model,
                     shape_str(p.sample_shape));
  out += fmt::format("  cpu: {}\n  blas: {}\n", p.cpu, p.blas);
  out += fmt::format("Per layer: ops per sample; time = median of {} runs ({} warm-up) of the layer alone at batch {}\n",
                     p.options.timed_runs, p.options.warmup_runs, p.options.layer_batch_size);
  append_layer_table(p, out);

  const OpCounts& ops = p.ops_per_sample;
  out += fmt::format("Parameters: {} ({})\n", with_thousands(p.parameters), bytes_by_dtype_str(p.parameter_bytes));
  out += fmt::format(
      "Per sample: {} multiply-adds = {} matmul FLOPs, + {} bias adds = {} FLOPs; {} activation evaluations (not in "
      "FLOPs)\n",
      with_thousands(ops.multiply_adds), with_thousands(ops.matmul_flops()), with_thousands(ops.bias_adds),
      with_thousands(ops.flops()), with_thousands(ops.activations));
  if (p.uncounted_layers > 0) {
    out += fmt::format("  {} layer(s) marked ? have no LayerCounter: their ops are unknown, the totals are a lower bound\n",
                       p.uncounted_layers);
  }

  if (!p.latency.empty()) {
    out += fmt::format("Latency of one forward pass ({} warm-up + {} timed runs each):\n", p.options.warmup_runs,
                       p.options.timed_runs);
    out += fmt::format("{:>7} {:>11} {:>11} {:>11} {:>11} {:>13} {:>9}\n", "batch", "min us", "median us", "p90 us",
                       "max us", "samples/s", "GFLOP/s");
    for (const LatencyStats& s : p.latency) {
      out += fmt::format("{:>7} {:>11.2f} {:>11.2f} {:>11.2f} {:>11.2f} {:>13.0f} {:>9.1f}\n", s.batch_size, s.min_us,
                         s.median_us, s.p90_us, s.max_us, s.samples_per_second(),
                         gflops(ops.flops() * s.batch_size, s.median_us));
    }
  }
  if (!p.memory.empty()) {
    out += "Peak tensor memory of one forward pass (above what was alive before it; parameters excluded):\n";
    out += fmt::format("{:>7} {:>14} {:>14} {:>14} {:>12}\n", "batch", "input bytes", "peak bytes", "output bytes",
                       "allocations");
    for (const MemoryProfile& m : p.memory) {
      out += fmt::format("{:>7} {:>14} {:>14} {:>14} {:>12}\n", m.batch_size, with_thousands(m.input_bytes),
                         with_thousands(m.peak_forward_bytes), with_thousands(m.output_bytes), m.allocations);
    }
  }
  return out;
}

nlohmann::json profile_to_json(const ModelProfile& p) {
  nlohmann::json layers = nlohmann::json::array();
  for (const LayerProfile& row : p.layers) {
    layers.push_back({{"path", row.path},
                      {"kind", row.kind},
                      {"description", row.description},
                      {"input_shape", row.input_shape},
                      {"output_shape", row.output_shape},
                      {"parameters", row.parameters},
                      {"parameter_bytes", dtype_bytes_json(row.parameter_bytes)},
                      {"counted", row.counted},
                      {"ops", ops_json(row.ops)},
                      {"output_bytes", row.output_bytes},
                      {"median_us", row.median_us}});
  }
  nlohmann::json latency = nlohmann::json::array();
  for (const LatencyStats& s : p.latency) {
    latency.push_back({{"batch_size", s.batch_size},
                       {"runs", s.runs},
                       {"min_us", s.min_us},
                       {"median_us", s.median_us},
                       {"p90_us", s.p90_us},
                       {"max_us", s.max_us},
                       {"mean_us", s.mean_us},
                       {"samples_per_second", s.samples_per_second()}});
  }
  nlohmann::json memory = nlohmann::json::array();
  for (const MemoryProfile& m : p.memory) {
    memory.push_back({{"batch_size", m.batch_size},
                      {"input_bytes", m.input_bytes},
                      {"output_bytes", m.output_bytes},
                      {"peak_forward_bytes", m.peak_forward_bytes},
                      {"allocations", m.allocations}});
  }
  return {{"model", p.model},
          {"sample_shape", p.sample_shape},
          {"environment", {{"cpu", p.cpu}, {"blas", p.blas}}},
          {"timing",
           {{"warmup_runs", p.options.warmup_runs},
            {"timed_runs", p.options.timed_runs},
            {"layer_batch_size", p.options.layer_batch_size}}},
          {"parameters", p.parameters},
          {"parameter_bytes", dtype_bytes_json(p.parameter_bytes)},
          {"ops_per_sample", ops_json(p.ops_per_sample)},
          {"uncounted_layers", p.uncounted_layers},
          {"layers", layers},
          {"latency", latency},
          {"memory", memory}};
}

}  // namespace tinytorch
