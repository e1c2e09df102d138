// random.cpp — uniform and normal samples from mt19937_64, identical on every platform.
#include "tinytorch/core/random.hpp"

#include <cmath>
#include <numbers>

namespace tinytorch {

void Generator::seed(uint64_t seed) {
  engine_.seed(seed);
  has_spare_normal_ = false;
}

// The top 24 bits of a 64-bit draw, times 2^-24: every float in [0, 1) on a
// grid of 2^-24, never 1.0 (24 bits fit a float's significand exactly).
float Generator::uniform() { return static_cast<float>(engine_() >> 40) * 0x1.0p-24f; }

float Generator::uniform(float low, float high) { return low + (high - low) * uniform(); }

// Box–Muller: for u1, u2 uniform in (0, 1],
//   z0 = sqrt(-2 ln u1) cos(2π u2),  z1 = sqrt(-2 ln u1) sin(2π u2)
// are two independent standard normals. We return one and keep the other.
float Generator::normal(float mean, float std) {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return mean + std * spare_normal_;
  }
  const double u1 = 1.0 - static_cast<double>(engine_() >> 11) * 0x1.0p-53;  // (0, 1]
  const double u2 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  const double radius = std::sqrt(-2.0 * std::log(u1));
  const double angle = 2.0 * std::numbers::pi * u2;
  spare_normal_ = static_cast<float>(radius * std::sin(angle));
  has_spare_normal_ = true;
  return mean + std * static_cast<float>(radius * std::cos(angle));
}

// Lemire's unbiased bounded draw would be faster; rejection keeps it obviously fair.
uint64_t Generator::below(uint64_t n) {
  if (n == 0) return 0;
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // largest multiple of n
  uint64_t draw = engine_();
  while (draw >= limit) draw = engine_();
  return draw % n;
}

Generator& default_generator() {
  static Generator generator(42);
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().seed(seed); }

}  // namespace tinytorch
