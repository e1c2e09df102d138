// runs.cpp — Milestone 06: building, measuring and saving each form of the model (see runs.hpp).
#include "runs.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "tinytorch/core/adam.hpp"
#include "tinytorch/core/inference_scope.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/lr_schedule.hpp"
#include "tinytorch/core/trainer.hpp"
#include "tinytorch/profiling/profiler.hpp"

using namespace tinytorch;

namespace milestone06 {

namespace {

constexpr int64_t kQatBatchSize = 64;

QuantConfig ptq_config(QuantMode mode, bool per_channel, CalibrationMethod method, int64_t calibration_batches) {
  QuantConfig config;
  config.mode = mode;
  config.weights.per_channel = per_channel;
  config.calibration.method = method;
  config.calibration.max_batches = mode == QuantMode::Static ? calibration_batches : 0;
  return config;
}

RunSpec ptq_run(const QuantConfig& config) {
  RunSpec spec;
  spec.kind = config.mode == QuantMode::Static ? RunKind::Static : RunKind::Dynamic;
  spec.config = config;
  spec.name = config.short_name();
  return spec;
}

std::string family_of(RunKind kind) {
  switch (kind) {
    case RunKind::Dynamic: return "dynamic";
    case RunKind::Static: return "static";
    case RunKind::Qat: return "qat";
    case RunKind::Int4: return "int4";
    case RunKind::MixedBit: return "mixed";
    case RunKind::Half: return "half";
  }
  return "?";
}

// A copy of `model` with every Linear replaced by make(linear).
template <typename MakeLayer>
std::shared_ptr<Sequential> replace_linears(const Sequential& model, MakeLayer make) {
  auto copy = std::dynamic_pointer_cast<Sequential>(model.clone());
  for (std::size_t i = 0; i < copy->size(); ++i) {
    if (const auto* linear = dynamic_cast<const Linear*>(copy->at(i).get())) copy->set(i, make(*linear));
  }
  copy->eval();
  return copy;
}

// prepare_qat, fine-tune (Adam, cosine decay, progress on stdout), convert.
std::shared_ptr<Sequential> quantization_aware_training(const RunSpec& spec, RunContext& context) {
  auto model = std::dynamic_pointer_cast<Sequential>(context.fp32->clone());
  prepare_qat(*model, spec.qat);
  const QatRecipe& recipe = spec.recipe;
  Adam optimizer(model->parameters(), recipe.learning_rate);
  TrainerOptions trainer_options;
  trainer_options.learning_rate_schedule = CosineSchedule(recipe.learning_rate, recipe.epochs);
  Trainer trainer(*model, optimizer, {}, trainer_options);
  DataLoader train_loader(context.data->train, kQatBatchSize, /*shuffle=*/true, context.seed + 1);
  std::printf("\n    fine-tuning with fake quantization (%s), %lld epoch(s), Adam lr %.0e\n",
              to_string(spec.qat.target).c_str(), static_cast<long long>(recipe.epochs),
              static_cast<double>(recipe.learning_rate));
  trainer.fit(train_loader, recipe.epochs);
  convert(*model);
  return model;
}

struct Built {
  std::shared_ptr<Sequential> model;
  QuantConfig file_config;  // what save_quantized_model records
  std::string detail;
  double average_bits = 0.0;
};

Built build_model(const RunSpec& spec, RunContext& context) {
  switch (spec.kind) {
    case RunKind::Dynamic:
    case RunKind::Static: {
      auto model = std::dynamic_pointer_cast<Sequential>(context.fp32->clone());
      quantize_model(*model, context.calibration_batches, spec.config);
      return {model, spec.config, "", 0.0};
    }
    case RunKind::Qat:
      return {quantization_aware_training(spec, context), spec.qat.int8, spec.qat.describe(), 0.0};
    case RunKind::Int4: {
      const int64_t group = spec.group_size;
      auto model = replace_linears(*context.fp32, [group](const Linear& linear) {
        return std::make_shared<Int4Linear>(linear, group);
      });
      return {model, QuantConfig{}, "group " + std::to_string(group), 0.0};
    }
    case RunKind::MixedBit: {
      MixedBitOptions options;
      options.int8 = ptq_config(QuantMode::Static, true, CalibrationMethod::MinMax, context.plan.calibration_batches);
      const MixedBitAssignment assignment = assign_mixed_bits(*context.sensitivity, spec.budget_bits);
      auto model = build_mixed_bit_model(*context.fp32, assignment, context.calibration_batches, options);
      return {model, options.int8, assignment.to_string(), assignment.average_bits};
    }
    case RunKind::Half: {
      const DType format = spec.half_format;
      auto model = replace_linears(*context.fp32, [format](const Linear& linear) {
        return std::make_shared<HalfLinear>(linear, format);
      });
      return {model, QuantConfig{}, "", 0.0};
    }
  }
  throw ValueError("milestone 06: unknown run kind");
}

std::string file_name(const std::string& run_name) {
  std::string file = run_name;
  for (char& c : file) {
    if (c == '/' || c == ' ') c = '_';
  }
  return file;
}

}  // namespace

std::vector<RunSpec> every_run(const RunPlan& plan) {
  std::vector<RunSpec> runs;
  for (bool per_channel : {false, true}) {
    runs.push_back(ptq_run(ptq_config(QuantMode::Dynamic, per_channel, CalibrationMethod::MinMax, 0)));
  }
  for (CalibrationMethod method : {CalibrationMethod::MinMax, CalibrationMethod::MovingAverage,
                                   CalibrationMethod::Percentile, CalibrationMethod::Entropy, CalibrationMethod::MSE}) {
    for (bool per_channel : {false, true}) {
      runs.push_back(ptq_run(ptq_config(QuantMode::Static, per_channel, method, plan.calibration_batches)));
    }
  }
  if (!plan.extra_config_path.empty()) runs.push_back(ptq_run(load_quant_config(plan.extra_config_path)));

  RunSpec qat_int8;
  qat_int8.name = "qat int8 (static/per-channel)";
  qat_int8.kind = RunKind::Qat;
  qat_int8.qat.target = QatTarget::Int8Static;
  qat_int8.recipe = kQatInt8Recipe;
  runs.push_back(qat_int8);

  const std::vector<int64_t> int4_groups = plan.full ? std::vector<int64_t>{32, 64, 128} : std::vector<int64_t>{32, 128};
  for (int64_t group : int4_groups) {
    RunSpec int4;
    int4.name = "int4 weight-only g" + std::to_string(group);
    int4.kind = RunKind::Int4;
    int4.group_size = group;
    runs.push_back(int4);
  }
  const std::vector<int64_t> qat_int4_groups = plan.full ? std::vector<int64_t>{32, 128} : std::vector<int64_t>{32};
  for (int64_t group : qat_int4_groups) {
    RunSpec qat_int4;
    qat_int4.name = "qat int4 weight-only g" + std::to_string(group);
    qat_int4.kind = RunKind::Qat;
    qat_int4.qat.target = QatTarget::Int4WeightOnly;
    qat_int4.qat.int4_group_size = group;
    qat_int4.recipe = kQatInt4Recipe;
    runs.push_back(qat_int4);
  }
  const std::vector<double> budgets = plan.full ? std::vector<double>{6.0, 5.0} : std::vector<double>{6.0};
  for (double budget : budgets) {
    RunSpec mixed;
    mixed.name = "mixed int4/int8 (<= " + std::to_string(static_cast<int>(budget)) + " bits)";
    mixed.kind = RunKind::MixedBit;
    mixed.budget_bits = budget;
    runs.push_back(mixed);
  }

  for (DType format : {DType::Float16, DType::BFloat16}) {
    RunSpec half;
    half.name = std::string(dtype_name(format)) + " weights";
    half.kind = RunKind::Half;
    half.half_format = format;
    runs.push_back(half);
  }
  return runs;
}

std::map<int64_t, double> measure_latencies(Module& model, const Tensor& images, const RunPlan& plan) {
  std::map<int64_t, double> latency;
  TimingOptions timing;
  timing.warmup_runs = 5;
  timing.timed_runs = plan.latency_runs;
  const InferenceScope inference(model);
  for (int64_t batch_size : plan.latency_batch_sizes) {
    if (batch_size > images.size(0)) {
      throw ValueError("milestone 06: latency at batch " + std::to_string(batch_size) + " needs that many test images, " +
                       "there are " + std::to_string(images.size(0)));
    }
    const Tensor input = images.slice_rows(0, batch_size).contiguous();
    latency[batch_size] = summarize_latency(time_forward(model, input, timing), batch_size).median_us;
  }
  return latency;
}

RunResult evaluate_run(const RunSpec& spec, RunContext& context, double fp32_accuracy, int64_t fp32_bytes,
                       const std::map<int64_t, double>& fp32_latency) {
  const auto start = std::chrono::steady_clock::now();
  const Built built = build_model(spec, context);
  const ValidationReport report = validate_quantized_model(*context.fp32, *built.model, *context.test_loader);

  RunResult result;
  result.name = spec.name;
  result.family = family_of(spec.kind);
  result.detail = built.detail;
  result.average_bits = built.average_bits;
  result.accuracy = report.quantized_accuracy;
  result.change_points = 100.0 * (report.quantized_accuracy - fp32_accuracy);
  result.layers = report.layers;
  result.worst_layer = report.worst_layer;
  result.validation_report = report.to_string();
  for (const LayerSQNR& layer : report.layers) {
    if (layer.worst) result.worst_layer_sqnr_db = layer.isolated_db;
  }

  const std::string path = context.out_dir + "/" + file_name(spec.name) + ".safetensors";
  result.bytes = save_quantized_model(*built.model, path, built.file_config);
  result.size_ratio = static_cast<double>(result.bytes) / static_cast<double>(fp32_bytes);
  const LoadedQuantizedModel loaded = load_quantized_model(path);
  {
    const InferenceScope inference(*built.model);
    result.reload_identical =
        built.model->forward(context.probe).to_vector() == loaded.model->forward(context.probe).to_vector();
  }

  result.latency_us = measure_latencies(*built.model, context.data->test.features(), context.plan);
  for (const auto& [batch_size, micros] : result.latency_us) {
    result.speedup[batch_size] = fp32_latency.at(batch_size) / micros;
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace milestone06
