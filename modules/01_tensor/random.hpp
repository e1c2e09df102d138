// random.hpp — a seedable random generator with the same numbers everywhere.
//
// std::normal_distribution differs between standard libraries, so we draw from
// std::mt19937_64 (whose output the C++ standard fixes) and make the
// distributions ourselves: uniform from the top 24 bits, normal by Box–Muller.
// Same seed -> same weights, same shuffles, on every machine.
#pragma once

#include <cstdint>
#include <random>

namespace tinytorch {

class Generator {
 public:
  explicit Generator(uint64_t seed = 42) : engine_(seed) {}
  void seed(uint64_t seed);
  uint64_t next_u64() { return engine_(); }
  float uniform();                          // [0, 1)
  float uniform(float low, float high);     // [low, high)
  float normal(float mean = 0.0f, float std = 1.0f);
  // An integer in [0, n): for shuffles (Fisher–Yates) and sampling.
  uint64_t below(uint64_t n);

 private:
  std::mt19937_64 engine_;
  bool has_spare_normal_ = false;  // Box–Muller makes two normals at a time
  float spare_normal_ = 0.0f;
};

// The generator used when none is passed (Tensor::randn, Linear init, ...).
Generator& default_generator();
// Reseed the default generator: the way to make a whole run reproducible.
void manual_seed(uint64_t seed);

}  // namespace tinytorch
