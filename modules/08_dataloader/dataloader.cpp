// dataloader.cpp — epoch orders (Fisher–Yates from a per-epoch seed) and batch assembly.
#include "tinytorch/data/dataloader.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "tinytorch/core/random.hpp"

namespace tinytorch {
namespace {

// splitmix64 (Steele, Lea & Flood, 2014): a bijective 64-bit mixer. Nearby
// inputs (seed 1 and seed 2, epoch 3 and epoch 4) give unrelated outputs, so
// neighbouring epochs do not start their generators in correlated states.
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The generator seed of epoch e: mix(seed, e).
uint64_t epoch_seed(uint64_t seed, int64_t epoch) {
  return splitmix64(seed ^ splitmix64(static_cast<uint64_t>(epoch)));
}

std::size_t row_bytes_of(const Tensor& rows) {
  const Shape& shape = rows.shape();
  return static_cast<std::size_t>(shape_numel(Shape(shape.begin() + 1, shape.end()))) * dtype_size(rows.dtype());
}

// source:(N, ...) contiguous, rows:(B) indices in [0, N) -> (B, ...):
//   result[r] = source[rows[r]]
// One memcpy of a whole row per example: the rows of a contiguous tensor are
// contiguous blocks of row_bytes each.
Tensor gather_rows(const Tensor& source, std::span<const int64_t> rows) {
  Shape shape = source.shape();
  shape[0] = static_cast<int64_t>(rows.size());
  Tensor result = Tensor::empty(shape, source.dtype());
  // BEGIN SOLUTION
  const std::size_t row_bytes = row_bytes_of(source);
  const std::byte* from = source.storage()->bytes() + source.offset() * dtype_size(source.dtype());
  std::byte* to = result.storage()->bytes();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::memcpy(to + r * row_bytes, from + static_cast<std::size_t>(rows[r]) * row_bytes, row_bytes);
  }
  // END SOLUTION
  return result;
}

bool are_consecutive(std::span<const int64_t> rows) {
  for (std::size_t r = 1; r < rows.size(); ++r) {
    if (rows[r] != rows[0] + static_cast<int64_t>(r)) return false;
  }
  return true;
}

// The slow path for any Dataset: B calls to get(i), each copied into its row.
Batch stack_examples(const Dataset& dataset, std::span<const int64_t> rows) {
  const int64_t count = static_cast<int64_t>(rows.size());
  Example first = dataset.get(rows[0]);
  Shape shape{count};
  shape.insert(shape.end(), first.features.shape().begin(), first.features.shape().end());
  Batch batch{Tensor::empty(shape, first.features.dtype()), Tensor::empty({count}, DType::Int32)};
  const std::size_t row_bytes = row_bytes_of(batch.inputs);
  int32_t* labels = batch.labels.data<int32_t>();
  for (int64_t r = 0; r < count; ++r) {
    Example example = r == 0 ? first : dataset.get(rows[r]);
    if (example.features.shape() != first.features.shape() || example.features.dtype() != first.features.dtype()) {
      throw ShapeError("DataLoader: example " + std::to_string(rows[r]) + " has shape " +
                       shape_str(example.features.shape()) + " " + std::string(dtype_name(example.features.dtype())) +
                       " but example " + std::to_string(rows[0]) + " has " + shape_str(first.features.shape()) + " " +
                       std::string(dtype_name(first.features.dtype())) + "; a batch needs equal shapes and dtypes");
    }
    const Tensor packed = example.features.contiguous();
    std::memcpy(batch.inputs.storage()->bytes() + r * row_bytes,
                packed.storage()->bytes() + packed.offset() * dtype_size(packed.dtype()), row_bytes);
    labels[r] = example.label;
  }
  return batch;
}

int64_t batches_for(int64_t examples, int64_t batch_size, bool drop_last) {
  // BEGIN SOLUTION
  return drop_last ? examples / batch_size : (examples + batch_size - 1) / batch_size;
  // END SOLUTION
}

// Batch b holds positions [b*B, min((b+1)*B, N)) of the epoch order: every
// batch is full except, perhaps, the last.
std::pair<int64_t, int64_t> batch_bounds(int64_t batch_index, int64_t batch_size, int64_t examples) {
  // BEGIN SOLUTION
  const int64_t begin = batch_index * batch_size;
  return {begin, std::min(begin + batch_size, examples)};
  // END SOLUTION
}

}  // namespace

DataLoader::DataLoader(TensorDataset dataset, int64_t batch_size, bool shuffle, uint64_t seed, bool drop_last)
    : DataLoader(std::make_shared<const TensorDataset>(std::move(dataset)), batch_size, shuffle, seed, drop_last) {}

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, int64_t batch_size, bool shuffle, uint64_t seed,
                       bool drop_last)
    : dataset_(std::move(dataset)), batch_size_(batch_size), shuffle_(shuffle), seed_(seed), drop_last_(drop_last) {
  check_arguments();
  tensor_dataset_ = dynamic_cast<const TensorDataset*>(dataset_.get());  // once, not per batch
}

void DataLoader::check_arguments() const {
  if (!dataset_) throw ValueError("DataLoader: the dataset is null");
  if (batch_size_ < 1) {
    throw ValueError("DataLoader: batch_size = " + std::to_string(batch_size_) + "; expected batch_size >= 1");
  }
  const int64_t examples = dataset_->size();
  if (examples < 1) throw ValueError("DataLoader: the dataset is empty; expected at least one example");
  if (drop_last_ && examples < batch_size_) {
    throw ValueError("DataLoader: drop_last with batch_size " + std::to_string(batch_size_) + " > " +
                     std::to_string(examples) + " examples leaves no batch; expected batch_size <= dataset size");
  }
}

int64_t DataLoader::num_batches() const { return batches_for(dataset_->size(), batch_size_, drop_last_); }

void DataLoader::set_epoch(int64_t epoch) {
  if (epoch < 0) throw ValueError("DataLoader::set_epoch: epoch = " + std::to_string(epoch) + "; expected >= 0");
  next_epoch_ = epoch;
}

std::vector<int64_t> DataLoader::epoch_order(int64_t epoch) const {
  if (epoch < 0) throw ValueError("DataLoader::epoch_order: epoch = " + std::to_string(epoch) + "; expected >= 0");
  const int64_t examples = dataset_->size();
  std::vector<int64_t> order(static_cast<std::size_t>(examples));
  for (int64_t i = 0; i < examples; ++i) order[static_cast<std::size_t>(i)] = i;
  if (!shuffle_) return order;
  Generator generator(epoch_seed(seed_, epoch));
  // BEGIN SOLUTION
  // Fisher–Yates: for i = N-1 down to 1, swap order[i] with order[j], j uniform
  // in [0, i]. Each of the N! orders comes out with probability 1/N!.
  for (int64_t i = examples - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(generator.below(static_cast<uint64_t>(i) + 1));
    std::swap(order[static_cast<std::size_t>(i)], order[static_cast<std::size_t>(j)]);
  }
  // END SOLUTION
  return order;
}

Batch DataLoader::make_batch(std::span<const int64_t> order, int64_t batch_index) const {
  const int64_t listed = static_cast<int64_t>(order.size());
  const int64_t batches = batches_for(listed, batch_size_, drop_last_);
  if (batch_index < 0 || batch_index >= batches) {
    throw IndexError("DataLoader::make_batch: batch " + std::to_string(batch_index) + " out of range: an order of " +
                     std::to_string(listed) + " examples gives " + std::to_string(batches) + " batches of " +
                     std::to_string(batch_size_));
  }
  const int64_t examples = dataset_->size();
  const auto [begin, end] = batch_bounds(batch_index, batch_size_, listed);
  const std::span<const int64_t> rows =
      order.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin));
  for (int64_t row : rows) {
    if (row < 0 || row >= examples) {
      throw IndexError("DataLoader::make_batch: example " + std::to_string(row) + " out of range for " +
                       std::to_string(examples) + " examples");
    }
  }
  if (tensor_dataset_ == nullptr) return stack_examples(*dataset_, rows);
  const Tensor& features = tensor_dataset_->features();
  const Tensor& labels = tensor_dataset_->labels();
  if (are_consecutive(rows)) {  // a view: no copy
    return Batch{features.slice_rows(rows.front(), rows.back() + 1), labels.slice_rows(rows.front(), rows.back() + 1)};
  }
  return Batch{gather_rows(features, rows), gather_rows(labels, rows)};
}

// ---- iteration ---------------------------------------------------------------

DataLoader::Iterator::Iterator(const DataLoader* loader, std::shared_ptr<const std::vector<int64_t>> order,
                               int64_t batch_index)
    : loader_(loader), order_(std::move(order)), batch_index_(batch_index) {
  if (order_ && batch_index_ < loader_->num_batches()) batch_ = loader_->make_batch(*order_, batch_index_);
}

DataLoader::Iterator& DataLoader::Iterator::operator++() {
  ++batch_index_;
  if (batch_index_ < loader_->num_batches()) {
    batch_ = loader_->make_batch(*order_, batch_index_);
  } else {
    batch_ = Batch{};  // past the end: let the last batch's memory go
  }
  return *this;
}

DataLoader::Iterator DataLoader::begin() {
  auto order = std::make_shared<const std::vector<int64_t>>(epoch_order(next_epoch_));
  ++next_epoch_;
  return Iterator(this, std::move(order), 0);
}

DataLoader::Iterator DataLoader::end() const { return Iterator(this, nullptr, num_batches()); }

}  // namespace tinytorch
