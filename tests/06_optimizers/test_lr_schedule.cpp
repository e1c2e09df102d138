// Cosine annealing: η_e = η_min + ½(η_max - η_min)(1 + cos(π e / E)), as
// PyTorch's CosineAnnealingLR(T_max = E) gives when stepped once per epoch.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "concepts.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/core/lr_schedule.hpp"

using namespace tinytorch;

namespace {
constexpr double kTolerance = 1e-9;  // float results of a double formula: relative rounding ~6e-8 of 1e-3
}

TINYTORCH_CONCEPT(CosineSchedule, "cosine annealing of the learning rate over the epochs",
                  "lr_e = lr_min + 0.5 (lr_max - lr_min) (1 + cos(pi e / E)) for e = 0..E-1; "
                  "lr_e = lr_min for e >= E");

TINYTORCH_TEST_FORMULA(CosineSchedule, StartsAtMaxHalvesAtTheMiddleAndApproachesMin,
                       "lr_max = 1e-3, E = 10: e = 0 -> 1e-3 (cos 0 = 1); e = 5 -> 0.5e-3 (cos(pi/2) = 0); "
                       "e = 9 -> 0.5e-3 (1 + cos(0.9 pi)) = 2.447e-5; e = 10 -> lr_min = 0");
TEST(CosineSchedule, StartsAtMaxHalvesAtTheMiddleAndApproachesMin) {
  const CosineSchedule schedule(1e-3f, 10);
  EXPECT_NEAR(schedule(0), 1e-3, kTolerance);        // cos 0 = 1
  EXPECT_NEAR(schedule(5), 0.5e-3, kTolerance);      // cos(π/2) = 0
  // e = 9: ½ · 1e-3 · (1 + cos(0.9π)) = 0.5e-3 · (1 - 0.951057) = 2.447174e-5
  EXPECT_NEAR(schedule(9), 0.5e-3 * (1 + std::cos(0.9 * std::numbers::pi)), kTolerance);
  EXPECT_EQ(schedule(10), 0.0f);                     // past the end: η_min
}

TINYTORCH_TEST_FORMULA(CosineSchedule, DecreasesEveryEpochAndRespectsTheFloor,
                       "lr_e < lr_(e-1) for e = 1..6 and lr_6 > lr_min = 0.01; e = 100 -> 0.01; "
                       "e = 2 of 7: 0.01 + 0.045 (1 + cos(2 pi / 7))");
TEST(CosineSchedule, DecreasesEveryEpochAndRespectsTheFloor) {
  const CosineSchedule schedule(0.1f, 7, 0.01f);
  for (int64_t e = 1; e < 7; ++e) EXPECT_LT(schedule(e), schedule(e - 1)) << "epoch " << e;
  EXPECT_GT(schedule(6), 0.01f);
  EXPECT_EQ(schedule(100), 0.01f);
  // e = 2 of 7 with a floor: 0.01 + 0.045 · (1 + cos(2π/7))
  EXPECT_NEAR(schedule(2), 0.01 + 0.045 * (1 + std::cos(2 * std::numbers::pi / 7)), 1e-8);
}

TINYTORCH_TEST_FORMULA(CosineSchedule, OneEpochIsJustTheMaximum,
                       "E = 1: lr_0 = lr_min + 0.5 (lr_max - lr_min) (1 + cos 0) = lr_max = 0.5");
TEST(CosineSchedule, OneEpochIsJustTheMaximum) { EXPECT_EQ(CosineSchedule(0.5f, 1)(0), 0.5f); }

TINYTORCH_TEST_FORMULA(CosineSchedule, RejectsBadArguments,
                       "needs lr_max >= lr_min >= 0 and E >= 1, and an epoch e >= 0; else ValueError");
TEST(CosineSchedule, RejectsBadArguments) {
  EXPECT_THROW(CosineSchedule(1e-3f, 0), ValueError);
  EXPECT_THROW(CosineSchedule(1e-3f, 10, 1e-2f), ValueError);  // min above max
  EXPECT_THROW(CosineSchedule(-1.0f, 10, -2.0f), ValueError);
  EXPECT_THROW(CosineSchedule(1e-3f, 10)(-1), ValueError);
}
