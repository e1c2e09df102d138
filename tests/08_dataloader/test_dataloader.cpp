// DataLoader: batch counts, batch contents, shuffling (a uniform permutation per
// epoch, fixed by seed and epoch), the no-copy fast path, and argument errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <numeric>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/core/storage.hpp"
#include "tinytorch/data/dataloader.hpp"

using namespace tinytorch;

namespace {

// Row i of the features is (i, 1000 + i) and the label is i, so every batch
// can be checked against its labels: inputs[r] = (labels[r], 1000 + labels[r]).
TensorDataset identity_dataset(int64_t examples) {
  std::vector<float> features;
  std::vector<int32_t> labels;
  for (int64_t i = 0; i < examples; ++i) {
    features.insert(features.end(), {static_cast<float>(i), static_cast<float>(1000 + i)});
    labels.push_back(static_cast<int32_t>(i));
  }
  return TensorDataset(Tensor::from_values(features, {examples, 2}), Tensor::from_int32(labels, {examples}));
}

// Every example label seen in one epoch, in order.
std::vector<int32_t> one_epoch(DataLoader& loader) {
  std::vector<int32_t> seen;
  for (const Batch& batch : loader) {
    const std::vector<int32_t> labels = batch.labels.to_int32_vector();
    seen.insert(seen.end(), labels.begin(), labels.end());
  }
  return seen;
}

// The same data as identity_dataset, computed on demand: the generic (slow) path.
class ComputedDataset : public Dataset {
 public:
  explicit ComputedDataset(int64_t examples) : examples_(examples) {}
  int64_t size() const override { return examples_; }
  Example get(int64_t index) const override {
    return Example{Tensor::from_values({static_cast<float>(index), static_cast<float>(1000 + index)}),
                   static_cast<int32_t>(index)};
  }

 private:
  int64_t examples_;
};

// An example whose shape depends on its index: cannot be stacked.
class RaggedDataset : public Dataset {
 public:
  int64_t size() const override { return 4; }
  Example get(int64_t index) const override { return Example{Tensor::zeros({1 + index}), 0}; }
};

}  // namespace

TINYTORCH_CONCEPT(DataLoader, "cutting a dataset into (shuffled) mini-batches, epoch after epoch",
                  "order_e = 0..N-1, or FisherYates(0..N-1, Generator(mix(seed, e))) with shuffle; "
                  "batch b = examples order_e[b*B : min((b+1)*B, N)]; "
                  "batches = ceil(N / B), floor(N / B) with drop_last");

TINYTORCH_TEST_FORMULA(DataLoader, NumBatchesIsCeilOrFloorOfExamplesOverBatchSize,
                       "num_batches = ceil(N / B), or floor(N / B) with drop_last, for N in {1,3,17,63,64,65}, "
                       "B in {1,4,64}");
TEST(DataLoader, NumBatchesIsCeilOrFloorOfExamplesOverBatchSize) {
  for (int64_t examples : {1, 3, 17, 63, 64, 65}) {
    for (int64_t batch_size : {1, 4, 64}) {
      // ceil(N / B) batches; floor(N / B) with drop_last (needs N >= B).
      const auto ceil_batches = static_cast<int64_t>(std::ceil(static_cast<double>(examples) / batch_size));
      EXPECT_EQ(DataLoader(identity_dataset(examples), batch_size).num_batches(), ceil_batches)
          << "N=" << examples << " B=" << batch_size;
      if (examples >= batch_size) {
        EXPECT_EQ(DataLoader(identity_dataset(examples), batch_size, false, 0, true).num_batches(),
                  examples / batch_size)
            << "N=" << examples << " B=" << batch_size;
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(DataLoader, UnshuffledBatchesAreConsecutiveRowsInOrder,
                       "without shuffle batch b holds rows b*B .. min((b+1)*B, N) - 1 with their labels: 17 = "
                       "3*5 + 2 gives sizes 5, 5, 5, 2");
TEST(DataLoader, UnshuffledBatchesAreConsecutiveRowsInOrder) {
  DataLoader loader(identity_dataset(17), 5);
  std::vector<int64_t> sizes;
  int32_t next = 0;
  for (const Batch& batch : loader) {
    sizes.push_back(batch.size());
    EXPECT_EQ(batch.inputs.shape(), (Shape{batch.size(), 2}));
    for (int64_t r = 0; r < batch.size(); ++r, ++next) {
      EXPECT_EQ(batch.labels.to_int32_vector()[r], next);
      EXPECT_EQ(batch.inputs.at({r, 0}), static_cast<float>(next));
      EXPECT_EQ(batch.inputs.at({r, 1}), static_cast<float>(1000 + next));
    }
  }
  EXPECT_EQ(sizes, (std::vector<int64_t>{5, 5, 5, 2}));  // 17 = 3·5 + 2: the short batch is kept
  EXPECT_EQ(next, 17);
}

TINYTORCH_TEST_FORMULA(DataLoader, DropLastDropsTheShortBatch,
                       "drop_last: floor(17 / 5) = 3 full batches = examples 0..14; 15 and 16 are dropped");
TEST(DataLoader, DropLastDropsTheShortBatch) {
  DataLoader loader(identity_dataset(17), 5, /*shuffle=*/false, 0, /*drop_last=*/true);
  std::vector<int32_t> seen = one_epoch(loader);
  std::vector<int32_t> first_15(15);
  std::iota(first_15.begin(), first_15.end(), 0);
  EXPECT_EQ(seen, first_15);  // 3 full batches of 5; examples 15 and 16 are dropped
}

TINYTORCH_TEST_FORMULA(DataLoader, UnshuffledBatchIsAViewOfTheDataset,
                       "consecutive rows are a view, not a copy: batch 1 of B = 4 shares the dataset's storage "
                       "at offset 4 * 2 = 8 (rows 4..7 of (10, 2))");
TEST(DataLoader, UnshuffledBatchIsAViewOfTheDataset) {
  TensorDataset dataset = identity_dataset(10);
  DataLoader loader(dataset, 4);
  Batch batch = loader.make_batch(loader.epoch_order(0), 1);
  EXPECT_EQ(batch.inputs.storage(), dataset.features().storage());
  EXPECT_EQ(batch.inputs.offset(), 4 * 2);  // rows 4..7 of a (10, 2) tensor
  EXPECT_EQ(batch.labels.storage(), dataset.labels().storage());
}

TINYTORCH_TEST_FORMULA(DataLoader, ShuffledEpochVisitsEveryExampleOnce,
                       "a shuffled epoch is a permutation: the 65 labels seen, sorted, are 0..64, "
                       "and not in identity order");
TEST(DataLoader, ShuffledEpochVisitsEveryExampleOnce) {
  DataLoader loader(identity_dataset(65), 8, /*shuffle=*/true, /*seed=*/3);
  std::vector<int32_t> seen = one_epoch(loader);
  ASSERT_EQ(seen.size(), 65u);
  std::vector<int32_t> sorted = seen;
  std::sort(sorted.begin(), sorted.end());
  for (int32_t i = 0; i < 65; ++i) EXPECT_EQ(sorted[i], i);
  std::vector<int32_t> identity(65);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_NE(seen, identity);  // 65! orders: the identity has probability 1/65!
}

TINYTORCH_TEST_FORMULA(DataLoader, ShuffledInputsStayWithTheirLabels,
                       "inputs and labels are gathered with the same index: inputs[r] = "
                       "(label_r, 1000 + label_r)");
TEST(DataLoader, ShuffledInputsStayWithTheirLabels) {
  // features and labels must be gathered with the same indices.
  DataLoader loader(identity_dataset(63), 10, /*shuffle=*/true, /*seed=*/11);
  for (const Batch& batch : loader) {
    const std::vector<int32_t> labels = batch.labels.to_int32_vector();
    for (int64_t r = 0; r < batch.size(); ++r) {
      EXPECT_EQ(batch.inputs.at({r, 0}), static_cast<float>(labels[r]));
      EXPECT_EQ(batch.inputs.at({r, 1}), static_cast<float>(1000 + labels[r]));
    }
  }
}

TINYTORCH_TEST_FORMULA(DataLoader, SameSeedGivesSameOrderEveryEpoch,
                       "order_e depends only on (seed, e): same seed -> same order every epoch, "
                       "other seed -> another, each epoch a new order; epoch() = 3 after 3 epochs");
TEST(DataLoader, SameSeedGivesSameOrderEveryEpoch) {
  DataLoader first(identity_dataset(33), 4, true, 1234);
  DataLoader second(identity_dataset(33), 4, true, 1234);
  DataLoader other_seed(identity_dataset(33), 4, true, 1235);
  std::vector<std::vector<int32_t>> epochs;
  for (int epoch = 0; epoch < 3; ++epoch) {
    std::vector<int32_t> order = one_epoch(first);
    EXPECT_EQ(order, one_epoch(second)) << "epoch " << epoch;
    EXPECT_NE(order, one_epoch(other_seed)) << "epoch " << epoch;
    epochs.push_back(order);
  }
  EXPECT_NE(epochs[0], epochs[1]);  // each epoch reshuffles
  EXPECT_NE(epochs[1], epochs[2]);
  EXPECT_EQ(first.epoch(), 3);
}

TINYTORCH_TEST_FORMULA(DataLoader, SetEpochReplaysThatEpochsOrder,
                       "set_epoch(e) gives order_e without replaying epochs 0..e-1; e < 0 throws ValueError");
TEST(DataLoader, SetEpochReplaysThatEpochsOrder) {
  DataLoader loader(identity_dataset(20), 6, true, 99);
  one_epoch(loader);
  one_epoch(loader);
  const std::vector<int32_t> third = one_epoch(loader);  // epoch 2
  DataLoader resumed(identity_dataset(20), 6, true, 99);
  resumed.set_epoch(2);
  EXPECT_EQ(one_epoch(resumed), third);
  EXPECT_THROW(resumed.set_epoch(-1), ValueError);
}

TINYTORCH_TEST_FORMULA(DataLoader, FisherYatesIsUniformOverPermutations,
                       "Fisher-Yates (swap i with j uniform in [0, i]) makes each of the 3! = 6 orders "
                       "probability 1/6: counts over 24000 epochs = 4000 +- 5 sigma, "
                       "sigma = sqrt(24000 * 1/6 * 5/6) = 57.7");
TEST(DataLoader, FisherYatesIsUniformOverPermutations) {
  // Each of the 3! = 6 orders of 3 examples must come out with probability 1/6.
  // Over 24000 epochs a count is Binomial(24000, 1/6): mean 4000, σ = √(24000·1/6·5/6) ≈ 57.7.
  // We allow 5σ. The classic bug (swap with j uniform in [0, N) instead of [0, i])
  // gives probabilities 4/27, 5/27: counts 3556 or 4444, both outside.
  constexpr int kEpochs = 24000;
  constexpr double kExpected = kEpochs / 6.0;
  constexpr double kTolerance = 5 * 57.7;
  DataLoader loader(identity_dataset(3), 3, true, 5);
  std::map<std::vector<int64_t>, int> counts;
  for (int epoch = 0; epoch < kEpochs; ++epoch) ++counts[loader.epoch_order(epoch)];
  ASSERT_EQ(counts.size(), 6u);
  for (const auto& [order, count] : counts) {
    EXPECT_NEAR(count, kExpected, kTolerance) << "order " << order[0] << order[1] << order[2];
  }
}

TINYTORCH_TEST_FORMULA(DataLoader, UnshuffledOrderIsTheIdentity,
                       "without shuffle order_e = 0, 1, ..., N-1 for every epoch e");
TEST(DataLoader, UnshuffledOrderIsTheIdentity) {
  DataLoader loader(identity_dataset(5), 2);
  EXPECT_EQ(loader.epoch_order(0), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(loader.epoch_order(7), (std::vector<int64_t>{0, 1, 2, 3, 4}));
}

TINYTORCH_TEST_FORMULA(DataLoader, ShuffledBatchAllocatesOnlyTheBatchTensors,
                       "a shuffled TensorDataset batch is gathered with memcpy into one inputs and one labels "
                       "tensor: 2 allocations, whatever B (here 32)");
TEST(DataLoader, ShuffledBatchAllocatesOnlyTheBatchTensors) {
  // The TensorDataset path gathers rows into one inputs and one labels tensor:
  // 2 allocations per batch, however many examples it holds.
  DataLoader loader(identity_dataset(64), 32, true, 8);
  const std::vector<int64_t> order = loader.epoch_order(0);
  reset_peak_memory();
  Batch batch = loader.make_batch(order, 0);
  EXPECT_EQ(memory_stats().allocations, 2);
  EXPECT_EQ(batch.size(), 32);
}

TINYTORCH_TEST_FORMULA(DataLoader, KeepsDtypeAndExampleShape,
                       "examples of shape (2, 3) uint8 give batches (B, 2, 3) uint8 with whole rows: pixel k of "
                       "example i = 6 * label + k");
TEST(DataLoader, KeepsDtypeAndExampleShape) {
  // uint8 examples of shape (2, 3): a batch of 4 is (4, 2, 3) uint8, rows gathered whole.
  std::vector<int32_t> values(5 * 6);
  std::iota(values.begin(), values.end(), 0);  // example i holds 6i .. 6i + 5
  Tensor features = Tensor::from_int32(values, {5, 2, 3}).to(DType::UInt8);
  TensorDataset dataset(features, Tensor::from_int32({0, 1, 2, 3, 4}, {5}));
  DataLoader loader(dataset, 4, true, 21);
  for (const Batch& batch : loader) {
    EXPECT_EQ(batch.inputs.dtype(), DType::UInt8);
    EXPECT_EQ(batch.inputs.shape(), (Shape{batch.size(), 2, 3}));
    const std::vector<int32_t> pixels = batch.inputs.to_int32_vector();
    const std::vector<int32_t> labels = batch.labels.to_int32_vector();
    for (int64_t r = 0; r < batch.size(); ++r) {
      for (int k = 0; k < 6; ++k) EXPECT_EQ(pixels[r * 6 + k], 6 * labels[r] + k);
    }
  }
}

TINYTORCH_TEST_FORMULA(DataLoader, GenericDatasetGivesTheSameBatchesAsTensorDataset,
                       "a Dataset read through get(i) gives the same batches, "
                       "values and labels as the TensorDataset fast path (same seed), "
                       "and the same number of batches");
TEST(DataLoader, GenericDatasetGivesTheSameBatchesAsTensorDataset) {
  DataLoader fast(identity_dataset(19), 4, true, 77);
  DataLoader slow(std::make_shared<ComputedDataset>(19), 4, true, 77);
  ASSERT_EQ(fast.num_batches(), slow.num_batches());
  auto fast_batch = fast.begin();
  auto slow_batch = slow.begin();
  for (int64_t b = 0; b < fast.num_batches(); ++b, ++fast_batch, ++slow_batch) {
    EXPECT_EQ(fast_batch->inputs.to_vector(), slow_batch->inputs.to_vector()) << "batch " << b;
    EXPECT_EQ(fast_batch->labels.to_int32_vector(), slow_batch->labels.to_int32_vector()) << "batch " << b;
  }
  EXPECT_TRUE(fast_batch == fast.end());
  EXPECT_TRUE(slow_batch == slow.end());
}

TINYTORCH_TEST_FORMULA(DataLoader, GenericDatasetWithUnequalShapesIsShapeError,
                       "examples of different shapes cannot be stacked into one batch: ShapeError");
TEST(DataLoader, GenericDatasetWithUnequalShapesIsShapeError) {
  DataLoader loader(std::make_shared<RaggedDataset>(), 2);
  EXPECT_THROW(loader.begin(), ShapeError);
}

TINYTORCH_TEST_FORMULA(DataLoader, BadArgumentsAreValueErrors,
                       "B >= 1, N >= 1, a defined dataset, and drop_last needs N >= B (else no batch): otherwise "
                       "ValueError");
TEST(DataLoader, BadArgumentsAreValueErrors) {
  EXPECT_THROW(DataLoader(identity_dataset(5), 0), ValueError);
  EXPECT_THROW(DataLoader(identity_dataset(5), -3), ValueError);
  EXPECT_THROW(DataLoader(identity_dataset(0), 4), ValueError);
  EXPECT_THROW(DataLoader(identity_dataset(5), 8, false, 0, /*drop_last=*/true), ValueError);  // no batch left
  EXPECT_THROW(DataLoader(std::shared_ptr<const Dataset>(), 4), ValueError);
}

TINYTORCH_TEST_FORMULA(DataLoader, MakeBatchChecksItsIndices,
                       "make_batch(order, b) needs 0 <= b < ceil(N / B) = 3 and every index in [0, N), "
                       "else IndexError");
TEST(DataLoader, MakeBatchChecksItsIndices) {
  DataLoader loader(identity_dataset(5), 2);
  const std::vector<int64_t> order = loader.epoch_order(0);
  EXPECT_THROW(loader.make_batch(order, 3), IndexError);  // ceil(5/2) = 3 batches: 0, 1, 2
  EXPECT_THROW(loader.make_batch(order, -1), IndexError);
  const std::vector<int64_t> bad_order = {0, 9};
  EXPECT_THROW(loader.make_batch(bad_order, 0), IndexError);
}
