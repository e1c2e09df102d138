// dataloader.hpp — Module 08: cut a dataset into shuffled mini-batches, epoch after epoch.
//
// One epoch visits every example once, in an order fixed when the epoch starts:
//
//   order_e   = 0, 1, ..., N-1                         (shuffle off)
//             = FisherYates(0..N-1, Generator(mix(seed, e)))   (shuffle on)
//   batch b   = examples order_e[b*B : min((b+1)*B, N)]
//   batches   = ceil(N / B), or floor(N / B) with drop_last (the short last batch is dropped)
//
// The order of epoch e depends only on (seed, e): the same seed replays the same
// run, a different epoch gets a different order, and resuming at epoch e needs
// no replay of epochs 0..e-1 (set_epoch).
//
// A batch is inputs:(B, ...) and labels:(B) int32. From a TensorDataset it is
// built by copying B rows with memcpy (no per-example tensors); when its rows
// are consecutive (always, without shuffle) it is a *view* of them (no copy at
// all), so treat batches as read-only. Other Dataset implementations go through
// get(i), one example at a time.
//
//   DataLoader loader(train, 64, /*shuffle=*/true, /*seed=*/42);
//   for (int epoch = 0; epoch < 10; ++epoch)
//     for (const Batch& batch : loader) { ... batch.inputs, batch.labels ... }
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <span>
#include <vector>

#include "tinytorch/core/tensor.hpp"
#include "tinytorch/data/dataset.hpp"

namespace tinytorch {

struct Batch {
  Tensor inputs;  // (B, ...) — the dataset's features, stacked
  Tensor labels;  // (B) int32
  int64_t size() const { return labels.numel(); }
};

class DataLoader {
 public:
  // The loader keeps the dataset alive: a TensorDataset is held by value (its
  // tensors share storage, so this copies no data); other datasets by shared_ptr.
  // batch_size >= 1 and a non-empty dataset, else ValueError.
  DataLoader(TensorDataset dataset, int64_t batch_size, bool shuffle = false, uint64_t seed = 0,
             bool drop_last = false);
  DataLoader(std::shared_ptr<const Dataset> dataset, int64_t batch_size, bool shuffle = false, uint64_t seed = 0,
             bool drop_last = false);

  // ceil(N / B), or floor(N / B) with drop_last.
  int64_t num_batches() const;
  int64_t batch_size() const { return batch_size_; }
  const Dataset& dataset() const { return *dataset_; }
  // The epoch the next begin() starts (0 before the first loop).
  int64_t epoch() const { return next_epoch_; }
  // Start from epoch `epoch` next time (to resume a run, or to replay an epoch).
  void set_epoch(int64_t epoch);

  // The example order of epoch `epoch`: the identity, or a permutation drawn
  // from Generator(mix(seed, epoch)) when shuffling.
  std::vector<int64_t> epoch_order(int64_t epoch) const;
  // Batch `batch_index` of an epoch whose example order is `order`.
  Batch make_batch(std::span<const int64_t> order, int64_t batch_index) const;

  // Input iterator over the batches of one epoch. Each dereference returns the
  // batch the iterator holds; ++ builds the next one.
  class Iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = Batch;
    using difference_type = std::ptrdiff_t;
    using pointer = Batch*;
    using reference = Batch&;

    Iterator() = default;
    Batch& operator*() { return batch_; }
    Batch* operator->() { return &batch_; }
    Iterator& operator++();
    bool operator==(const Iterator& other) const { return batch_index_ == other.batch_index_; }

   private:
    friend class DataLoader;
    Iterator(const DataLoader* loader, std::shared_ptr<const std::vector<int64_t>> order, int64_t batch_index);

    const DataLoader* loader_ = nullptr;
    std::shared_ptr<const std::vector<int64_t>> order_;
    int64_t batch_index_ = 0;
    Batch batch_;
  };

  // Starts a new epoch (fixes its order, then advances epoch()) and returns its first batch.
  Iterator begin();
  Iterator end() const;

 private:
  void check_arguments() const;

  std::shared_ptr<const Dataset> dataset_;
  const TensorDataset* tensor_dataset_ = nullptr;  // the fast path, when the dataset is one
  int64_t batch_size_ = 0;
  bool shuffle_ = false;
  uint64_t seed_ = 0;
  bool drop_last_ = false;
  int64_t next_epoch_ = 0;
};

}  // namespace tinytorch
