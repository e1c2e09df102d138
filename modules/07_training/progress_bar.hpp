// progress_bar.hpp — Module 07: one live status line while an epoch trains.
//
//   epoch 2/10 [=========>          ] 312/938  loss 0.4127  acc 85.3%  71,204 samples/s  ETA 0:04
//
// Only a person watching a terminal wants this line redrawn in place ("\r"), so:
//   * it is drawn on stderr, and only when stderr is a terminal (isatty);
//     piped into a file or a CI log it is completely quiet (the Trainer prints
//     one line per epoch instead);
//   * it is redrawn at most 10 times a second, however fast batches arrive —
//     938 redraws per epoch would cost more than the training they report.
//
// The text is made by a pure function, format_progress_line, so it can be
// tested without a terminal.
//
//   ETA = elapsed · (total - done) / done          (the average pace so far)
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace tinytorch {

struct ProgressState {
  std::string label;             // "epoch 2/10"
  int64_t done = 0;              // batches finished
  int64_t total = 0;             // batches in the epoch
  double loss = 0.0;             // running mean loss of the epoch
  double accuracy = 0.0;         // running accuracy of the epoch, in [0, 1]
  double samples_per_second = 0.0;
  double elapsed_seconds = 0.0;
};

// The line, without "\r" or "\n". bar_width characters between the brackets:
// '=' for the finished part, '>' at its tip (until done == total).
std::string format_progress_line(const ProgressState& state, int bar_width = 20);
// 4 -> "0:04", 754 -> "12:34", 3725 -> "1:02:05" (whole seconds, rounded down).
std::string format_duration(double seconds);
// 71204.4 -> "71,204" (rounded to the nearest integer).
std::string format_count(double value);

class ProgressBar {
 public:
  // Draws on `stream` only if it is a terminal; otherwise every call is a no-op.
  explicit ProgressBar(std::FILE* stream = stderr);
  // Force drawing on or off (tests; --no-progress).
  ProgressBar(std::FILE* stream, bool enabled);

  bool enabled() const { return enabled_; }
  // Redraws if at least 0.1 s passed since the last redraw (or state.done == state.total).
  void update(const ProgressState& state);
  // Erases the line, so the caller's next output starts on a clean line.
  void clear();

 private:
  std::FILE* stream_;
  bool enabled_;
  bool drawn_ = false;
  std::size_t last_length_ = 0;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace tinytorch
