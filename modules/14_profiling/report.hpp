// report.hpp — Module 14: a ModelProfile as a table for people and as JSON for tools.
//
// format_profile prints, with fmt:
//   * one row per layer: input -> output shape (per sample), parameters, bytes,
//     multiply-adds, FLOPs (= 2·mult-adds + bias adds), activations, the bytes of
//     the output it hands on, its median time alone at the layer batch size, its
//     share of the summed layer times, and the GFLOP/s that time implies;
//   * the totals, bytes by dtype, the per-sample ops written out;
//   * latency per batch size (min / median / p90 / max, samples/s, GFLOP/s);
//   * peak memory of one forward pass per batch size;
//   * the CPU and the OpenBLAS core the numbers were measured on.
// profile_to_json holds the same numbers (raw, unformatted) — see ABOUT.md for
// the field list; milestones write it with --json.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "tinytorch/profiling/profiler.hpp"

namespace tinytorch {

std::string format_profile(const ModelProfile& profile);
nlohmann::json profile_to_json(const ModelProfile& profile);

// 235146 -> "235,146": how the report writes counts.
std::string with_thousands(int64_t value);

}  // namespace tinytorch
