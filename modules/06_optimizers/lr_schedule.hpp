// lr_schedule.hpp — Module 06: a learning rate that shrinks as training ends.
//
// With a constant learning rate the parameters keep jumping around the
// minimum by about η per step, and the test accuracy wobbles from epoch to
// epoch (±1 % on the milestone). Shrinking η towards the end lets them settle.
// Cosine annealing (Loshchilov & Hutter 2017, PyTorch's CosineAnnealingLR
// stepped once per epoch with T_max = E) starts at η_max and glides to η_min:
//
//   η_e = η_min + ½ (η_max - η_min) (1 + cos(π e / E)),   e = 0, 1, ..., E-1      (1)
//
// e = 0 gives η_max; the curve is flat at the start, steepest in the middle.
// (Epochs e >= E stay at η_min.)
#pragma once

#include <cstdint>

namespace tinytorch {

class CosineSchedule {
 public:
  // max_learning_rate >= min_learning_rate >= 0, epochs >= 1 (ValueError otherwise).
  CosineSchedule(float max_learning_rate, int64_t epochs, float min_learning_rate = 0.0f);

  // (1) for epoch index e >= 0 (0-based).
  float learning_rate(int64_t epoch) const;
  float operator()(int64_t epoch) const { return learning_rate(epoch); }

 private:
  float max_learning_rate_;
  float min_learning_rate_;
  int64_t epochs_;
};

}  // namespace tinytorch
