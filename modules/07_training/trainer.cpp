// trainer.cpp — Module 07: the training loop (see trainer.hpp).
#include "tinytorch/core/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <string>

#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/inference_scope.hpp"
#include "tinytorch/core/losses.hpp"
#include "tinytorch/core/metrics.hpp"
#include "tinytorch/core/progress_bar.hpp"

namespace tinytorch {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

Trainer::Trainer(Module& model, Optimizer& optimizer, LossFunction loss, TrainerOptions options)
    : model_(model), optimizer_(optimizer), loss_(std::move(loss)), options_(options) {
  if (!loss_) loss_ = [](const Tensor& logits, const Tensor& labels) { return cross_entropy(logits, labels); };
}

EpochStats Trainer::train_epoch(DataLoader& train_loader) {
  EpochStats stats;
  stats.epoch = static_cast<int64_t>(history_.size()) + 1;
  stats.learning_rate = optimizer_.learning_rate();
  ModeGuard training_mode(model_, true);
  ProgressBar bar = options_.progress_bar ? ProgressBar(stderr) : ProgressBar(stderr, false);
  ProgressState progress;
  const int64_t last_epoch = std::max(planned_epochs_, stats.epoch);
  progress.label = "epoch " + std::to_string(stats.epoch) + "/" + std::to_string(last_epoch);
  progress.total = train_loader.num_batches();

  double loss_sum = 0.0;  // Σ B·loss
  int64_t correct = 0, examples = 0;
  const auto start = std::chrono::steady_clock::now();
  for (Batch& batch : train_loader) {
    Tensor logits, loss;
    // BEGIN SOLUTION
    logits = model_(batch.inputs);
    loss = loss_(logits, batch.labels);
    optimizer_.zero_grad();
    // END SOLUTION
    if (options_.step_hooks != nullptr) {
      // Mixed precision: backward from the scaled loss; the hook unscales the
      // gradients and may skip the step (an overflow). The loss reported stays unscaled.
      options_.step_hooks->scale_loss(loss).backward();
      if (options_.step_hooks->before_step()) optimizer_.step();
    } else {
      // BEGIN SOLUTION
      loss.backward();
      optimizer_.step();
      // END SOLUTION
    }
    const int64_t batch_size = batch.size();
    loss_sum += static_cast<double>(loss.item()) * static_cast<double>(batch_size);
    correct += count_correct(logits, batch.labels);
    examples += batch_size;

    if (bar.enabled()) {
      progress.done += 1;
      progress.elapsed_seconds = seconds_since(start);
      progress.loss = loss_sum / static_cast<double>(examples);
      progress.accuracy = static_cast<double>(correct) / static_cast<double>(examples);
      progress.samples_per_second = static_cast<double>(examples) / std::max(progress.elapsed_seconds, 1e-9);
      bar.update(progress);
    }
  }
  stats.seconds = seconds_since(start);
  bar.clear();
  if (examples == 0) throw ValueError("Trainer::train_epoch: the training loader produced no batches");
  stats.train_loss = loss_sum / static_cast<double>(examples);
  stats.train_accuracy = static_cast<double>(correct) / static_cast<double>(examples);
  stats.samples_per_second = static_cast<double>(examples) / std::max(stats.seconds, 1e-9);
  return stats;
}

EvalResult Trainer::evaluate(DataLoader& loader) {
  const InferenceScope inference(model_);  // eval mode, no graph: less memory, less time
  EvalResult result;
  double loss_sum = 0.0;
  // BEGIN SOLUTION
  for (Batch& batch : loader) {
    const Tensor logits = model_(batch.inputs);
    loss_sum += static_cast<double>(loss_(logits, batch.labels).item()) * static_cast<double>(batch.size());
    result.correct += count_correct(logits, batch.labels);
    result.examples += batch.size();
  }
  // END SOLUTION
  if (result.examples == 0) throw ValueError("Trainer::evaluate: the loader produced no batches");
  result.loss = loss_sum / static_cast<double>(result.examples);
  result.accuracy = static_cast<double>(result.correct) / static_cast<double>(result.examples);
  return result;
}

std::vector<EpochStats> Trainer::fit(DataLoader& train_loader, int64_t epochs, DataLoader* eval_loader) {
  if (epochs < 1) throw ValueError("Trainer::fit: epochs = " + std::to_string(epochs) + "; expected >= 1");
  planned_epochs_ = static_cast<int64_t>(history_.size()) + epochs;
  std::vector<EpochStats> this_run;
  for (int64_t e = 0; e < epochs; ++e) {
    if (options_.learning_rate_schedule) {
      optimizer_.set_learning_rate(options_.learning_rate_schedule(static_cast<int64_t>(history_.size())));
    }
    EpochStats stats = train_epoch(train_loader);
    if (eval_loader != nullptr) {
      const EvalResult test = evaluate(*eval_loader);
      stats.evaluated = true;
      stats.test_loss = test.loss;
      stats.test_accuracy = test.accuracy;
    }
    history_.push_back(stats);
    this_run.push_back(stats);
    log_epoch(stats, planned_epochs_);
  }
  return this_run;
}

void Trainer::log_epoch(const EpochStats& stats, int64_t last_epoch) const {
  if (options_.log == nullptr) return;
  const int width = static_cast<int>(std::to_string(last_epoch).size());
  std::string test;
  if (stats.evaluated) {
    char text[48];
    std::snprintf(text, sizeof text, "  test %.1f%%", 100.0 * stats.test_accuracy);
    test = text;
  }
  std::fprintf(options_.log, "epoch %*lld/%lld  lr %.2e  loss %.4f  train %.1f%%%s  %.2f s  %s samples/s\n", width,
               static_cast<long long>(stats.epoch), static_cast<long long>(last_epoch),
               static_cast<double>(stats.learning_rate), stats.train_loss,
               100.0 * stats.train_accuracy, test.c_str(), stats.seconds,
               format_count(stats.samples_per_second).c_str());
  std::fflush(options_.log);
}

}  // namespace tinytorch
