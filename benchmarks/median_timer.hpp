// median_timer.hpp — how the INT8 benchmark programs time the operations they compare.
//
// bench_gemm_int8 and bench_mlp_int8 print ratios (INT8 vs FP32, vs oneDNN)
// measured in the same run. Every entry of their tables is timed the same way:
//
//   1. Warm-up: call the operation until `warmup_seconds` have passed (at least
//      `warmup_calls` times). Caches fill, pages fault in, thread pools start,
//      libraries allocate their buffers. The warm-up also gives t₁, the cost of
//      one call.
//   2. Samples: `samples` samples, each R back-to-back calls, R = ⌈budget / (samples · t₁)⌉,
//      so even a 100 ns call is timed over a stretch the clock resolves well,
//      and the whole measurement lasts about `budget_seconds`. A call longer
//      than budget / samples gets R = 1 and only max(min_samples, budget / t₁)
//      samples, which bounds the runtime of the large shapes.
//   3. Time per call = the MEDIAN over the samples of (sample time / R): one
//      sample disturbed by another process moves it less than it moves a mean.
//
// Side by side. The operations of one table row group (FP32, oneDNN, INT8 on
// one shape) are timed together:
//   * one thread: round robin, a sample of A, a sample of B, a sample of C, a
//     sample of A, ... so that a stretch of time in which another process takes
//     the core slows them all alike, and their ratio stays true. (A sample's
//     first call may find the caches holding the previous operation's data:
//     1/R of that sample.)
//   * more threads: one after the other, each after a long warm-up
//     (`multithread_warmup_seconds`), for two reasons measured on the project's
//     2-core virtual machine: (a) after a call, OpenBLAS's idle workers keep
//     polling for work for about 2^28 CPU cycles (~0.1 s) and OpenMP's (oneDNN's)
//     spin a little too, taking the core the next library's second thread needs —
//     oneDNN's 2-thread calls stalled to 8 ms (a scheduler time slice) right after
//     a 2-thread OpenBLAS measurement; (b) after the cores were idle, a library
//     whose workers sleep between calls ran its first tens of ms on about one core
//     (INT8 GEMM on 2 threads: 1.0–1.5 cores busy after a 10 ms warm-up, 1.7–1.95
//     after 200 ms). Round robin would need that warm-up before every sample.
//
// cores busy = process CPU time / wall time over an operation's samples. On an
// idle machine it is the number of threads that really worked (1.0 for one
// thread); below that, another process had the core part of the time (or the
// library chose fewer threads). Threads spinning while they wait count as busy.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <ctime>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

namespace bench {

struct TimingBudget {
  double budget_seconds = 0.05;  // ≈ length of one measurement (all its samples)
  int samples = 7;
  int min_samples = 3;  // for calls longer than budget / samples
  double warmup_seconds = 0.01;
  int warmup_calls = 2;
  double multithread_warmup_seconds = 0.3;  // replaces warmup_seconds when threads > 1 (see above)
};

// The CI smoke setting (--quick): one short sample; the figures only show it runs.
inline TimingBudget quick_budget() {
  return {.budget_seconds = 0.001,
          .samples = 1,
          .min_samples = 1,
          .warmup_seconds = 0.0,
          .warmup_calls = 1,
          .multithread_warmup_seconds = 0.0};
}

struct Timing {
  double seconds_per_call = 0.0;  // median over samples
  double cores_busy = 0.0;        // process CPU time / wall time
  int samples = 0;
  long long calls_per_sample = 0;
};

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

inline double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Long enough for OpenBLAS's spinning workers (2^28 cycles: 0.1 s at 2.6 GHz) to go to
// sleep: the programs wait once after setting the thread counts, because loading
// OpenBLAS started workers for every core.
inline void let_worker_threads_sleep() { std::this_thread::sleep_for(std::chrono::milliseconds(250)); }

// The 1-minute load average (/proc/loadavg; -1 if unreadable): on a 2-core machine
// anything near or above 1 means other processes compete for the cores while
// we measure. The programs print it before and after their tables.
inline double load_average() {
  std::ifstream file("/proc/loadavg");
  double one_minute = -1.0;
  file >> one_minute;
  return file ? one_minute : -1.0;
}

// Step 1: warm up, and return t₁, the mean cost of one warm-up call.
inline double warm_up(const std::function<void()>& call, const TimingBudget& budget) {
  const auto start = std::chrono::steady_clock::now();
  long long calls = 0;
  do {
    call();
    ++calls;
  } while (calls < budget.warmup_calls || seconds_since(start) < budget.warmup_seconds);
  return seconds_since(start) / static_cast<double>(calls);
}

// Step 2's plan for a call costing `one_call` seconds: how many samples of how many calls.
inline Timing plan_samples(double one_call, const TimingBudget& budget) {
  Timing plan;
  const double per_sample = budget.budget_seconds / budget.samples;
  if (one_call >= per_sample) {
    plan.calls_per_sample = 1;
    plan.samples = std::clamp(static_cast<int>(budget.budget_seconds / one_call), budget.min_samples, budget.samples);
  } else {
    plan.calls_per_sample = static_cast<long long>(std::ceil(per_sample / std::max(one_call, 1e-9)));
    plan.samples = budget.samples;
  }
  return plan;
}

// Steps 1–3 for every call, samples taken in round robin (A B C A B C ...).
inline std::vector<Timing> time_round_robin(const std::vector<std::function<void()>>& calls,
                                            const TimingBudget& budget) {
  std::vector<Timing> timings;
  for (const auto& call : calls) timings.push_back(plan_samples(warm_up(call, budget), budget));
  std::vector<std::vector<double>> per_call(calls.size());
  std::vector<double> cpu(calls.size(), 0.0), wall(calls.size(), 0.0);
  int rounds = 0;
  for (const Timing& t : timings) rounds = std::max(rounds, t.samples);
  for (int round = 0; round < rounds; ++round) {
    for (std::size_t i = 0; i < calls.size(); ++i) {
      if (round >= timings[i].samples) continue;
      const std::clock_t cpu_start = std::clock();
      const auto wall_start = std::chrono::steady_clock::now();
      for (long long r = 0; r < timings[i].calls_per_sample; ++r) calls[i]();
      const double seconds = seconds_since(wall_start);
      cpu[i] += static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
      wall[i] += seconds;
      per_call[i].push_back(seconds / static_cast<double>(timings[i].calls_per_sample));
    }
  }
  for (std::size_t i = 0; i < calls.size(); ++i) {
    timings[i].seconds_per_call = median(per_call[i]);
    timings[i].cores_busy = wall[i] > 0 ? cpu[i] / wall[i] : 0.0;
  }
  return timings;
}

// Steps 1–3 for one call.
inline Timing time_median(const std::function<void()>& call, const TimingBudget& budget) {
  return time_round_robin({call}, budget).front();
}

// The calls of one row group side by side (see the top of this file): round robin
// on one thread; with more, one after the other, each after a long warm-up.
inline std::vector<Timing> time_side_by_side(const std::vector<std::function<void()>>& calls, int threads,
                                             const TimingBudget& budget) {
  if (threads == 1) return time_round_robin(calls, budget);
  TimingBudget long_warmup = budget;
  long_warmup.warmup_seconds = budget.multithread_warmup_seconds;
  std::vector<Timing> timings;
  for (const auto& call : calls) timings.push_back(time_median(call, long_warmup));
  return timings;
}

}  // namespace bench
