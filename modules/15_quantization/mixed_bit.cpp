// mixed_bit.cpp — Module 15: measure each layer's sensitivity, then spend a bit budget (see mixed_bit.hpp).
//
// Three steps, one function each:
//
//   analyze_sensitivity   for every Linear l, two models: l alone lowered to int8 (a static
//                         QuantizedLinear, calibrated by quantize_model itself with every
//                         other Linear in skip_layers) and l alone lowered to int4
//                         (Int4Linear). One pass over the evaluation loader runs the FP32
//                         model and all 2·L lowered models on each batch, so every model
//                         sees the same examples in the same order — the output SQNR
//                         compares logits example by example (accuracy_validator.hpp (1)).
//
//   assign_mixed_bits     b_l ∈ {4, 8} for every layer such that
//                            avg_bits = Σ n_l · bits_l(b_l) / Σ n_l ≤ budget                (1)
//                         with the smallest predicted loss Σ_l loss_l(b_l), where
//                            loss_l(b) = 100 · (fp32_accuracy − accuracy_l(b))   points      (2)
//                         Ties: higher predicted output SQNR — the noise powers of the
//                         layers add up (independent errors, same signal):
//                            SQNR = −10 · log10( Σ_l 10^(−SQNR_l(b_l) / 10) )  dB            (3)
//                         then the lower average. L ≤ 16: all 2^L choices; beyond, greedy.
//
//   build_mixed_bit_model the assignment made real: quantize_model lowers the int8 layers
//                         (every int4 layer still FP32 in skip_layers while it calibrates, so
//                         each observer sees the FP32 activations, and the integer pipeline
//                         links int8 layers that meet), then each int4 layer becomes an
//                         Int4Linear.
//
// Effective bits (what each form really stores per weight; the bias is left out of
// both — it is float32 for int4 and int32 for int8, one per output, a cost per
// neuron rather than per weight):
//
//   int4:  8 · (nibble bytes + 2 · scales) / (N · K)          = 4 + 16/g  when g divides K      (4)
//   int8:  8 · (bytes of q_w + s_w + z_w) / (N · K)           = 8 + 64/K  per channel            (5)
//                                                              = 8 + 64/(N·K) per tensor
#include "tinytorch/perf/mixed_bit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <numeric>
#include <set>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/error.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/metrics.hpp"
#include "tinytorch/perf/accuracy_validator.hpp"
#include "tinytorch/perf/int4_linear.hpp"
#include "tinytorch/perf/layer_selection.hpp"
#include "tinytorch/perf/quantize_model.hpp"
#include "tinytorch/perf/quantized_linear.hpp"
#include "tinytorch/profiling/report.hpp"

namespace tinytorch {

namespace {

using Json = nlohmann::ordered_json;  // keys in the order written

// Up to this many layers every one of the 2^L assignments is tried (65,536 at 16).
constexpr std::size_t kMaxExhaustiveLayers = 16;
// (1) sums doubles: an assignment exactly at the budget (all-int4 at g = 32 is 4.5
// on the nose) may come out a few ulps above it. Allowed within this many bits.
constexpr double kBudgetSlackBits = 1e-9;
// Two predicted losses (sums of multiples of 100/examples), SQNRs or averages closer
// than this are a tie.
constexpr double kTieTolerance = 1e-9;

// ---- the model's Linear layers ------------------------------------------------------------

using LinearAt = IndexedLayer<Linear>;

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "\"" : ", \"") + name + "\"";
  return "[" + out + "]";
}

std::vector<std::string> names_of(const std::vector<LinearAt>& linears) {
  std::vector<std::string> names;
  for (const LinearAt& linear : linears) names.push_back(linear.name);
  return names;
}

// A model whose layers are `base`'s own layer objects (shared, not copied) — a
// lowered model replaces one or a few of them by set(), leaving `base` untouched.
std::shared_ptr<Sequential> sharing_layers_of(const Sequential& base) {
  return std::make_shared<Sequential>(std::vector<std::shared_ptr<Module>>(base.begin(), base.end()));
}

// Lowers the Linear layers named in `int8_names` of `model` (in place) with
// quantize_model: the config's skip_layers becomes every other Linear, so those
// stay FP32 while the observers watch — and stay Linear afterwards.
void lower_to_int8(Sequential& model, const std::vector<LinearAt>& linears, const std::set<std::string>& int8_names,
                   const std::vector<Tensor>& calibration_batches, const QuantConfig& int8_config) {
  if (int8_names.empty()) return;
  QuantConfig config = int8_config;
  config.skip_layers.clear();
  for (const LinearAt& linear : linears) {
    if (int8_names.count(linear.name) == 0) config.skip_layers.push_back(linear.name);
  }
  quantize_model(model, calibration_batches, config);
}

// (5): the int8 form's bytes per weight, from the buffers the QuantizedLinear stores.
double int8_bits_per_weight(const QuantizedLinear& layer) {
  int64_t weight_bytes = 0;
  // BEGIN SOLUTION
  for (const auto& [name, tensor] : layer.named_buffers()) {
    if (name == "weight" || name == "weight_scale" || name == "weight_zero_point") {
      weight_bytes += static_cast<int64_t>(tensor.nbytes());
    }
  }
  // END SOLUTION
  return 8.0 * static_cast<double>(weight_bytes) / static_cast<double>(layer.in_features() * layer.out_features());
}

void check_calibration(const std::vector<Tensor>& calibration_batches, const char* operation) {
  if (calibration_batches.empty()) {
    throw ValueError(fmt::format("{}: got no calibration batches; the int8 layers (static QuantizedLinear) need "
                                 "some to fix their input scale and zero point",
                                 operation));
  }
}

// ---- sensitivity ------------------------------------------------------------------------------

// One model to evaluate: its logits over every example (row-major) and its correct count.
struct Evaluated {
  std::shared_ptr<Sequential> model;
  std::vector<float> logits;
  int64_t correct = 0;

  void run(const Batch& batch) {
    // BEGIN SOLUTION
    const Tensor output = model->forward(batch.inputs).contiguous();
    correct += count_correct(output, batch.labels);
    logits.insert(logits.end(), output.data<float>(), output.data<float>() + output.numel());
    // END SOLUTION
  }
  Tensor all_logits(int64_t examples) const {
    return Tensor::from_values(logits, {examples, static_cast<int64_t>(logits.size()) / examples});
  }
};

}  // namespace

SensitivityReport analyze_sensitivity(const Sequential& fp32_model, const std::vector<Tensor>& calibration_batches,
                                      DataLoader& eval_loader, const MixedBitOptions& options, std::FILE* log) {
  check_calibration(calibration_batches, "analyze_sensitivity");
  check_int4_group_size(options.int4_group_size, "analyze_sensitivity");
  // The FP32 layers, in evaluation mode, shared by every lowered model (none changes them).
  const auto reference = std::dynamic_pointer_cast<Sequential>(fp32_model.clone());
  reference->eval();
  const std::vector<LinearAt> linears = find_layers<Linear>(*reference);
  if (linears.empty()) throw ValueError("analyze_sensitivity: the model has no Linear layer to lower");

  SensitivityReport report;
  report.options = options;
  // models[0]: FP32; then for layer l: models[1 + 2l] int8, models[2 + 2l] int4.
  std::vector<Evaluated> models{{reference, {}, 0}};
  for (const LinearAt& linear : linears) {
    LayerSensitivity row;
    row.name = linear.name;
    row.in_features = linear.layer->in_features();
    row.out_features = linear.layer->out_features();
    row.weights = row.in_features * row.out_features;

    auto int8_model = sharing_layers_of(*reference);
    lower_to_int8(*int8_model, linears, {linear.name}, calibration_batches, options.int8);
    row.int8_bits = int8_bits_per_weight(dynamic_cast<const QuantizedLinear&>(*int8_model->at(linear.index)));

    auto int4_model = sharing_layers_of(*reference);
    auto int4_layer = std::make_shared<Int4Linear>(*linear.layer, options.int4_group_size);
    row.int4_bits = int4_layer->weights().bits_per_weight();  // (4)
    int4_model->set(linear.index, int4_layer);

    models.push_back({int8_model, {}, 0});
    models.push_back({int4_model, {}, 0});
    report.layers.push_back(row);
    if (log != nullptr) {
      fmt::print(log, "sensitivity: layer {} Linear({} -> {}), {} weights: int8 {:.3f} bits, int4 {:.3f} bits\n",
                 row.name, row.in_features, row.out_features, row.weights, row.int8_bits, row.int4_bits);
    }
  }
  for (Evaluated& evaluated : models) evaluated.model->eval();

  // One pass: every model sees each batch, so logits line up example by example.
  {
    NoGradGuard no_grad;
    for (const Batch& batch : eval_loader) {
      for (Evaluated& evaluated : models) evaluated.run(batch);
      report.examples += batch.size();
    }
  }
  if (report.examples == 0) throw ValueError("analyze_sensitivity: the evaluation loader gave no examples");
  if (log != nullptr) {
    fmt::print(log, "sensitivity: evaluated FP32 and {} lowered models on {} examples\n", models.size() - 1,
               report.examples);
  }

  const double examples = static_cast<double>(report.examples);
  report.fp32_accuracy = static_cast<double>(models[0].correct) / examples;
  const Tensor fp32_logits = models[0].all_logits(report.examples);
  for (std::size_t l = 0; l < report.layers.size(); ++l) {
    const Evaluated& int8 = models[1 + 2 * l];
    const Evaluated& int4 = models[2 + 2 * l];
    LayerSensitivity& row = report.layers[l];
    row.int8_accuracy = static_cast<double>(int8.correct) / examples;
    row.int4_accuracy = static_cast<double>(int4.correct) / examples;
    row.int8_sqnr_db = sqnr_db(fp32_logits, int8.all_logits(report.examples));
    row.int4_sqnr_db = sqnr_db(fp32_logits, int4.all_logits(report.examples));
  }
  return report;
}

namespace {

// "38.2 dB", or "exact" when the output did not change at all.
std::string db_text(double db) { return std::isinf(db) ? (db > 0 ? "exact" : "-inf") : fmt::format("{:.1f} dB", db); }

// Percentage points, signed; an unchanged accuracy prints "+0.00" (x − x is +0).
std::string change_text(double accuracy, double fp32_accuracy) {
  return fmt::format("{:+.2f}", 100.0 * accuracy - 100.0 * fp32_accuracy);
}

// JSON has no infinity: an exact output (SQNR +inf) is written as null.
Json db_json(double db) { return std::isfinite(db) ? Json(db) : Json(nullptr); }

}  // namespace

std::string SensitivityReport::to_string() const {
  std::string out = fmt::format("sensitivity on {} examples: FP32 accuracy {:.2f}%; int8 {}, int4 group {}\n",
                                examples, 100.0 * fp32_accuracy, options.int8.short_name(), options.int4_group_size);
  out += fmt::format("{:<6} {:>10} {:>9} | {:>6} {:>7} {:>9} | {:>6} {:>7} {:>9}\n", "layer", "shape", "weights",
                     "int8 b", "change", "SQNR", "int4 b", "change", "SQNR");
  for (const LayerSensitivity& layer : layers) {
    out += fmt::format("{:<6} {:>10} {:>9} | {:>6.3f} {:>7} {:>9} | {:>6.3f} {:>7} {:>9}\n", layer.name,
                       fmt::format("{}x{}", layer.in_features, layer.out_features), with_thousands(layer.weights),
                       layer.int8_bits, change_text(layer.int8_accuracy, fp32_accuracy), db_text(layer.int8_sqnr_db),
                       layer.int4_bits, change_text(layer.int4_accuracy, fp32_accuracy), db_text(layer.int4_sqnr_db));
  }
  out += "(only that layer lowered, every other layer FP32; b: effective bits per weight, bias excluded;\n"
         " change: accuracy vs FP32 in percentage points; SQNR: the model's logits vs the FP32 logits)\n";
  return out;
}

std::string SensitivityReport::to_json() const {
  Json rows = Json::array();
  for (const LayerSensitivity& layer : layers) {
    rows.push_back({{"name", layer.name},
                    {"in_features", layer.in_features},
                    {"out_features", layer.out_features},
                    {"weights", layer.weights},
                    {"int8", {{"bits", layer.int8_bits}, {"accuracy", layer.int8_accuracy}, {"sqnr_db", db_json(layer.int8_sqnr_db)}}},
                    {"int4", {{"bits", layer.int4_bits}, {"accuracy", layer.int4_accuracy}, {"sqnr_db", db_json(layer.int4_sqnr_db)}}}});
  }
  const Json report = {{"fp32_accuracy", fp32_accuracy},
                       {"examples", examples},
                       {"int4_group_size", options.int4_group_size},
                       {"int8_config", options.int8.short_name()},
                       {"layers", rows}};
  return report.dump(2);
}

// ---- the assignment ------------------------------------------------------------------------------

namespace {

// One candidate: int4[l] says layer l is int4 (else int8), with its three scores.
struct Candidate {
  std::vector<bool> int4;
  double average_bits = 0.0;       // (1)
  double loss_points = 0.0;        // (2) summed
  double sqnr_db = 0.0;            // (3)
};

Candidate score(const SensitivityReport& report, std::vector<bool> int4) {
  Candidate candidate;
  candidate.int4 = std::move(int4);
  // BEGIN SOLUTION
  double weighted_bits = 0.0, weights = 0.0, noise_fraction = 0.0;  // noise_fraction: Σ 10^(−SQNR_l/10)
  for (std::size_t l = 0; l < report.layers.size(); ++l) {
    const LayerSensitivity& layer = report.layers[l];
    const bool lowered_to_int4 = candidate.int4[l];
    const double n = static_cast<double>(layer.weights);
    weighted_bits += n * (lowered_to_int4 ? layer.int4_bits : layer.int8_bits);
    weights += n;
    candidate.loss_points +=
        100.0 * (report.fp32_accuracy - (lowered_to_int4 ? layer.int4_accuracy : layer.int8_accuracy));
    noise_fraction += std::pow(10.0, -(lowered_to_int4 ? layer.int4_sqnr_db : layer.int8_sqnr_db) / 10.0);
  }
  candidate.average_bits = weighted_bits / weights;
  candidate.sqnr_db = noise_fraction == 0.0 ? std::numeric_limits<double>::infinity() : -10.0 * std::log10(noise_fraction);
  // END SOLUTION
  return candidate;
}

bool within_budget(const Candidate& candidate, double budget_bits) {
  return candidate.average_bits <= budget_bits + kBudgetSlackBits;
}

// a beats b: smaller predicted loss; tie -> higher predicted SQNR; tie -> fewer bits.
[[maybe_unused]] bool better(const Candidate& a, const Candidate& b) {
  // BEGIN SOLUTION
  if (std::abs(a.loss_points - b.loss_points) > kTieTolerance) return a.loss_points < b.loss_points;
  const bool same_sqnr = a.sqnr_db == b.sqnr_db || std::abs(a.sqnr_db - b.sqnr_db) <= kTieTolerance;
  if (!same_sqnr) return a.sqnr_db > b.sqnr_db;
  return a.average_bits < b.average_bits - kTieTolerance;
  // END SOLUTION
}

// L ≤ 16: every one of the 2^L assignments, bit l of `mask` set = layer l int4.
Candidate best_exhaustive(const SensitivityReport& report, double budget_bits) {
  const std::size_t layer_count = report.layers.size();
  Candidate best = score(report, std::vector<bool>(layer_count, true));  // feasible: checked by the caller
  // BEGIN SOLUTION
  for (uint32_t mask = 0; mask < (uint32_t{1} << layer_count); ++mask) {
    std::vector<bool> int4(layer_count);
    for (std::size_t l = 0; l < layer_count; ++l) int4[l] = ((mask >> l) & 1u) != 0;
    Candidate candidate = score(report, std::move(int4));
    if (within_budget(candidate, budget_bits) && better(candidate, best)) best = std::move(candidate);
  }
  // END SOLUTION
  return best;
}

// L > 16: start all int8 and lower layers in order of isolated loss per bit saved,
//   Δ_l / saved_l,  Δ_l = loss_l(4) − loss_l(8),  saved_l = n_l · (bits_l(8) − bits_l(4)),
// while over the budget — and also any layer whose Δ_l < 0 (int4 measured better:
// free). Ties in the order: the higher int4 SQNR first, then the layer that saves more.
Candidate best_greedy(const SensitivityReport& report, double budget_bits) {
  const std::size_t layer_count = report.layers.size();
  std::vector<double> delta(layer_count), saved(layer_count);
  for (std::size_t l = 0; l < layer_count; ++l) {
    const LayerSensitivity& layer = report.layers[l];
    delta[l] = 100.0 * (layer.int8_accuracy - layer.int4_accuracy);
    saved[l] = static_cast<double>(layer.weights) * (layer.int8_bits - layer.int4_bits);
  }
  std::vector<std::size_t> order(layer_count);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::vector<bool> int4(layer_count, false);  // start: every layer int8
  // BEGIN SOLUTION
  // A layer whose int4 form saves nothing goes last (infinite cost per bit saved).
  const auto cost = [&](std::size_t l) {
    return saved[l] > 0.0 ? delta[l] / saved[l] : std::numeric_limits<double>::infinity();
  };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (cost(a) != cost(b)) return cost(a) < cost(b);
    if (report.layers[a].int4_sqnr_db != report.layers[b].int4_sqnr_db) {
      return report.layers[a].int4_sqnr_db > report.layers[b].int4_sqnr_db;
    }
    return saved[a] > saved[b];
  });
  for (const std::size_t l : order) {
    if (!within_budget(score(report, int4), budget_bits) || delta[l] < 0.0) int4[l] = true;
  }
  // END SOLUTION
  return score(report, std::move(int4));
}

void check_report(const SensitivityReport& report, const char* operation) {
  if (report.layers.empty()) throw ValueError(fmt::format("{}: the sensitivity report has no layers", operation));
  for (const LayerSensitivity& layer : report.layers) {
    if (layer.weights < 1 || !std::isfinite(layer.int4_bits) || !std::isfinite(layer.int8_bits) ||
        layer.int4_bits <= 0.0 || layer.int8_bits <= 0.0) {
      throw ValueError(fmt::format("{}: layer \"{}\" has {} weights, int4 {} bits, int8 {} bits; expected weights "
                                   ">= 1 and finite bits > 0",
                                   operation, layer.name, layer.weights, layer.int4_bits, layer.int8_bits));
    }
  }
}

}  // namespace

MixedBitAssignment assign_mixed_bits(const SensitivityReport& report, double budget_bits) {
  if (!std::isfinite(budget_bits) || budget_bits <= 0.0) {
    throw ValueError(fmt::format("assign_mixed_bits: budget {} bits per weight; expected a finite number > 0",
                                 budget_bits));
  }
  check_report(report, "assign_mixed_bits");
  const Candidate all_int4 = score(report, std::vector<bool>(report.layers.size(), true));
  if (!within_budget(all_int4, budget_bits)) {
    throw ValueError(fmt::format("assign_mixed_bits: budget {:.4f} bits per weight cannot be met; the smallest "
                                 "achievable average is {:.4f} (every layer int4, group {})",
                                 budget_bits, all_int4.average_bits, report.options.int4_group_size));
  }
  const Candidate best = report.layers.size() <= kMaxExhaustiveLayers ? best_exhaustive(report, budget_bits)
                                                                       : best_greedy(report, budget_bits);
  MixedBitAssignment assignment;
  for (std::size_t l = 0; l < report.layers.size(); ++l) {
    assignment.layer_names.push_back(report.layers[l].name);
    assignment.bits.push_back(best.int4[l] ? 4 : 8);
  }
  assignment.average_bits = best.average_bits;
  assignment.predicted_loss_points = best.loss_points;
  assignment.budget_bits = budget_bits;
  return assignment;
}

std::string MixedBitAssignment::to_string() const {
  std::string layers;
  for (std::size_t l = 0; l < layer_names.size() && l < bits.size(); ++l) {
    layers += fmt::format("{}{}:int{}", l == 0 ? "" : " ", layer_names[l], bits[l]);
  }
  return fmt::format("{} — {:.2f} bits/weight (budget {:.2f})", layers, average_bits, budget_bits);
}

std::string MixedBitAssignment::to_json() const {
  Json layers = Json::array();
  for (std::size_t l = 0; l < layer_names.size() && l < bits.size(); ++l) {
    layers.push_back({{"name", layer_names[l]}, {"bits", bits[l]}});
  }
  const Json assignment = {{"budget_bits", budget_bits},
                           {"average_bits", average_bits},
                           {"predicted_loss_points", predicted_loss_points},
                           {"layers", layers}};
  return assignment.dump(2);
}

// ---- the mixed model ----------------------------------------------------------------------------

namespace {

// The assignment must name Linear layers of the model, each once, with 4 or 8 bits.
void check_assignment(const MixedBitAssignment& assignment, const std::vector<LinearAt>& linears) {
  if (assignment.layer_names.size() != assignment.bits.size()) {
    throw ValueError(fmt::format("build_mixed_bit_model: the assignment has {} layer names and {} bit widths; "
                                 "expected one width per layer",
                                 assignment.layer_names.size(), assignment.bits.size()));
  }
  const std::vector<std::string> linear_names = names_of(linears);
  std::set<std::string> seen;
  for (std::size_t l = 0; l < assignment.layer_names.size(); ++l) {
    const std::string& name = assignment.layer_names[l];
    if (std::find(linear_names.begin(), linear_names.end(), name) == linear_names.end()) {
      throw ValueError(fmt::format("build_mixed_bit_model: the assignment names layer \"{}\", which is not a Linear "
                                   "of the model; the Linear layers are {}",
                                   name, joined(linear_names)));
    }
    if (!seen.insert(name).second) {
      throw ValueError(fmt::format("build_mixed_bit_model: the assignment names layer \"{}\" twice", name));
    }
    if (assignment.bits[l] != 4 && assignment.bits[l] != 8) {
      throw ValueError(fmt::format("build_mixed_bit_model: layer \"{}\" is assigned {} bits; expected 4 or 8", name,
                                   assignment.bits[l]));
    }
  }
}

}  // namespace

std::shared_ptr<Sequential> build_mixed_bit_model(const Sequential& fp32_model, const MixedBitAssignment& assignment,
                                                  const std::vector<Tensor>& calibration_batches,
                                                  const MixedBitOptions& options) {
  auto model = std::dynamic_pointer_cast<Sequential>(fp32_model.clone());
  model->eval();
  const std::vector<LinearAt> linears = find_layers<Linear>(*model);
  check_assignment(assignment, linears);
  check_int4_group_size(options.int4_group_size, "build_mixed_bit_model");
  std::set<std::string> int8_names, int4_names;
  for (std::size_t l = 0; l < assignment.layer_names.size(); ++l) {
    (assignment.bits[l] == 8 ? int8_names : int4_names).insert(assignment.layer_names[l]);
  }
  if (!int8_names.empty() && options.int8.mode == QuantMode::Static) {
    check_calibration(calibration_batches, "build_mixed_bit_model");
  }
  // int8 first, while the int4 layers are still FP32 Linears: the observers see FP32 activations.
  lower_to_int8(*model, linears, int8_names, calibration_batches, options.int8);
  for (const LinearAt& linear : linears) {
    if (int4_names.count(linear.name) == 0) continue;
    auto int4_layer = std::make_shared<Int4Linear>(*linear.layer, options.int4_group_size);
    int4_layer->eval();
    model->set(linear.index, int4_layer);
  }
  return model;
}

}  // namespace tinytorch
