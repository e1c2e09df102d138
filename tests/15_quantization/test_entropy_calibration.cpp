// Entropy (KL-divergence) calibration: entropy_threshold_bins must choose the
// same threshold as TensorRT's algorithm in NVIDIA's open implementation.
//
// Where the expected values come from
// -----------------------------------
// The reference is `_compute_amax_entropy` in NVIDIA/TensorRT,
// tools/pytorch-quantization/pytorch_quantization/calib/histogram.py (commit
// a892d22267d9cd2dedc1a0893e6892ac901f6d3d), the open version of the algorithm
// of Migacz, "8-bit Inference with TensorRT" (GTC 2017). It was run UNCHANGED —
// its source is taken out of histogram.py with `ast` and executed — under Debian
// 12's python3-numpy 1.24.2 and python3-scipy 1.10.1, by this script
// (`/usr/bin/python3 gen.py path/to/histogram.py`):
//
//   import ast, logging, math, sys
//   from collections import Counter
//   import numpy as np
//   from scipy.stats import entropy as scipy_entropy
//   source = open(sys.argv[1]).read()
//   function = next(node for node in ast.parse(source).body
//                   if isinstance(node, ast.FunctionDef) and node.name == "_compute_amax_entropy")
//   divergences = []                      # every KL value the function computes, in candidate order
//   def entropy(p, q):                    # scipy's, recorded
//       divergences.append(scipy_entropy(p, q)); return divergences[-1]
//   class torch:                          # the function's one torch call: torch.tensor(amax.item())
//       tensor = staticmethod(lambda value: value)
//   namespace = dict(np=np, Counter=Counter, entropy=entropy, logging=logging, torch=torch)
//   exec(compile(ast.Module([function], []), "histogram.py", "exec"), namespace)
//   def run(name, counts, num_bits=8, start_bin=128):
//       divergences.clear()
//       edges = np.arange(len(counts) + 1)   # edges[i] = i: amax comes back as the number of bins kept
//       kept = namespace["_compute_amax_entropy"](np.array(counts, dtype=np.int64), edges, num_bits,
//                                                 False, 1, start_bin)   # unsigned=False, stride=1
//       d = np.array(divergences); rest = np.delete(d, kept - start_bin); rest = rest[np.isfinite(rest)]
//       gap = (rest.min() - d[kept-start_bin]) / d[kept-start_bin] if rest.size and d[kept-start_bin] > 0 else 0
//       print(f"{name}: kept={kept} KL={d[kept-start_bin]:.6g} next-best/best-1={gap:.2g} "
//             f"inf={np.isinf(d).sum()} nan={np.isnan(d).sum()}")
//   def floor_exp(scale, x):  # floor(scale·e^x), refusing values within 1e-6 of an integer (then C++ agrees)
//       v = scale * math.exp(x); assert x == 0 or v < 0.5 or abs(v - round(v)) > 1e-6, v; return math.floor(v)
//   N = 2048
//   relu_half_normal = [3_000_000] + [floor_exp(1e6, -0.5 * (j / 400) ** 2) for j in range(1, N)]
//   tail = [floor_exp(1e6, -0.5 * (j / 120) ** 2) for j in range(N)]
//   tail[1000] += 5; tail[1500] += 10; tail[2047] += 25
//   flat_then_gap = [1000 + (j * 7919) % 101 if j < 1000 else 0 for j in range(N)]; flat_then_gap[2047] = 2
//   noisy_flat = [1000 + (j * 7919) % 101 for j in range(N)]
//   sparse = [floor_exp(1e5, -j / 150) if (j % 7 == 3 or j % 11 == 0) else 0 for j in range(N)]; sparse[2047] += 3
//   nothing_low = [500] + [0] * 1499 + [3] * 548
//   run("relu_half_normal", relu_half_normal); run("tail_with_outliers", tail)
//   run("flat_then_gap", flat_then_gap); run("noisy_flat", noisy_flat); run("sparse", sparse)
//   run("nothing_low", nothing_low)
//   run("tiny", [40, 6, 4, 2, 1], num_bits=2, start_bin=2)
//   run("small16", [9, 7, 8, 5, 6, 3, 4, 1, 0, 2, 0, 0, 1, 0, 0, 1], num_bits=3, start_bin=4)
//   run("ties", [6, 6, 6, 6, 0, 0, 0, 0], num_bits=3, start_bin=4)
//
// Its output (quantized_bins = 1 << (num_bits − 1): 128 for int8, 4 for num_bits=3, 2 for num_bits=2):
//
//   relu_half_normal:   kept=1921 KL=6.18233e-05 next-best/best-1=0.00037 inf=0    nan=0
//   tail_with_outliers: kept=569  KL=6.09872e-05 next-best/best-1=0.00028 inf=1414 nan=0
//   flat_then_gap:      kept=1000 KL=0.000367396 next-best/best-1=0.03    inf=1047 nan=0
//   noisy_flat:         kept=2048 KL=0.000378678 next-best/best-1=0.54    inf=0    nan=0
//   sparse:             kept=1651 KL=0.000249479 next-best/best-1=0.00069 inf=1567 nan=0
//   nothing_low:        kept=1500 KL=nan         (1373 NaN candidates — see the last test)
//   tiny:               kept=4    KL=0.00649743  next-best/best-1=2.5
//   small16:            kept=13   KL=0.0320427   next-best/best-1=0.26    inf=5
//   ties:               kept=8    KL=0           (every candidate is exactly 0)
//
// "next-best/best-1" is how far the runner-up divergence is from the minimum:
// at least 2.8e-4 relative, far above rounding (~1e-13), so the choice does not
// hinge on the order of floating-point sums. "inf" counts candidates where P has
// mass in an empty last bin (scipy's entropy gives +inf there).
//
// A wider cross-check run once while writing this (not part of the suite): 300
// pseudo-random histograms (numpy default_rng(7); 16 to 512 bins, 2 to 16 quantized
// bins, random start bins; uniform, decaying, sparse and gapped shapes) through
// the same unchanged function and through entropy_threshold_bins. 293 agreed. The
// 7 others were 3 histograms with NaN candidates (the deliberate difference below)
// and 4 exact ties whose last bin is empty: kept = bins − 1 and kept = bins then
// describe the same P and Q, and numpy's pairwise sums over arrays of different
// length made NVIDIA's divergence for bins − 1 smaller by ~1e-16 — a rounding
// artefact; ours computes the two identically and keeps the last, as its rule says.
//
// How NVIDIA's code maps onto entropy_threshold_bins (histogram_observers.hpp):
//   * it returns calib_bin_edges[i] for the chosen candidate i, the right edge of
//     the i kept bins, so with edges[i] = i its result IS our `kept` (T = kept·w);
//   * candidates run i = start_bin, ..., len(bins) inclusive (range(start, stop+1, stride), stride 1);
//   * `bins[0] = bins[1]` first: bin 0 is replaced by its neighbour — ours too;
//   * np.digitize over np.linspace(0, i, nbins+1) puts bin j in group ⌊j·nbins/i⌋
//     (exact: i/nbins is a binary fraction) — ours computes that integer directly;
//   * its _normalize_distr is a no-op (it rebinds a local), but scipy's entropy
//     normalises P and Q itself, gives 0 for p = 0 and +inf for p > 0 = q;
//   * ties go to the LAST minimum (argmin over the reversed list) — ours too;
//   * where nothing lies below i, Q sums to 0 and scipy returns NaN, which
//     np.argmin then picks: ours skips such candidates (the one deliberate difference).
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "concepts.hpp"
#include "tinytorch/perf/histogram_observers.hpp"

namespace tinytorch {
namespace {

constexpr int64_t kBins = 2048;

// floor(scale · e^x): the same closed formulas as the generator above.
double floor_exp(double scale, double x) { return std::floor(scale * std::exp(x)); }

std::vector<double> relu_half_normal() {
  std::vector<double> counts(kBins);
  counts[0] = 3'000'000;  // the spike of exact zeros after a ReLU
  for (int64_t j = 1; j < kBins; ++j) {
    const double x = static_cast<double>(j) / 400.0;
    counts[j] = floor_exp(1e6, -0.5 * x * x);
  }
  return counts;
}

std::vector<double> tail_with_outliers() {
  std::vector<double> counts(kBins);
  for (int64_t j = 0; j < kBins; ++j) {
    const double x = static_cast<double>(j) / 120.0;
    counts[j] = floor_exp(1e6, -0.5 * x * x);  // 0 from bin 631 on
  }
  counts[1000] += 5;
  counts[1500] += 10;
  counts[2047] += 25;
  return counts;
}

// 1000 + a deterministic ripple in [0, 100] over bins [0, bins_with_data).
std::vector<double> ripple(int64_t bins_with_data) {
  std::vector<double> counts(kBins, 0.0);
  for (int64_t j = 0; j < bins_with_data; ++j) counts[j] = 1000.0 + static_cast<double>((j * 7919) % 101);
  return counts;
}

std::vector<double> sparse() {
  std::vector<double> counts(kBins, 0.0);
  for (int64_t j = 0; j < kBins; ++j) {
    if (j % 7 == 3 || j % 11 == 0) counts[j] = floor_exp(1e5, -static_cast<double>(j) / 150.0);
  }
  counts[2047] += 3;
  return counts;
}

TINYTORCH_CONCEPT(EntropyCalibration,
                  "entropy (KL-divergence) calibration, TensorRT's rule: keep the bins whose quantized copy loses "
                  "least information",
                  "counts[0] <- counts[1]; for kept = start_bin..bins: P = counts[0..kept) with every counts[i], "
                  "i >= kept, added to P[kept-1], Q = counts[0..kept) merged into quantized_bins groups (bin j -> "
                  "group floor(j * quantized_bins / kept)) and spread over the group's non-empty bins; "
                  "choose the kept minimising KL(P || Q) = sum p_i * log(p_i / q_i), the last on ties; T = kept * w");

TINYTORCH_TEST_FORMULA(EntropyCalibration, TinyHistogramByHand,
                       "h = [6, 6, 4, 2, 1] (bin 0 <- bin 1); KL(P || Q) for kept 2, 3, 4, 5 = 0.0695, 0.0343, "
                       "0.0065, 0.0228: minimum at kept = 4");
TEST(EntropyCalibration, TinyHistogramByHand) {
  // counts [40, 6, 4, 2, 1], 2 quantized bins, candidates kept = 2..5. Bin 0 becomes
  // counts[1] = 6: h = [6, 6, 4, 2, 1], total 19. Group of bin j: ⌊2j / kept⌋.
  //   kept 2: P = [6, 13]         Q = [6, 6]              KL = 6/19·ln(12/19) + 13/19·ln(26/19)  = 0.069492
  //   kept 3: P = [6, 6, 7]       Q = [6, 6, 4]           KL = 12/19·ln(16/19) + 7/19·ln(28/19)  = 0.034324
  //   kept 4: P = [6, 6, 4, 3]    Q = [6, 6, 3, 3]        KL = 15/19·ln(18/19) + 4/19·ln(24/19)  = 0.006497
  //   kept 5: P = [6, 6, 4, 2, 1] Q = [16/3 ×3, 1.5 ×2]
  //                               KL = (12·ln(9/8) + 4·ln(3/4) + 2·ln(4/3) + ln(2/3)) / 19 = 0.022767
  // (P, Q normalised by 19 and Σ Q = 12, 16, 18, 19.) Minimum at kept = 4; NVIDIA: kept=4.
  EXPECT_EQ(entropy_threshold_bins({40, 6, 4, 2, 1}, 2, 2), 4);
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, BinZeroIsReplacedByItsNeighbour,
                       "counts[0] <- counts[1] before anything else, so any size of the zero spike gives the same "
                       "kept = 4");
TEST(EntropyCalibration, BinZeroIsReplacedByItsNeighbour) {
  // Only counts[1] matters for bin 0 (NVIDIA's bins[0] = bins[1]): the size of the zero spike changes nothing.
  for (double zeros : {0.0, 6.0, 40.0, 1e9}) {
    EXPECT_EQ(entropy_threshold_bins({zeros, 6, 4, 2, 1}, 2, 2), 4) << "counts[0] = " << zeros;
  }
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, SmallHistogramMatchesNvidia,
                       "the expected kept is the output of NVIDIA's unchanged _compute_amax_entropy on the small16 (4 "
                       "quantized bins, start 4) histogram (see the comment at the top of this file): kept = 13");
TEST(EntropyCalibration, SmallHistogramMatchesNvidia) {
  // small16 of the generator: 4 quantized bins (num_bits = 3), start_bin 4 -> NVIDIA kept=13.
  EXPECT_EQ(entropy_threshold_bins({9, 7, 8, 5, 6, 3, 4, 1, 0, 2, 0, 0, 1, 0, 0, 1}, 4, 4), 13);
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, ReluHalfNormalMatchesNvidia,
                       "the expected kept is the output of NVIDIA's unchanged _compute_amax_entropy on the "
                       "relu_half_normal histogram (see the comment at the top of this file): kept = 1921");
TEST(EntropyCalibration, ReluHalfNormalMatchesNvidia) {
  EXPECT_EQ(entropy_threshold_bins(relu_half_normal()), 1921);  // NVIDIA: kept=1921
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, LongTailWithOutlierSpikesMatchesNvidia,
                       "the expected kept is the output of NVIDIA's unchanged _compute_amax_entropy on the "
                       "tail_with_outliers histogram (see the comment at the top of this file): kept = 569");
TEST(EntropyCalibration, LongTailWithOutlierSpikesMatchesNvidia) {
  // Data ends near bin 630, then 5 + 10 + 25 outliers far out: the threshold stays
  // just past the body. 1414 candidates are +inf (the last kept bin is empty but
  // receives the outliers), exactly as in NVIDIA's run.
  EXPECT_EQ(entropy_threshold_bins(tail_with_outliers()), 569);  // NVIDIA: kept=569
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, FlatBodyThenOneFarOutlierMatchesNvidia,
                       "the expected kept is the output of NVIDIA's unchanged _compute_amax_entropy on the "
                       "flat_then_gap histogram (see the comment at the top of this file): kept = 1000, "
                       "the end of the flat body");
TEST(EntropyCalibration, FlatBodyThenOneFarOutlierMatchesNvidia) {
  std::vector<double> counts = ripple(1000);
  counts[2047] = 2;
  EXPECT_EQ(entropy_threshold_bins(counts), 1000);  // NVIDIA: kept=1000, the end of the flat body
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, FlatHistogramKeepsEveryBin,
                       "the expected kept is the output of NVIDIA's unchanged _compute_amax_entropy on the noisy_flat "
                       "histogram (see the comment at the top of this file): kept = 2048, every bin");
TEST(EntropyCalibration, FlatHistogramKeepsEveryBin) {
  EXPECT_EQ(entropy_threshold_bins(ripple(kBins)), kBins);  // NVIDIA: kept=2048: nothing to clip
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, ManyEmptyBinsMatchesNvidia,
                       "the expected kept is the output of NVIDIA's unchanged _compute_amax_entropy on the sparse "
                       "histogram (see the comment at the top of this file): kept = 1651 (Q spreads a group only over "
                       "its non-empty bins)");
TEST(EntropyCalibration, ManyEmptyBinsMatchesNvidia) {
  // Only bins j ≡ 3 (mod 7) or j ≡ 0 (mod 11) hold data: Q spreads each group's
  // total over its non-empty bins only, and empty bins stay empty.
  EXPECT_EQ(entropy_threshold_bins(sparse()), 1651);  // NVIDIA: kept=1651
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, TiesGoToTheLargestCandidate,
                       "Q = P exactly for every kept in 4..8, so KL = 0 five times; "
                       "ties go to the LAST minimum: kept = 8");
TEST(EntropyCalibration, TiesGoToTheLargestCandidate) {
  // [6, 6, 6, 6, 0, 0, 0, 0], 4 quantized bins, start 4: for every kept in 4..8, Q = P
  // exactly (the data fills whole groups, empty bins stay empty), so KL = 0 five
  // times. NVIDIA takes the last minimum: kept=8. (The first would be 4.)
  EXPECT_EQ(entropy_threshold_bins({6, 6, 6, 6, 0, 0, 0, 0}, 4, 4), 8);
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, ScalingAllCountsChangesNothing,
                       "KL compares normalised P and Q: counts * 3 gives the same kept = 1921");
TEST(EntropyCalibration, ScalingAllCountsChangesNothing) {
  // KL compares normalised distributions: 3× the data, same threshold.
  std::vector<double> counts = relu_half_normal();
  for (double& count : counts) count *= 3.0;
  EXPECT_EQ(entropy_threshold_bins(counts), 1921);
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, CandidatesWithNothingBelowAreSkipped,
                       "a kept with no count below it has no Q and is skipped (NVIDIA picks its NaN); "
                       "if every other is skipped or worse, kept = bins (here KL = 0 only at kept = bins)");
TEST(EntropyCalibration, CandidatesWithNothingBelowAreSkipped) {
  // nothing_low: 500 zeros in bin 0 (replaced by counts[1] = 0), then data only in
  // bins 1500..2047 (3 each). For kept ≤ 1500, Q has no mass: NVIDIA's code gets
  // NaN from scipy there and np.argmin picks a NaN, kept=1500 — a threshold below
  // every value. We skip those candidates: among kept = 1501..2048 only kept = 2048
  // has KL = 0 (no outliers, every group holds equal non-empty bins, so Q = P).
  std::vector<double> counts(kBins, 0.0);
  counts[0] = 500;
  for (int64_t j = 1500; j < kBins; ++j) counts[j] = 3;
  EXPECT_EQ(entropy_threshold_bins(counts), kBins);
  // With no data at all below the top bin, every candidate but the last is skipped.
  std::vector<double> top_only(16, 0.0);
  top_only[15] = 7;
  EXPECT_EQ(entropy_threshold_bins(top_only, 4, 4), 16);
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, RejectsBadArguments,
                       "needs bins >= 2, 1 <= start_bin <= bins, quantized_bins >= 1, finite counts >= 0; "
                       "otherwise ValueError");
TEST(EntropyCalibration, RejectsBadArguments) {
  EXPECT_THROW(entropy_threshold_bins({5}, 1, 1), ValueError);                  // bins < 2: no counts[1]
  EXPECT_THROW(entropy_threshold_bins({1, 2, 3, 4}, 2, 5), ValueError);         // start_bin > bins
  EXPECT_THROW(entropy_threshold_bins({1, 2, 3, 4}, 2, 0), ValueError);         // start_bin < 1
  EXPECT_THROW(entropy_threshold_bins({1, 2, 3, 4}, 0, 2), ValueError);         // no quantized bins
  EXPECT_THROW(entropy_threshold_bins({1, -2, 3, 4}, 2, 2), ValueError);        // negative count
  EXPECT_THROW(entropy_threshold_bins({1, NAN, 3, 4}, 2, 2), ValueError);       // NaN count
  EXPECT_THROW(entropy_threshold_bins({1, 2, INFINITY, 4}, 2, 2), ValueError);  // infinite count
}

TINYTORCH_TEST_FORMULA(EntropyCalibration, ObserverThresholdIsKeptBinsTimesWidth,
                       "T = kept * w = 13 * 1; no negative seen -> range [0, 13]: int8 affine scale = 13 / 255, "
                       "zero_point = -128");
TEST(EntropyCalibration, ObserverThresholdIsKeptBinsTimesWidth) {
  // Values at bin centres j + 0.5 reproduce small16 in a 16-bin AbsHistogram over
  // [0, 16]: the last count is the value 16 itself, which sets upper = 16, w = 1.
  // NVIDIA's kept = 13 -> T = 13 · 1.
  const std::vector<double> small16 = {9, 7, 8, 5, 6, 3, 4, 1, 0, 2, 0, 0, 1, 0, 0, 1};
  std::vector<float> values;
  for (int j = 0; j < 15; ++j) values.insert(values.end(), static_cast<std::size_t>(small16[j]), j + 0.5f);
  values.push_back(16.0f);
  EntropyObserver observer(16, 4, 4);
  observer.observe(Tensor::from_values(values));
  ASSERT_EQ(observer.histogram().counts(), small16);
  EXPECT_EQ(observer.threshold(), 13.0);
  // No negative value: the clip range is [0, 13]; int8 affine -> s = 13/255, z = −128.
  const QParams params = observer.compute_qparams({});
  EXPECT_FLOAT_EQ(params.scale[0], 13.0f / 255.0f);
  EXPECT_EQ(params.zero_point[0], -128);
}

}  // namespace
}  // namespace tinytorch
