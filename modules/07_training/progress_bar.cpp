// progress_bar.cpp — Module 07: the live status line (see progress_bar.hpp).
#include "tinytorch/core/progress_bar.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "tinytorch/core/error.hpp"

namespace tinytorch {

std::string format_duration(double seconds) {
  const int64_t total = seconds > 0 ? static_cast<int64_t>(seconds) : 0;
  const int64_t hours = total / 3600, minutes = (total / 60) % 60, secs = total % 60;
  char text[48];
  if (hours > 0) {
    std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", static_cast<long long>(hours),
                  static_cast<long long>(minutes), static_cast<long long>(secs));
  } else {
    std::snprintf(text, sizeof text, "%lld:%02lld", static_cast<long long>(minutes), static_cast<long long>(secs));
  }
  return text;
}

std::string format_count(double value) {
  const int64_t rounded = static_cast<int64_t>(std::llround(std::max(value, 0.0)));
  const std::string digits = std::to_string(rounded);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string format_progress_line(const ProgressState& state, int bar_width) {
  // BEGIN SOLUTION
  const int64_t total = std::max<int64_t>(state.total, 1);
  const int64_t done = std::clamp<int64_t>(state.done, 0, total);
  const int filled = static_cast<int>(static_cast<int64_t>(bar_width) * done / total);
  std::string bar(static_cast<std::size_t>(bar_width), ' ');
  std::fill_n(bar.begin(), filled, '=');
  if (done < total) bar[static_cast<std::size_t>(filled)] = '>';
  const double remaining = static_cast<double>(total - done);
  const double eta = done > 0 ? state.elapsed_seconds * remaining / static_cast<double>(done) : 0.0;
  char numbers[160];
  std::snprintf(numbers, sizeof numbers, "] %lld/%lld  loss %.4f  acc %.1f%%  %s samples/s  ETA %s",
                static_cast<long long>(done), static_cast<long long>(state.total), state.loss, 100.0 * state.accuracy,
                format_count(state.samples_per_second).c_str(), format_duration(eta).c_str());
  return state.label + " [" + bar + numbers;
  // END SOLUTION
}

ProgressBar::ProgressBar(std::FILE* stream) : ProgressBar(stream, stream != nullptr && isatty(fileno(stream)) == 1) {}

ProgressBar::ProgressBar(std::FILE* stream, bool enabled) : stream_(stream), enabled_(enabled && stream != nullptr) {}

void ProgressBar::update(const ProgressState& state) {
  if (!enabled_) return;
  constexpr auto kMinRedrawInterval = std::chrono::milliseconds(100);  // at most 10 redraws a second
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && state.done < state.total && now - last_draw_ < kMinRedrawInterval) return;
  const std::string line = format_progress_line(state);
  // Pad with spaces to cover a longer previous line; "\r" returns to its start.
  const std::size_t padding = last_length_ > line.size() ? last_length_ - line.size() : 0;
  std::fprintf(stream_, "\r%s%*s", line.c_str(), static_cast<int>(padding), "");
  std::fflush(stream_);
  drawn_ = true;
  last_length_ = line.size();
  last_draw_ = now;
}

void ProgressBar::clear() {
  if (!enabled_ || !drawn_) return;
  std::fprintf(stream_, "\r%*s\r", static_cast<int>(last_length_), "");
  std::fflush(stream_);
  drawn_ = false;
  last_length_ = 0;
}

}  // namespace tinytorch
