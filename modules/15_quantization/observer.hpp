// observer.hpp — Module 15: observers watch real data and choose the range to quantize.
//
// Weights are known when we quantize, so their range is simply their min and
// max. Activations (the inputs of each layer) depend on the data: to fix their
// (scale, zero point) ahead of time — "static" quantization — we run a few
// batches of representative data through the FP32 model and let an observer
// watch each layer's input. This is calibration:
//
//   observer.observe(batch_1); observer.observe(batch_2); ...
//   QParams p = observer.compute_qparams(spec);
//
// The observers differ only in how they turn what they saw into a clip range
// [lo, hi] (then (3)/(4) of qparams.hpp give s and z):
//
//   MinMaxObserver            lo = min over all batches, hi = max                 (exact cover)
//   MovingAverageMinMax       lo ← (1−c)·lo + c·min(batch), same for hi, c = 0.01  (robust to one odd batch)
//   PerChannelMinMaxObserver  one (lo, hi) per index along an axis               (weights, per channel)
//   the histogram observers (histogram_observers.hpp): percentile, entropy (KL), MSE
//
// Every observer rejects a batch holding NaN or ±Inf (ValueError naming the batch
// and element), and compute_qparams before any batch is a ValueError ("no
// calibration data"): both would otherwise produce a silent garbage scale.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tinytorch/core/tensor.hpp"
#include "tinytorch/perf/qparams.hpp"

namespace tinytorch {

class Observer {
 public:
  virtual ~Observer() = default;
  // Watches one batch (float32, any shape).
  virtual void observe(const Tensor& batch) = 0;
  // The parameters for what has been observed so far.
  virtual QParams compute_qparams(const QuantSpec& spec) const = 0;
  // "minmax", "moving_average", "per_channel_minmax", "percentile", "entropy", "mse"
  virtual std::string name() const = 0;
  virtual std::unique_ptr<Observer> clone() const = 0;

  int64_t batches_seen() const { return batches_seen_; }
  // The smallest and largest value seen in any batch (ValueError before any batch).
  float min_seen() const;
  float max_seen() const;

 protected:
  // Checks `batch` (float32, non-empty, finite) for `operation` and updates the
  // count and the running min/max. Every observe() starts with it.
  void record_batch(const Tensor& batch, const char* operation);
  // ValueError "<operation>: no calibration data" when no batch was observed.
  void require_data(const char* operation) const;

 private:
  int64_t batches_seen_ = 0;
  float min_seen_ = 0.0f;
  float max_seen_ = 0.0f;
};

class MinMaxObserver : public Observer {
 public:
  void observe(const Tensor& batch) override;
  QParams compute_qparams(const QuantSpec& spec) const override;
  std::string name() const override { return "minmax"; }
  std::unique_ptr<Observer> clone() const override { return std::make_unique<MinMaxObserver>(*this); }
};

class MovingAverageMinMaxObserver : public Observer {
 public:
  // momentum c in (0, 1]: the weight of the newest batch. The first batch sets lo, hi directly.
  explicit MovingAverageMinMaxObserver(float momentum = 0.01f);
  void observe(const Tensor& batch) override;
  QParams compute_qparams(const QuantSpec& spec) const override;
  std::string name() const override { return "moving_average"; }
  std::unique_ptr<Observer> clone() const override { return std::make_unique<MovingAverageMinMaxObserver>(*this); }
  float momentum() const { return momentum_; }
  float average_min() const { return average_min_; }
  float average_max() const { return average_max_; }

 private:
  float momentum_;
  float average_min_ = 0.0f;
  float average_max_ = 0.0f;
};

// One (min, max) per index along `axis` (a Linear weight (out, in): axis 0, one
// per output neuron). compute_qparams needs spec.per_channel with spec.axis == axis.
class PerChannelMinMaxObserver : public Observer {
 public:
  explicit PerChannelMinMaxObserver(int64_t axis = 0);
  void observe(const Tensor& batch) override;
  QParams compute_qparams(const QuantSpec& spec) const override;
  std::string name() const override { return "per_channel_minmax"; }
  std::unique_ptr<Observer> clone() const override { return std::make_unique<PerChannelMinMaxObserver>(*this); }
  const std::vector<float>& channel_min() const { return channel_min_; }
  const std::vector<float>& channel_max() const { return channel_max_; }

 private:
  int64_t axis_;
  std::vector<float> channel_min_;
  std::vector<float> channel_max_;
};

}  // namespace tinytorch
