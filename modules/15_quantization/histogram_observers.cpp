// histogram_observers.cpp — percentile, entropy (KL) and MSE calibration over a histogram of |x|.
//
// Everything here works in units of bins: AbsHistogram turns batches into counts
// of |x| over `bins` equal bins of [0, upper], the three threshold rules pick
// `kept` (the threshold is T = kept · w, w = upper / bins), and the observers turn
// T into a clip range, the seen [min, max] clamped to [−T, T], for choose_qparams.
// See histogram_observers.hpp for the definitions and where they come from.
#include "tinytorch/perf/histogram_observers.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "tinytorch/perf/quantize.hpp"

namespace tinytorch {
namespace {

// Every rule needs a non-empty histogram of finite, non-negative counts.
void check_counts(const std::vector<double>& counts, const char* operation) {
  if (counts.empty()) throw ValueError(fmt::format("{}: the histogram has no bins; expected >= 1 bin", operation));
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (!(counts[i] >= 0.0) || !std::isfinite(counts[i])) {
      throw ValueError(fmt::format("{}: counts[{}] = {}; expected a finite count >= 0", operation, i, counts[i]));
    }
  }
}

}  // namespace

// ---- AbsHistogram ------------------------------------------------------------------------

AbsHistogram::AbsHistogram(int64_t bins) {
  if (bins < 1) throw ValueError(fmt::format("AbsHistogram: bins = {}; expected >= 1", bins));
  counts_.assign(static_cast<std::size_t>(bins), 0.0);
}

double AbsHistogram::total() const {
  double sum = 0.0;
  for (double count : counts_) sum += count;
  return sum;
}

void AbsHistogram::add(const Tensor& batch) {
  const Tensor values = batch.contiguous();
  const float* data = values.data<float>();  // DTypeError unless float32
  const int64_t n = values.numel();

  // Pass 1: the largest |x|, and whether every value is finite (|x| ≤ FLT_MAX is
  // false for NaN and ±Inf). check_finite then names the offending element.
  float max_abs = 0.0f;
  bool all_finite = true;
  for (int64_t i = 0; i < n; ++i) {
    const float magnitude = std::fabs(data[i]);
    all_finite &= magnitude <= FLT_MAX;
    max_abs = magnitude > max_abs ? magnitude : max_abs;
  }
  if (!all_finite) {
    check_finite(values, "AbsHistogram::add");
    throw ValueError("AbsHistogram::add: the batch holds NaN or Inf; expected finite values");
  }

  // BEGIN SOLUTION
  const auto bins = static_cast<std::size_t>(this->bins());
  if (upper_ == 0.0) {
    // Nothing but zeros so far: they all sit in bin 0 whatever the width, so the
    // first non-zero batch may set the range to exactly its max |x|.
    upper_ = max_abs;
  }
  while (max_abs > upper_) {
    // Double the width: new bin k covers old bins 2k and 2k+1.
    for (std::size_t k = 0; k < bins; ++k) {
      const std::size_t left = 2 * k, right = 2 * k + 1;
      counts_[k] = (left < bins ? counts_[left] : 0.0) + (right < bins ? counts_[right] : 0.0);
    }
    upper_ *= 2.0;
  }
  if (upper_ == 0.0) {  // an all-zero batch on an empty range: every value is in bin 0
    counts_[0] += static_cast<double>(n);
    return;
  }
  // Pass 2: bin = ⌊|x| / w⌋, with |x| = upper (the max itself) in the last bin.
  const double bins_per_unit = static_cast<double>(bins) / upper_;
  const std::size_t last = bins - 1;
  for (int64_t i = 0; i < n; ++i) {
    const auto bin = static_cast<std::size_t>(std::fabs(data[i]) * bins_per_unit);
    counts_[std::min(bin, last)] += 1.0;
  }
  // END SOLUTION
}

// ---- the threshold rules ------------------------------------------------------------------

int64_t percentile_threshold_bins(const std::vector<double>& counts, double percentile) {
  check_counts(counts, "percentile_threshold_bins");
  if (!(percentile > 0.0 && percentile <= 100.0)) {
    throw ValueError(
        fmt::format("percentile_threshold_bins: percentile = {}; expected 0 < percentile <= 100", percentile));
  }
  // BEGIN SOLUTION
  double total = 0.0;
  for (double count : counts) total += count;
  // percentile · total first, then / 100: exact for whole numbers (90 · 100 / 100 = 90).
  const double target = percentile * total / 100.0;
  const auto bins = static_cast<int64_t>(counts.size());
  double below = 0.0;  // Σ_{i<kept} counts[i]
  for (int64_t kept = 0; kept < bins; ++kept) {
    if (below >= target) return kept;
    below += counts[static_cast<std::size_t>(kept)];
  }
  return bins;  // p = 100 (or rounding) reaches the last bin
  // END SOLUTION
}

namespace {

// KL(P ‖ Q) of one entropy candidate (see entropy_threshold_bins in the header).
// `histogram` already has bin 0 replaced; `outliers` = Σ_{i ≥ kept} histogram[i].
// NaN when nothing lies below `kept` (Q has no mass), +∞ when P has mass where Q has none.
// group_total / group_nonempty are scratch space of quantized_bins entries.
[[maybe_unused]] double candidate_divergence(const std::vector<double>& histogram, int64_t kept, int64_t quantized_bins, double outliers,
                            std::vector<double>& group_total, std::vector<int64_t>& group_nonempty) {
  // BEGIN SOLUTION
  std::fill(group_total.begin(), group_total.end(), 0.0);
  std::fill(group_nonempty.begin(), group_nonempty.end(), 0);
  const auto group_of = [&](int64_t j) { return static_cast<std::size_t>(j * quantized_bins / kept); };

  // Q before expansion: each group's total and its number of non-empty bins.
  double below = 0.0;  // Σ_{j<kept} histogram[j] = Σ Q
  for (int64_t j = 0; j < kept; ++j) {
    const double count = histogram[static_cast<std::size_t>(j)];
    if (count == 0.0) continue;
    group_total[group_of(j)] += count;
    group_nonempty[group_of(j)] += 1;
    below += count;
  }
  if (below == 0.0) return std::numeric_limits<double>::quiet_NaN();

  const double p_total = below + outliers;  // Σ P: the outliers are folded in, not dropped
  const double q_total = below;
  double divergence = 0.0;
  for (int64_t j = 0; j < kept; ++j) {
    const double count = histogram[static_cast<std::size_t>(j)];
    const double p_count = j == kept - 1 ? count + outliers : count;
    if (p_count == 0.0) continue;                                      // 0 · log(0 / q) = 0
    if (count == 0.0) return std::numeric_limits<double>::infinity();  // p > 0 = q
    // Q expanded: the group's total shared by its non-empty bins.
    const std::size_t group = group_of(j);
    const double q_count = group_total[group] / static_cast<double>(group_nonempty[group]);
    const double p = p_count / p_total, q = q_count / q_total;
    divergence += p * std::log(p / q);
  }
  return divergence;
  // END SOLUTION
}

}  // namespace

int64_t entropy_threshold_bins(const std::vector<double>& counts, int64_t quantized_bins, int64_t start_bin) {
  check_counts(counts, "entropy_threshold_bins");
  const auto bins = static_cast<int64_t>(counts.size());
  if (bins < 2 || quantized_bins < 1 || start_bin < 1 || start_bin > bins) {
    throw ValueError(
        fmt::format("entropy_threshold_bins: bins = {}, quantized_bins = {}, start_bin = {}; "
                    "expected bins >= 2, quantized_bins >= 1 and 1 <= start_bin <= bins",
                    bins, quantized_bins, start_bin));
  }
  // BEGIN SOLUTION
  // Bin 0 holds the exact zeros: NVIDIA's code replaces it by its neighbour.
  std::vector<double> histogram = counts;
  histogram[0] = histogram[1];

  // at_or_above[k] = Σ_{i ≥ k} histogram[i]: the outliers that candidate k folds into P.
  std::vector<double> at_or_above(static_cast<std::size_t>(bins) + 1, 0.0);
  for (int64_t i = bins - 1; i >= 0; --i) {
    at_or_above[static_cast<std::size_t>(i)] =
        at_or_above[static_cast<std::size_t>(i) + 1] + histogram[static_cast<std::size_t>(i)];
  }

  std::vector<double> group_total(static_cast<std::size_t>(quantized_bins));
  std::vector<int64_t> group_nonempty(static_cast<std::size_t>(quantized_bins));
  int64_t best_kept = bins;
  double best_divergence = std::numeric_limits<double>::infinity();
  for (int64_t kept = start_bin; kept <= bins; ++kept) {
    const double divergence = candidate_divergence(
        histogram, kept, quantized_bins, at_or_above[static_cast<std::size_t>(kept)], group_total, group_nonempty);
    // `<=`: the last minimum wins, as in NVIDIA's reversed argmin. NaN never compares true: skipped.
    if (divergence <= best_divergence) {
      best_divergence = divergence;
      best_kept = kept;
    }
  }
  return best_kept;
  // END SOLUTION
}

int64_t mse_threshold_bins(const std::vector<double>& counts, double bin_width, int64_t levels) {
  check_counts(counts, "mse_threshold_bins");
  if (!(bin_width >= 0.0) || !std::isfinite(bin_width) || levels < 1) {
    throw ValueError(
        fmt::format("mse_threshold_bins: bin_width = {}, levels = {}; expected a finite bin_width >= 0 "
                    "and levels >= 1",
                    bin_width, levels));
  }
  // BEGIN SOLUTION
  const auto bins = static_cast<int64_t>(counts.size());
  std::vector<int64_t> nonempty;  // only bins with data add to the error
  for (int64_t b = 0; b < bins; ++b) {
    if (counts[static_cast<std::size_t>(b)] > 0.0) nonempty.push_back(b);
  }
  const auto max_level = static_cast<double>(levels);
  int64_t best_kept = 1;
  double best_error = std::numeric_limits<double>::infinity();
  for (int64_t kept = 1; kept <= bins; ++kept) {
    const double step = static_cast<double>(kept) * bin_width / max_level;  // s = T / levels
    double error = 0.0;
    for (int64_t b : nonempty) {
      const double centre = (static_cast<double>(b) + 0.5) * bin_width;
      // Q(c) = s · min(round(c / s), levels); nearbyint rounds half to even. (s = 0 only when w = 0.)
      const double level = step > 0.0 ? std::min(std::nearbyint(centre / step), max_level) : 0.0;
      const double diff = centre - step * level;
      error += counts[static_cast<std::size_t>(b)] * diff * diff;
    }
    if (error < best_error) {  // strict: the smallest kept on ties
      best_error = error;
      best_kept = kept;
    }
  }
  return best_kept;
  // END SOLUTION
}

// ---- the observers ------------------------------------------------------------------------

namespace {

// T = kept · w, but never above the largest |x| seen: after a doubling the top
// bins may lie beyond every value.
double threshold_of(const Observer& observer, const AbsHistogram& histogram, int64_t kept) {
  // BEGIN SOLUTION
  const double largest = std::max(std::fabs(static_cast<double>(observer.min_seen())),
                                  std::fabs(static_cast<double>(observer.max_seen())));
  return std::min(static_cast<double>(kept) * histogram.bin_width(), largest);
  // END SOLUTION
}

// The clip rule: the seen range clipped to [−T, T]. With no negative value seen
// it lies in [0, T] and choose_qparams' widening to 0 makes it [0, ≤T]; with
// negatives it is [−T, T] cut to what was seen. Symmetric specs then take a = T.
QParams clipped_qparams(const Observer& observer, double threshold, const QuantSpec& spec) {
  // BEGIN SOLUTION
  const auto limit = static_cast<float>(threshold);
  const float lo = std::clamp(observer.min_seen(), -limit, limit);
  const float hi = std::clamp(observer.max_seen(), -limit, limit);
  return choose_qparams(lo, hi, spec);
  // END SOLUTION
}

void require_per_tensor(const QuantSpec& spec, const char* operation) {
  if (spec.per_channel) {
    throw ValueError(
        fmt::format("{}: got a per-channel spec (axis {}); the histogram observers give one range "
                    "per tensor — use PerChannelMinMaxObserver for per-channel weights",
                    operation, spec.axis));
  }
}

}  // namespace

PercentileObserver::PercentileObserver(double percentile, int64_t bins) : percentile_(percentile), histogram_(bins) {
  if (!(percentile > 0.0 && percentile <= 100.0)) {
    throw ValueError(fmt::format("PercentileObserver: percentile = {}; expected 0 < percentile <= 100", percentile));
  }
}

void PercentileObserver::observe(const Tensor& batch) {
  record_batch(batch, "PercentileObserver::observe");
  histogram_.add(batch);
}

double PercentileObserver::threshold() const {
  require_data("PercentileObserver::threshold");
  return threshold_of(*this, histogram_, percentile_threshold_bins(histogram_.counts(), percentile_));
}

QParams PercentileObserver::compute_qparams(const QuantSpec& spec) const {
  require_data("PercentileObserver::compute_qparams");
  require_per_tensor(spec, "PercentileObserver::compute_qparams");
  return clipped_qparams(*this, threshold(), spec);
}

EntropyObserver::EntropyObserver(int64_t bins, int64_t quantized_bins, int64_t start_bin)
    : quantized_bins_(quantized_bins), start_bin_(start_bin), histogram_(bins) {
  if (bins < 2 || quantized_bins < 1 || start_bin < 1 || start_bin > bins) {
    throw ValueError(
        fmt::format("EntropyObserver: bins = {}, quantized_bins = {}, start_bin = {}; expected "
                    "bins >= 2, quantized_bins >= 1 and 1 <= start_bin <= bins",
                    bins, quantized_bins, start_bin));
  }
}

void EntropyObserver::observe(const Tensor& batch) {
  record_batch(batch, "EntropyObserver::observe");
  histogram_.add(batch);
}

double EntropyObserver::threshold() const {
  require_data("EntropyObserver::threshold");
  return threshold_of(*this, histogram_, entropy_threshold_bins(histogram_.counts(), quantized_bins_, start_bin_));
}

QParams EntropyObserver::compute_qparams(const QuantSpec& spec) const {
  require_data("EntropyObserver::compute_qparams");
  require_per_tensor(spec, "EntropyObserver::compute_qparams");
  return clipped_qparams(*this, threshold(), spec);
}

MSEObserver::MSEObserver(int64_t bins) : histogram_(bins) {}

void MSEObserver::observe(const Tensor& batch) {
  record_batch(batch, "MSEObserver::observe");
  histogram_.add(batch);
}

double MSEObserver::threshold(const QuantSpec& spec) const {
  require_data("MSEObserver::threshold");
  // BEGIN SOLUTION
  // How many grid steps cover [0, T]: the whole grid when an affine range starts
  // at 0, else the positive half of it (the other half covers [−T, 0]).
  const QuantRange range = quant_range(spec.dtype, spec.narrow_range);
  const int64_t width = static_cast<int64_t>(range.max) - range.min;
  const bool only_positive = min_seen() >= 0.0f && spec.scheme == QScheme::Affine;
  const int64_t levels = only_positive ? width : width / 2;
  return threshold_of(*this, histogram_, mse_threshold_bins(histogram_.counts(), histogram_.bin_width(), levels));
  // END SOLUTION
}

QParams MSEObserver::compute_qparams(const QuantSpec& spec) const {
  require_data("MSEObserver::compute_qparams");
  require_per_tensor(spec, "MSEObserver::compute_qparams");
  return clipped_qparams(*this, threshold(spec), spec);
}

}  // namespace tinytorch
