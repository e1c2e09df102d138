// synthetic.hpp — Module 08: small generated datasets, for tests that must run in milliseconds.
//
// Real data takes seconds to load; a classifier's tests need a problem whose
// answer is known. Both sets here are drawn from a Generator(seed), so the same
// seed gives the same points on every machine (random.hpp).
//
// Spirals (the CS231n toy problem): K arms of n points each, not linearly
// separable, so a linear model fails and an MLP succeeds. Point i of arm k:
//
//   r = (i + 1) / n                                  radius in (0, 1]
//   θ = 2πk / K + 4·r + noise·ε,   ε ~ N(0, 1)       each arm sweeps 4 radians
//   x = (r cos θ, r sin θ),  label k                 row k·n + i
//
// Blobs: K Gaussian clusters in D dimensions, linearly separable when std is
// small against the distance between centres. With one Generator(seed):
//
//   centre[k][d] = uniform(-10, 10)                  drawn first, k-major
//   label_i      = i mod K                           classes interleaved, balanced
//   x_i[d]       = normal(mean = centre[label_i][d], std)   drawn row by row
#pragma once

#include <cstdint>

#include "tinytorch/data/dataset.hpp"

namespace tinytorch {

// features (n_per_class·classes, 2) float32, labels int32 in [0, classes).
TensorDataset make_spirals(int64_t n_per_class, int64_t classes, float noise, uint64_t seed);

// features (n, dims) float32, labels int32 in [0, centers).
TensorDataset make_blobs(int64_t n, int64_t centers, int64_t dims, float std, uint64_t seed);

}  // namespace tinytorch
