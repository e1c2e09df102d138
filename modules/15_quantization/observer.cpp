// observer.cpp — Module 15: min-max observers (see observer.hpp).
#include "tinytorch/perf/observer.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "tinytorch/core/error.hpp"
#include "tinytorch/perf/quantize.hpp"

namespace tinytorch {

// ---- the base: every batch is checked and its range recorded ---------------------------

void Observer::record_batch(const Tensor& batch, const char* operation) {
  if (!batch.defined() || batch.dtype() != DType::Float32) {
    throw DTypeError(fmt::format("{}: calibration batch {} is {}; expected a float32 tensor", operation,
                                 batches_seen_ + 1, batch.defined() ? dtype_name(batch.dtype()) : "undefined"));
  }
  if (batch.numel() == 0) {
    throw ShapeError(fmt::format("{}: calibration batch {} of shape {} is empty", operation, batches_seen_ + 1,
                                 shape_str(batch.shape())));
  }
  // One pass: the range of the batch, and the first NaN/Inf if there is one.
  const Tensor values = batch.contiguous();
  const float* data = values.data<float>();
  float lo = data[0];
  float hi = data[0];
  for (int64_t i = 0; i < values.numel(); ++i) {
    if (!std::isfinite(data[i])) {
      throw ValueError(fmt::format("{}: calibration batch {} of shape {}: element {} is {}; expected finite values "
                                   "(one NaN or Inf would make the range, and every scale, meaningless)",
                                   operation, batches_seen_ + 1, shape_str(batch.shape()), i, data[i]));
    }
    lo = std::min(lo, data[i]);
    hi = std::max(hi, data[i]);
  }
  // BEGIN SOLUTION
  min_seen_ = batches_seen_ == 0 ? lo : std::min(min_seen_, lo);
  max_seen_ = batches_seen_ == 0 ? hi : std::max(max_seen_, hi);
  // END SOLUTION
  ++batches_seen_;
}

void Observer::require_data(const char* operation) const {
  if (batches_seen_ == 0) {
    throw ValueError(std::string(operation) +
                     ": no calibration data — observe() at least one batch before asking for parameters");
  }
}

float Observer::min_seen() const {
  require_data("Observer::min_seen");
  return min_seen_;
}

float Observer::max_seen() const {
  require_data("Observer::max_seen");
  return max_seen_;
}

namespace {

void require_per_tensor(const QuantSpec& spec, const std::string& observer) {
  if (spec.per_channel) {
    throw ValueError("compute_qparams: the " + observer +
                     " observer gives one range per tensor; a per-channel spec needs PerChannelMinMaxObserver");
  }
}

}  // namespace

// ---- min-max --------------------------------------------------------------------------------

void MinMaxObserver::observe(const Tensor& batch) { record_batch(batch, "MinMaxObserver::observe"); }

QParams MinMaxObserver::compute_qparams(const QuantSpec& spec) const {
  require_data("MinMaxObserver::compute_qparams");
  require_per_tensor(spec, name());
  // BEGIN SOLUTION
  return choose_qparams(min_seen(), max_seen(), spec);
  // END SOLUTION
}

// ---- moving-average min-max ----------------------------------------------------------------

MovingAverageMinMaxObserver::MovingAverageMinMaxObserver(float momentum) : momentum_(momentum) {
  if (!(momentum > 0.0f && momentum <= 1.0f)) {
    throw ValueError(fmt::format("MovingAverageMinMaxObserver: momentum {}; expected a value in (0, 1]", momentum));
  }
}

void MovingAverageMinMaxObserver::observe(const Tensor& batch) {
  record_batch(batch, "MovingAverageMinMaxObserver::observe");
  // BEGIN SOLUTION
  const bool first = batches_seen() == 1;  // record_batch has counted this batch
  const Tensor values = batch.contiguous();
  const auto [lo, hi] = std::minmax_element(values.data<float>(), values.data<float>() + values.numel());
  // lo ← (1 − c)·lo + c·min(batch): an exponential moving average; the first batch starts it.
  if (first) {
    average_min_ = *lo;
    average_max_ = *hi;
  } else {
    average_min_ = (1.0f - momentum_) * average_min_ + momentum_ * *lo;
    average_max_ = (1.0f - momentum_) * average_max_ + momentum_ * *hi;
  }
  // END SOLUTION
}

QParams MovingAverageMinMaxObserver::compute_qparams(const QuantSpec& spec) const {
  require_data("MovingAverageMinMaxObserver::compute_qparams");
  require_per_tensor(spec, name());
  return choose_qparams(average_min_, average_max_, spec);
}

// ---- per channel ------------------------------------------------------------------------------

PerChannelMinMaxObserver::PerChannelMinMaxObserver(int64_t axis) : axis_(axis) {
  if (axis < 0) throw ValueError(fmt::format("PerChannelMinMaxObserver: axis {}; expected an axis >= 0", axis));
}

void PerChannelMinMaxObserver::observe(const Tensor& batch) {
  const char* operation = "PerChannelMinMaxObserver::observe";
  if (batch.defined() && axis_ >= batch.dim()) {
    throw ShapeError(fmt::format("{}: channel axis {} for a batch of shape {}; expected an axis in [0, {})", operation,
                                 axis_, shape_str(batch.shape()), batch.dim()));
  }
  if (batches_seen() > 0 && batch.defined() && batch.size(axis_) != static_cast<int64_t>(channel_min_.size())) {
    throw ShapeError(fmt::format("{}: batch of shape {} has {} channels along axis {}; earlier batches had {}",
                                 operation, shape_str(batch.shape()), batch.size(axis_), axis_, channel_min_.size()));
  }
  record_batch(batch, operation);
  // BEGIN SOLUTION
  const bool first = batches_seen() == 1;  // record_batch has counted this batch
  const Tensor values = batch.contiguous();
  const float* data = values.data<float>();
  const int64_t channels = values.size(axis_);
  if (first) {
    channel_min_.assign(static_cast<std::size_t>(channels), INFINITY);
    channel_max_.assign(static_cast<std::size_t>(channels), -INFINITY);
  }
  for_each_channel_run(values.shape(), axis_, [&](int64_t channel, int64_t begin, int64_t end) {
    const auto c = static_cast<std::size_t>(channel);
    float run_min = channel_min_[c];
    float run_max = channel_max_[c];
    for (int64_t i = begin; i < end; ++i) {
      run_min = std::min(run_min, data[i]);
      run_max = std::max(run_max, data[i]);
    }
    channel_min_[c] = run_min;
    channel_max_[c] = run_max;
  });
  // END SOLUTION
}

QParams PerChannelMinMaxObserver::compute_qparams(const QuantSpec& spec) const {
  require_data("PerChannelMinMaxObserver::compute_qparams");
  if (!spec.per_channel || spec.axis != axis_) {
    throw ValueError(fmt::format("PerChannelMinMaxObserver::compute_qparams: observer of axis {} asked for {}; "
                                 "expected a per-channel spec along axis {}",
                                 axis_, spec.per_channel ? fmt::format("axis {}", spec.axis) : "a per-tensor spec",
                                 axis_));
  }
  return choose_qparams_per_channel(channel_min_, channel_max_, spec);
}

}  // namespace tinytorch
