// lr_schedule.cpp — Module 06: cosine annealing, equation (1) of lr_schedule.hpp.
#include "tinytorch/core/lr_schedule.hpp"

#include <cmath>
#include <numbers>
#include <string>

#include "tinytorch/core/error.hpp"

namespace tinytorch {

CosineSchedule::CosineSchedule(float max_learning_rate, int64_t epochs, float min_learning_rate)
    : max_learning_rate_(max_learning_rate), min_learning_rate_(min_learning_rate), epochs_(epochs) {
  if (!(min_learning_rate >= 0.0f && max_learning_rate >= min_learning_rate) || epochs < 1) {
    throw ValueError("CosineSchedule: max_learning_rate = " + std::to_string(max_learning_rate) +
                     ", min_learning_rate = " + std::to_string(min_learning_rate) + ", epochs = " +
                     std::to_string(epochs) + "; expected max >= min >= 0 and epochs >= 1");
  }
}

float CosineSchedule::learning_rate(int64_t epoch) const {
  if (epoch < 0) throw ValueError("CosineSchedule: epoch " + std::to_string(epoch) + " is negative");
  if (epoch >= epochs_) return min_learning_rate_;
  // BEGIN SOLUTION
  const double progress = static_cast<double>(epoch) / static_cast<double>(epochs_);  // e / E in [0, 1)
  const double span = static_cast<double>(max_learning_rate_) - static_cast<double>(min_learning_rate_);
  return static_cast<float>(min_learning_rate_ + 0.5 * span * (1.0 + std::cos(std::numbers::pi * progress)));
  // END SOLUTION
}

}  // namespace tinytorch
