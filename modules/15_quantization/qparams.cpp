// qparams.cpp — Module 15: choosing scale and zero point (see qparams.hpp).
#include "tinytorch/perf/qparams.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "tinytorch/core/error.hpp"

namespace tinytorch {

QuantRange quant_range(QDType dtype, bool narrow_range) {
  QuantRange range;
  switch (dtype) {
    case QDType::Int8: range = {-128, 127}; break;
    case QDType::UInt8: range = {0, 255}; break;
    case QDType::Int4: range = {-8, 7}; break;
  }
  if (narrow_range) range.min += 1;
  return range;
}

DType storage_dtype(QDType dtype) { return dtype == QDType::UInt8 ? DType::UInt8 : DType::Int8; }

std::string to_string(QDType dtype) {
  switch (dtype) {
    case QDType::Int8: return "int8";
    case QDType::UInt8: return "uint8";
    case QDType::Int4: return "int4";
  }
  return "?";
}

std::string to_string(QScheme scheme) { return scheme == QScheme::Affine ? "affine" : "symmetric"; }

QDType parse_qdtype(const std::string& name) {
  if (name == "int8") return QDType::Int8;
  if (name == "uint8") return QDType::UInt8;
  if (name == "int4") return QDType::Int4;
  throw ValueError("parse_qdtype: unknown quantized dtype '" + name + "'; expected int8, uint8 or int4");
}

QScheme parse_qscheme(const std::string& name) {
  if (name == "affine" || name == "asymmetric") return QScheme::Affine;
  if (name == "symmetric") return QScheme::Symmetric;
  throw ValueError("parse_qscheme: unknown quantization scheme '" + name + "'; expected affine or symmetric");
}

std::string QParams::to_string() const {
  std::string out = tinytorch::to_string(dtype) + " " + tinytorch::to_string(scheme);
  if (narrow_range) out += " narrow";
  if (per_channel()) return out + fmt::format(" per-channel(axis {}, {} channels)", axis, channels());
  if (scale.empty()) return out + " per-tensor (no parameters)";
  return out + fmt::format(" per-tensor scale={:.6g} zero_point={}", scale[0], zero_point[0]);
}

namespace {

// (s, z) for one range: (3) affine or (4) symmetric of qparams.hpp.
void choose_one(float min, float max, const QuantSpec& spec, float& scale, int32_t& zero_point) {
  if (!std::isfinite(min) || !std::isfinite(max) || min > max) {
    throw ValueError(fmt::format("choose_qparams: range [{}, {}] for {} {}; expected finite min <= max", min, max,
                                 to_string(spec.dtype), to_string(spec.scheme)));
  }
  // BEGIN SOLUTION
  const QuantRange q = quant_range(spec.dtype, spec.narrow_range);
  // Widen the range to contain 0, so that the real value 0 is exactly q = z.
  const double lo = std::min(0.0, static_cast<double>(min));
  const double hi = std::max(0.0, static_cast<double>(max));
  const double levels = static_cast<double>(q.max) - q.min;  // 255 for int8
  if (spec.scheme == QScheme::Symmetric) {
    // (4): s = a / ((q_max − q_min)/2), z = the middle of the integer range.
    const double amax = std::max(-lo, hi);
    scale = static_cast<float>(amax / (levels / 2.0));
    zero_point = static_cast<int32_t>(std::ceil((static_cast<double>(q.min) + q.max) / 2.0));
  } else {
    // (3): s = (max − min)/(q_max − q_min), z = q_min − round(min / s).
    scale = static_cast<float>((hi - lo) / levels);
    if (scale > 0.0f) {
      const double z = q.min - std::nearbyint(lo / static_cast<double>(scale));
      zero_point = static_cast<int32_t>(std::clamp(z, static_cast<double>(q.min), static_cast<double>(q.max)));
    }
  }
  // A range of width 0 (all zeros) or so small that s underflows: any scale
  // represents it; 1 keeps every later division finite.
  if (!(scale >= std::numeric_limits<float>::min())) {
    scale = 1.0f;
    zero_point = spec.scheme == QScheme::Symmetric ? zero_point
                                                   : static_cast<int32_t>(std::ceil((q.min + q.max) / 2.0));
  }
  // END SOLUTION
}

}  // namespace

QParams choose_qparams(float min, float max, const QuantSpec& spec) {
  QParams params;
  params.dtype = spec.dtype;
  params.scheme = spec.scheme;
  params.narrow_range = spec.narrow_range;
  params.axis = -1;
  params.scale.resize(1);
  params.zero_point.resize(1);
  choose_one(min, max, spec, params.scale[0], params.zero_point[0]);
  return params;
}

QParams choose_qparams_per_channel(const std::vector<float>& mins, const std::vector<float>& maxs,
                                   const QuantSpec& spec) {
  if (mins.size() != maxs.size() || mins.empty()) {
    throw ValueError(fmt::format("choose_qparams_per_channel: {} minima and {} maxima; expected the same non-zero "
                                 "number (one per channel)",
                                 mins.size(), maxs.size()));
  }
  if (spec.axis < 0) {
    throw ValueError(fmt::format("choose_qparams_per_channel: axis {}; expected a channel axis >= 0", spec.axis));
  }
  QParams params;
  params.dtype = spec.dtype;
  params.scheme = spec.scheme;
  params.narrow_range = spec.narrow_range;
  params.axis = spec.axis;
  params.scale.resize(mins.size());
  params.zero_point.resize(mins.size());
  for (std::size_t c = 0; c < mins.size(); ++c) choose_one(mins[c], maxs[c], spec, params.scale[c], params.zero_point[c]);
  return params;
}

}  // namespace tinytorch
