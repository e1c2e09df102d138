// fp32_baseline.cpp — Milestone 06: Fashion-MNIST and the FP32 MLP (see fp32_baseline.hpp).
#include "fp32_baseline.hpp"

#include <cstdio>
#include <filesystem>

#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/adam.hpp"
#include "tinytorch/core/inference_scope.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/lr_schedule.hpp"
#include "tinytorch/core/metrics.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/core/trainer.hpp"
#include "tinytorch/data/fashion_mnist.hpp"
#include "tinytorch/io/model_io.hpp"

using namespace tinytorch;

namespace milestone06 {

namespace {
constexpr int64_t kQuickTrainExamples = 10000;
constexpr int64_t kQuickTestExamples = 2000;
constexpr int64_t kTrainBatchSize = 64;
constexpr float kLearningRate = 1e-3f;
}  // namespace

Data load_data(const std::string& data_dir, bool quick) {
  Data data{load_fashion_mnist(data_dir, "train", PixelScale::UnitRange),
            load_fashion_mnist(data_dir, "test", PixelScale::UnitRange)};
  if (quick) {
    data.train = data.train.slice(0, kQuickTrainExamples);
    data.test = data.test.slice(0, kQuickTestExamples);
  }
  return data;
}

Sequential make_mlp() { return Sequential(Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10)); }

double train(Sequential& model, const TensorDataset& train_set, int64_t epochs, uint64_t seed,
             TrainStepHooks* step_hooks) {
  Adam optimizer(model.parameters(), kLearningRate);
  TrainerOptions trainer_options;
  trainer_options.learning_rate_schedule = CosineSchedule(kLearningRate, epochs);
  trainer_options.step_hooks = step_hooks;
  Trainer trainer(model, optimizer, {}, trainer_options);
  DataLoader train_loader(train_set, kTrainBatchSize, /*shuffle=*/true, seed);
  double seconds = 0.0;
  for (const EpochStats& epoch : trainer.fit(train_loader, epochs)) seconds += epoch.seconds;
  return seconds / static_cast<double>(epochs);
}

Fp32Model fp32_model(const Data& data, const std::string& model_path, int64_t epochs, uint64_t seed, bool retrain,
                     bool save) {
  manual_seed(seed);
  Fp32Model result{make_mlp(), ""};
  if (!retrain && std::filesystem::exists(model_path)) {
    load_model(result.model, model_path);
    result.origin = "loaded " + model_path + " (milestone 03)";
    return result;
  }
  std::printf("training the FP32 MLP: %lld epoch%s on %lld images\n", static_cast<long long>(epochs),
              epochs == 1 ? "" : "s", static_cast<long long>(data.train.size()));
  train(result.model, data.train, epochs, seed);
  result.origin = "trained here, " + std::to_string(epochs) + " epoch(s)";
  if (save) {
    save_model(result.model, model_path);
    result.origin += ", saved to " + model_path;
  }
  return result;
}

double test_accuracy(Module& model, DataLoader& loader) {
  InferenceScope inference(model);
  double correct = 0.0;
  int64_t examples = 0;
  for (const Batch& batch : loader) {
    correct += accuracy(model.forward(batch.inputs), batch.labels) * static_cast<double>(batch.labels.numel());
    examples += batch.labels.numel();
  }
  return correct / static_cast<double>(examples);
}

}  // namespace milestone06
