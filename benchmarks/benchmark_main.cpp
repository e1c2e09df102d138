// benchmark_main.cpp — the main() of every Google Benchmark program here.
//
// Runs on ONE thread unless TINYTORCH_BENCH_THREADS says otherwise, and writes
// the CPU and the OpenBLAS core into the benchmark context, so every result
// says what it was measured on.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>

#include "tinytorch/core/blas.hpp"
#include "tinytorch/core/cpu_features.hpp"

int main(int argc, char** argv) {
  const char* threads_env = std::getenv("TINYTORCH_BENCH_THREADS");
  const int threads = threads_env ? std::atoi(threads_env) : 1;
  tinytorch::blas_set_num_threads(threads > 0 ? threads : 1);
  benchmark::AddCustomContext("cpu", tinytorch::cpu_summary());
  benchmark::AddCustomContext("openblas", tinytorch::blas_summary());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
