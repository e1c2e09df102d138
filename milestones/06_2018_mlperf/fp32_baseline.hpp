// fp32_baseline.hpp — Milestone 06: the data and the FP32 model every run is compared with.
//
// The model is milestone 03's MLP (784-256-128-10, ReLU): its saved file when it
// exists, otherwise trained here with milestone 03's recipe (Adam 1e-3 with cosine
// decay, batch 64) and saved there for the next run.
#pragma once
#include <cstdint>
#include <string>

#include "tinytorch/core/module.hpp"
#include "tinytorch/core/sequential.hpp"
#include "tinytorch/core/trainer.hpp"
#include "tinytorch/data/dataloader.hpp"
#include "tinytorch/data/dataset.hpp"

namespace milestone06 {

struct Data {
  tinytorch::TensorDataset train, test;
};

// Fashion-MNIST in [0, 1]; `quick` keeps the first 10,000 training and 2,000 test images.
Data load_data(const std::string& data_dir, bool quick);

tinytorch::Sequential make_mlp();

// Milestone 03's recipe: Adam lr 1e-3 with cosine decay over `epochs`, batch 64. Progress on stdout.
// `step_hooks` (e.g. a loss scaler) go to the Trainer. Returns the mean seconds per epoch.
double train(tinytorch::Sequential& model, const tinytorch::TensorDataset& train_set, int64_t epochs, uint64_t seed,
             tinytorch::TrainStepHooks* step_hooks = nullptr);

struct Fp32Model {
  tinytorch::Sequential model;
  std::string origin;  // "loaded models/03_1986_mlp.safetensors (milestone 03)" or "trained here, ..."
};

// The file at `model_path` unless `retrain`; otherwise trains `epochs` epochs and (if `save`) saves it there.
Fp32Model fp32_model(const Data& data, const std::string& model_path, int64_t epochs, uint64_t seed, bool retrain,
                     bool save);

// Fraction of the loader's examples whose argmax logit is the label (eval mode, no graph).
double test_accuracy(tinytorch::Module& model, tinytorch::DataLoader& loader);

}  // namespace milestone06
