// trainer.hpp — Module 07: the training loop, written once.
//
// One epoch of training visits every batch (x, y) of the training set once:
//
//   logits = model(x)                      forward, recording the graph
//   loss   = loss_fn(logits, y)            a scalar
//   optimizer.zero_grad()                  forget the previous batch's gradients
//   loss.backward()                        dL/dθ for every parameter
//   optimizer.step()                       θ := update(θ, dL/dθ)
//
// Evaluation runs the model on held-out data with no graph (NoGradGuard) and in
// eval mode (Dropout off), and reports the mean loss and the accuracy
// (metrics.hpp). The numbers of an epoch, averaged over *examples* (a short last
// batch counts for its size, not as much as a full one):
//
//   train_loss     = Σ_batches B·loss_batch / N      (while θ was still changing)
//   train_accuracy = Σ_batches correct_batch / N
//   seconds        = wall time of the training pass (evaluation excluded)
//   samples/s      = N / seconds
//
// While an epoch runs a ProgressBar shows it on a terminal; at the end of each
// epoch one summary line goes to the log stream (stdout by default):
//
//   epoch  1/10  lr 1.00e-03  loss 0.5012  train 82.1%  test 85.0%  0.52 s  115,384 samples/s
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <vector>

#include "tinytorch/core/module.hpp"
#include "tinytorch/core/optimizer.hpp"
#include "tinytorch/core/tensor.hpp"
#include "tinytorch/data/dataloader.hpp"

namespace tinytorch {

// (logits, labels) -> scalar loss. cross_entropy by default.
using LossFunction = std::function<Tensor(const Tensor&, const Tensor&)>;

struct EvalResult {
  double loss = 0.0;      // mean over examples
  double accuracy = 0.0;  // correct / examples
  int64_t correct = 0;
  int64_t examples = 0;
};

struct EpochStats {
  int64_t epoch = 0;  // 1-based
  float learning_rate = 0.0f;  // the optimizer's learning rate during this epoch
  double train_loss = 0.0;
  double train_accuracy = 0.0;
  bool evaluated = false;  // test_* are set only when fit() had an evaluation loader
  double test_loss = 0.0;
  double test_accuracy = 0.0;
  double seconds = 0.0;  // the training pass only
  double samples_per_second = 0.0;
};

// Optional hooks around each optimizer step — how module 15's mixed-precision
// training adds dynamic loss scaling (mixed_precision.hpp) without a second loop.
struct TrainStepHooks {
  virtual ~TrainStepHooks() = default;
  // The tensor backward() starts from, instead of the loss itself.
  virtual Tensor scale_loss(const Tensor& loss) { return loss; }
  // Called after backward(); returning false skips optimizer.step() for this batch.
  virtual bool before_step() { return true; }
};

struct TrainerOptions {
  // Where the per-epoch summary lines go; nullptr = nowhere.
  std::FILE* log = stdout;
  // The live bar on stderr. Even when true it is drawn only if stderr is a terminal.
  bool progress_bar = true;
  // If set, fit() calls optimizer.set_learning_rate(schedule(e)) before training
  // epoch e (0-based, counted over the whole history): e.g. a CosineSchedule.
  std::function<float(int64_t)> learning_rate_schedule;
  // Not owned; must outlive the trainer. nullptr: backward() on the loss, then step().
  TrainStepHooks* step_hooks = nullptr;
};

class Trainer {
 public:
  // Keeps references: model and optimizer must outlive the trainer.
  Trainer(Module& model, Optimizer& optimizer, LossFunction loss = {}, TrainerOptions options = {});

  // `epochs` training epochs (>= 1), each followed by evaluate(*eval_loader) when
  // one is given. Returns this call's epochs; history() keeps every epoch so far.
  std::vector<EpochStats> fit(DataLoader& train_loader, int64_t epochs, DataLoader* eval_loader = nullptr);
  // One pass over the training set (model in train mode). fit() calls it and
  // records the result in history(); called directly, nothing is recorded.
  EpochStats train_epoch(DataLoader& train_loader);
  // Mean loss and accuracy over every batch of the loader, without gradients and
  // in eval mode; the model's previous mode is restored afterwards.
  EvalResult evaluate(DataLoader& loader);

  const std::vector<EpochStats>& history() const { return history_; }
  Module& model() { return model_; }

 private:
  void log_epoch(const EpochStats& stats, int64_t last_epoch) const;

  Module& model_;
  Optimizer& optimizer_;
  LossFunction loss_;
  TrainerOptions options_;
  std::vector<EpochStats> history_;
  int64_t planned_epochs_ = 0;  // for the "epoch 3/10" labels
};

}  // namespace tinytorch
