// histogram_observers.hpp — Module 15: calibration methods that look at the whole distribution.
//
// Min-max calibration lets one outlier set the range: if one activation in a
// million is 20 and the rest are below 2, min-max spends 90% of the 255 levels
// on values that almost never occur, and the common values get a coarse grid.
// Clipping the rare outliers (they saturate at the edge) buys a finer grid for
// everything else. Where to clip is a trade-off each method settles differently.
// All three collect a histogram of |x| over every batch:
//
//   AbsHistogram: `bins` equal bins over [0, upper]. The first batch with a
//   non-zero value sets upper = max |x|; when a later batch holds a value above
//   `upper`, the bin width doubles (neighbouring bins merge in pairs) until it
//   fits, so one pass over the data suffices and the bin count stays fixed.
//   (NVIDIA's pytorch-quantization keeps the width and appends bins instead; a
//   fixed count keeps TensorRT's candidate range, bins 128 to 2048, meaningful.)
//
// Each chooses a threshold T (a bin edge, never above the largest |x| seen) and
// clips to [−T, T] — to [0, T] when no negative value was seen (inputs after
// ReLU, pixels). Both are one rule: the seen range, clipped to [−T, T], is
//   [clamp(min_seen, −T, T), clamp(max_seen, −T, T)]
// and choose_qparams widens it to contain 0, so an affine spec spends no levels
// on values never seen and a symmetric spec takes a = T.
//
//   percentile  T = the p-th percentile of |x| (p = 99.99 by default): the edge
//               where the cumulative count first reaches p% of all values.
//   entropy     TensorRT's KL-divergence calibration (Migacz, "8-bit Inference
//               with TensorRT", GTC 2017), see entropy_threshold_bins below.
//   mse         T minimising the expected squared error of quantize-dequantize
//               over the histogram: Σ_bins count(b) · (c_b − Q(c_b; T))², with
//               c_b the bin centre and Q the round trip with the range set by T.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/perf/observer.hpp"

namespace tinytorch {

// The |x| histogram the three observers share.
class AbsHistogram {
 public:
  explicit AbsHistogram(int64_t bins = 2048);  // bins ≥ 1 (ValueError)
  // Counts |x| of every element: float32 (DTypeError), finite (ValueError naming
  // the element). Two streaming passes (max |x|, then counting), no allocation
  // for a contiguous batch.
  void add(const Tensor& batch);
  int64_t bins() const { return static_cast<int64_t>(counts_.size()); }
  double upper() const { return upper_; }  // the right edge of the last bin
  double bin_width() const { return upper_ / static_cast<double>(bins()); }
  const std::vector<double>& counts() const { return counts_; }
  double total() const;

 private:
  std::vector<double> counts_;
  double upper_ = 0.0;
};

// ---- the threshold rules, as pure functions of a histogram -------------------------
// counts[i] counts |x| in [i·w, (i+1)·w). Each returns `kept`, the number of bins
// below the threshold, so the threshold is T = kept · w. Counts must be finite and
// ≥ 0 (ValueError).

// The smallest `kept` with Σ_{i<kept} counts[i] ≥ (percentile/100) · Σ counts,
// percentile in (0, 100]: the right edge of the bin where the cumulative count
// reaches p%. (NVIDIA's _compute_amax_percentile returns that bin's left edge,
// one bin lower.)
int64_t percentile_threshold_bins(const std::vector<double>& counts, double percentile);

// TensorRT's entropy calibration, as NVIDIA's pytorch-quantization implements it
// (calib/histogram.py, _compute_amax_entropy). First counts[0] is replaced by
// counts[1]: bin 0 holds the exact zeros (ReLU outputs, padding), a spike that
// any grid represents exactly and that says nothing about where to clip. Then,
// for each candidate kept = start_bin, ..., bins (bins included, as in NVIDIA's
// code; the slides' range(128, 2048) stops one short):
//   P = counts[0 .. kept), with every count at or above `kept` added to P[kept−1]
//       (the outliers are clipped to the threshold);
//   Q = counts[0 .. kept) merged into `quantized_bins` groups — bin j joins group
//       ⌊j · quantized_bins / kept⌋ — and each group's total spread evenly over
//       the group's non-empty bins (bins empty in counts stay 0 in Q);
//   divergence = KL(P ‖ Q) = Σ_i p_i · log(p_i / q_i) over normalised P, Q
//       (terms with p_i = 0 add 0; p_i > 0 = q_i, the empty last bin under
//       folded outliers, makes it +∞).
// Returns the `kept` with the smallest divergence, the LAST one on ties (NVIDIA
// takes argmin over the reversed list). The threshold is the right edge of the
// last kept bin, T = kept·w (NVIDIA's calib_bin_edges[kept]; the slides write
// (m + 0.5)·w for their index m). A candidate with nothing below `kept` has no Q
// and is skipped (NVIDIA's code computes NaN there, which numpy's argmin picks);
// if every candidate is skipped the result is `bins`.
// The defaults are TensorRT's: 2048 bins, 128 quantized levels (int8
// magnitudes), start at bin 128. Needs bins ≥ 2, 1 ≤ start_bin ≤ bins,
// quantized_bins ≥ 1 (ValueError). Cost: O(bins²) — about 2M steps for 2048 bins.
int64_t entropy_threshold_bins(const std::vector<double>& counts, int64_t quantized_bins = 128,
                               int64_t start_bin = 128);

// The `kept` in [1, bins] minimising Σ_b counts[b] · (c_b − Q(c_b))², where
// c_b = (b + ½)·w is bin b's centre and Q quantizes to `levels` steps over
// [0, kept·w] with clamping:  Q(c) = s · min(round(c / s), levels),  s = kept·w / levels
// (round half to even, as in quantize). The smallest `kept` on ties.
// levels = 127 for int8 symmetric magnitudes; 255 for an unsigned range.
// Needs bin_width ≥ 0, levels ≥ 1 (ValueError). Cost: O(bins · non-empty bins).
int64_t mse_threshold_bins(const std::vector<double>& counts, double bin_width, int64_t levels);

// ---- the observers ---------------------------------------------------------------------
// Per tensor only: compute_qparams with spec.per_channel is a ValueError. threshold()
// and compute_qparams before any batch are ValueErrors ("no calibration data").
class PercentileObserver : public Observer {
 public:
  // percentile in (0, 100] (ValueError otherwise).
  explicit PercentileObserver(double percentile = 99.99, int64_t bins = 2048);
  void observe(const Tensor& batch) override;
  QParams compute_qparams(const QuantSpec& spec) const override;
  std::string name() const override { return "percentile"; }
  std::unique_ptr<Observer> clone() const override { return std::make_unique<PercentileObserver>(*this); }
  double threshold() const;  // T for what was observed so far
  const AbsHistogram& histogram() const { return histogram_; }

 private:
  double percentile_;
  AbsHistogram histogram_;
};

class EntropyObserver : public Observer {
 public:
  explicit EntropyObserver(int64_t bins = 2048, int64_t quantized_bins = 128, int64_t start_bin = 128);
  void observe(const Tensor& batch) override;
  QParams compute_qparams(const QuantSpec& spec) const override;
  std::string name() const override { return "entropy"; }
  std::unique_ptr<Observer> clone() const override { return std::make_unique<EntropyObserver>(*this); }
  double threshold() const;
  const AbsHistogram& histogram() const { return histogram_; }

 private:
  int64_t quantized_bins_;
  int64_t start_bin_;
  AbsHistogram histogram_;
};

class MSEObserver : public Observer {
 public:
  explicit MSEObserver(int64_t bins = 2048);
  void observe(const Tensor& batch) override;
  QParams compute_qparams(const QuantSpec& spec) const override;
  std::string name() const override { return "mse"; }
  std::unique_ptr<Observer> clone() const override { return std::make_unique<MSEObserver>(*this); }
  // T for `spec`: the number of levels depends on the integer type and scheme —
  // q_max − q_min over [0, T] for an affine spec when no negative value was seen,
  // (q_max − q_min) / 2 (rounded down) for the positive half otherwise.
  double threshold(const QuantSpec& spec) const;
  const AbsHistogram& histogram() const { return histogram_; }

 private:
  AbsHistogram histogram_;
};

}  // namespace tinytorch
