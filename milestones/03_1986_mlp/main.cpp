// main.cpp — Milestone 03 (1986): a multilayer perceptron learns Fashion-MNIST.
//
// Rumelhart, Hinton & Williams, "Learning representations by back-propagating
// errors" (Nature, 1986): a network with hidden layers, trained by gradient
// descent with the gradients computed backwards through the layers, learns its
// own intermediate features. Here, with every piece built in modules 01-08:
//
//   images (B, 784), pixels p/255 in [0, 1]            module 08 (not standardised:
//     -> Linear(784, 256) -> ReLU                        module 15 quantizes these
//     -> Linear(256, 128) -> ReLU                        inputs losslessly as uint8)
//     -> Linear(128, 10)  -> logits                      modules 03, 02
//   loss = cross_entropy(logits, labels)                 module 04
//   gradients by loss.backward()                         module 05
//   Adam, lr 1e-3 decayed by a cosine over the epochs,   module 06
//   batch 64, shuffled every epoch                       module 08
//
// Why the cosine decay: with a constant lr 1e-3 the test accuracy wobbles by
// about ±1 % from epoch to epoch and ends at 87.8-88.7 % (seeds 1-6 and 42,
// measured) — right on the goal. Decaying η towards 0 over the run lets the weights
// settle: 89.5-89.9 % for the same seeds. --schedule constant gives the plain run.
//
// Goal: >= 88.0 % accuracy on the 10,000 test images within 10 epochs, at
// <= 0.65 s per epoch on one thread. The model is saved as safetensors (default
// models/03_1986_mlp.safetensors) for the quantization milestone.
//
//   milestone_03_1986_mlp                     the full run (10 epochs)
//   milestone_03_1986_mlp --quick --json r.json   2,000/1,000 images, 1 epoch: the CTest check
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <exception>
#include <fstream>
#include <string>

#include "tinytorch/core/activation_layers.hpp"
#include "tinytorch/core/adam.hpp"
#include "tinytorch/core/adam_kernels.hpp"
#include "tinytorch/core/blas.hpp"
#include "tinytorch/core/cpu_features.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/lr_schedule.hpp"
#include "tinytorch/core/random.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/core/trainer.hpp"
#include "tinytorch/data/dataloader.hpp"
#include "tinytorch/data/fashion_mnist.hpp"
#include "tinytorch/io/model_io.hpp"

using namespace tinytorch;

namespace {

constexpr double kGoalAccuracy = 0.880;        // the full run's goal (reported, not enforced)
constexpr double kQuickMinAccuracy = 0.60;     // the quick check fails below this
constexpr int64_t kQuickTrainExamples = 2000;
constexpr int64_t kQuickTestExamples = 1000;
constexpr int64_t kEvalBatchSize = 1000;       // evaluation has no graph: big batches are cheapest

struct Options {
  int64_t epochs = 10;
  uint64_t seed = 42;
  std::string data_dir;  // "" = default_fashion_mnist_dir()
  int threads = 1;
  bool quick = false;
  std::string json_path;
  std::string save_path = "models/03_1986_mlp.safetensors";
  int64_t batch_size = 64;
  double learning_rate = 1e-3;
  std::string schedule = "cosine";  // or "constant"
};

// 784 -> 256 -> 128 -> 10, ReLU between; He-initialised from the seeded default generator.
Sequential make_mlp() {
  return Sequential(Linear(784, 256), ReLU(), Linear(256, 128), ReLU(), Linear(128, 10));
}

struct Data {
  TensorDataset train, test;
  std::string dir;
};

// Both splits, pixels / 255 (not standardised, see the top of the file);
// --quick keeps the first 2,000 / 1,000 images.
Data load_data(const Options& options) {
  const std::string dir = options.data_dir.empty() ? default_fashion_mnist_dir() : options.data_dir;
  Data data{load_fashion_mnist(dir, "train", PixelScale::UnitRange),
            load_fashion_mnist(dir, "test", PixelScale::UnitRange), dir};
  if (options.quick) {
    data.train = data.train.slice(0, kQuickTrainExamples);
    data.test = data.test.slice(0, kQuickTestExamples);
  }
  return data;
}

void print_setup(const Options& options, const Data& data, const Module& model, int64_t epochs) {
  std::printf("TinyTorch milestone 03 — 1986: the multilayer perceptron\n");
  std::printf("  BLAS: %s\n  CPU:  %s\n  Adam kernel: %s\n", blas_summary().c_str(), cpu_summary().c_str(),
              adam_kernel_name());
  std::printf("  data: Fashion-MNIST from %s, %lld train / %lld test images, pixels / 255%s\n\n", data.dir.c_str(),
              static_cast<long long>(data.train.size()), static_cast<long long>(data.test.size()),
              options.quick ? "  (--quick)" : "");
  std::printf("%s", model.summary().c_str());
  std::printf("Adam lr %g%s, batch %lld, %lld epoch%s, seed %llu, %d BLAS thread%s\n\n", options.learning_rate,
              options.schedule == "cosine" ? " with cosine decay" : " (constant)",
              static_cast<long long>(options.batch_size), static_cast<long long>(epochs), epochs == 1 ? "" : "s",
              static_cast<unsigned long long>(options.seed), options.threads, options.threads == 1 ? "" : "s");
}

void write_json(const std::string& path, const nlohmann::json& report) {
  std::ofstream out(path);
  out << report.dump(2) << "\n";
  if (!out) throw FileError("cannot write the JSON report to " + path);
}

int run(const Options& options) {
  blas_set_num_threads(options.threads);
  manual_seed(options.seed);
  const Data data = load_data(options);
  const int64_t epochs = options.quick ? 1 : options.epochs;
  Sequential model = make_mlp();
  Adam optimizer(model.parameters(), static_cast<float>(options.learning_rate));
  print_setup(options, data, model, epochs);

  DataLoader train_loader(data.train, options.batch_size, /*shuffle=*/true, options.seed);
  DataLoader test_loader(data.test, kEvalBatchSize);
  TrainerOptions trainer_options;
  if (options.schedule == "cosine") {
    trainer_options.learning_rate_schedule = CosineSchedule(static_cast<float>(options.learning_rate), epochs);
  }
  Trainer trainer(model, optimizer, {}, trainer_options);
  const std::vector<EpochStats> history = trainer.fit(train_loader, epochs, &test_loader);

  double train_seconds = 0.0;
  for (const EpochStats& epoch : history) train_seconds += epoch.seconds;
  const double seconds_per_epoch = train_seconds / static_cast<double>(history.size());
  const EvalResult final_test = trainer.evaluate(test_loader);
  const int64_t model_bytes = save_model(model, options.save_path);
  std::printf("\ntest accuracy %.2f%% (%lld / %lld)   %.3f s/epoch   model %s (%lld bytes)\n",
              100.0 * final_test.accuracy, static_cast<long long>(final_test.correct),
              static_cast<long long>(final_test.examples), seconds_per_epoch, options.save_path.c_str(),
              static_cast<long long>(model_bytes));

  if (!options.json_path.empty()) {
    write_json(options.json_path, {{"dataset", "fashion-mnist"},
                                   {"epochs", epochs},
                                   {"train_seconds_per_epoch", seconds_per_epoch},
                                   {"test_accuracy", final_test.accuracy},
                                   {"test_loss", final_test.loss},
                                   {"model_bytes", model_bytes},
                                   {"model_path", options.save_path},
                                   {"train_examples", data.train.size()},
                                   {"test_examples", data.test.size()},
                                   {"batch_size", options.batch_size},
                                   {"learning_rate", options.learning_rate},
                                   {"lr_schedule", options.schedule},
                                   {"seed", options.seed},
                                   {"threads", options.threads},
                                   {"quick", options.quick},
                                   {"blas", blas_summary()}});
  }

  if (options.quick) {
    const bool pass = final_test.accuracy >= kQuickMinAccuracy;
    std::printf("quick check: %.1f%% %s the %.0f%% floor\n", 100.0 * final_test.accuracy, pass ? ">=" : "<",
                100.0 * kQuickMinAccuracy);
    return pass ? 0 : 1;
  }
  // The goal is about the first 10 epochs; a longer run says nothing about it.
  if (epochs <= 10) {
    std::printf("goal (>= %.1f%% test accuracy within 10 epochs): %s, %.2f%% after %lld epoch%s\n",
                100.0 * kGoalAccuracy, final_test.accuracy >= kGoalAccuracy ? "reached" : "NOT reached",
                100.0 * final_test.accuracy, static_cast<long long>(epochs), epochs == 1 ? "" : "s");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  CLI::App app{"Milestone 03 (1986): train a 784-256-128-10 MLP on Fashion-MNIST with Adam"};
  app.add_option("--epochs", options.epochs, "training epochs")->check(CLI::PositiveNumber);
  app.add_option("--seed", options.seed, "seed for the weights and the shuffles");
  app.add_option("--data", options.data_dir,
                 "folder with the Fashion-MNIST .gz files (default: $TINYTORCH_DATA_DIR, else "
                 "/usr/share/datasets/fashion-mnist)");
  app.add_option("--threads", options.threads, "OpenBLAS threads")->check(CLI::PositiveNumber);
  app.add_flag("--quick", options.quick,
               "2,000 train / 1,000 test images, 1 epoch; exit 1 below 60% test accuracy (the CTest check)");
  app.add_option("--json", options.json_path, "write the results as JSON to this file");
  app.add_option("--save", options.save_path, "where to save the trained model (safetensors)");
  app.add_option("--batch-size", options.batch_size, "training batch size")->check(CLI::PositiveNumber);
  app.add_option("--lr", options.learning_rate, "Adam learning rate (the start of the schedule)")
      ->check(CLI::PositiveNumber);
  app.add_option("--schedule", options.schedule, "learning-rate schedule over the epochs: cosine (default) or constant")
      ->check(CLI::IsMember({"cosine", "constant"}));
  CLI11_PARSE(app, argc, argv);
  try {
    return run(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "milestone 03_1986_mlp: %s\n", error.what());
    return 2;
  }
}
