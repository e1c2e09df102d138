// checks.cpp — Module 07's inline checks: run these first while you write the trainer.
#include "tinytorch/core/inline_checks.hpp"
#include "tinytorch/core/metrics.hpp"
#include "tinytorch/core/progress_bar.hpp"

using namespace tinytorch;
using inline_checks::expect;
using inline_checks::expect_near;

int main() {
  return inline_checks::run("07_training", {
    {"count_correct: argmax of [[1,3],[5,2],[0,0]] is [1,0,0]; labels [1,1,0] -> 2 correct", [] {
       Tensor logits = Tensor::from_values({1, 3, 5, 2, 0, 0}, {3, 2});
       Tensor labels = Tensor::from_int32({1, 1, 0}, {3});
       expect(count_correct(logits, labels) == 2, "row 0 right, row 1 wrong, row 2 a tie -> class 0, right");
       expect_near(accuracy(logits, labels), 2.0 / 3.0, 1e-12, "accuracy = 2/3");
     }},
    {"format_duration: 4 s -> 0:04, 754 s -> 12:34, 3725 s -> 1:02:05", [] {
       expect(format_duration(4) == "0:04" && format_duration(754) == "12:34" && format_duration(3725) == "1:02:05",
              "m:ss below an hour, h:mm:ss above");
     }},
    {"progress line at 5 of 10 batches: half a bar and ETA = elapsed", [] {
       ProgressState state{"epoch 1/2", 5, 10, 0.5, 0.75, 1000, 3.0};
       expect(format_progress_line(state, 10) ==
                  "epoch 1/2 [=====>    ] 5/10  loss 0.5000  acc 75.0%  1,000 samples/s  ETA 0:03",
              "ETA = 3 s · (10 - 5) / 5 = 3 s");
     }},
  });
}
