// matmul through OpenBLAS, checked against a plain triple loop (the reference)
// on awkward shapes, transposed views and row slices.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "concepts.hpp"
#include "tinytorch/core/blas.hpp"
#include "tinytorch/core/cpu_features.hpp"
#include "tinytorch/core/tensor.hpp"

using namespace tinytorch;

namespace {

// Reference: C[i][j] = Σ_k A[i][k] B[k][j], accumulated in double.
std::vector<double> matmul_ref(const Tensor& a, const Tensor& b) {
  const int64_t m = a.shape()[0], k = a.shape()[1], n = b.shape()[1];
  std::vector<double> c(static_cast<size_t>(m * n), 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p) c[i * n + j] += double(a.at({i, p})) * double(b.at({p, j}));
  return c;
}

// Float GEMM error grows with the depth K: tolerance = kEpsPerSqrtK * sqrt(K) for
// inputs of magnitude ~1 (standard normal).
constexpr double kEpsPerSqrtK = 1e-5;

void expect_matches_ref(const Tensor& c, const Tensor& a, const Tensor& b, const std::string& what) {
  const std::vector<double> ref = matmul_ref(a, b);
  const std::vector<float> got = c.to_vector();
  ASSERT_EQ(got.size(), ref.size()) << what;
  const double tolerance = kEpsPerSqrtK * std::sqrt(double(a.shape()[1])) * 10;
  for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(got[i], ref[i], tolerance) << what << " element " << i;
}

}  // namespace

TINYTORCH_CONCEPT(TensorMatmul, "matrix multiply through OpenBLAS sgemm, checked against a triple loop",
                  "C[i, j] = sum_k A[i, k] * B[k, j], A:(M,K) B:(K,N) -> C:(M,N); "
                  "|C - C_ref| <= 1e-4 * sqrt(K) (C_ref summed in double)");

TINYTORCH_TEST_FORMULA(TensorMatmul, HandComputed,
                       "[[1,2],[3,4]] @ [[5,6],[7,8]] = [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]] = "
                       "[[19,22],[43,50]]");
TEST(TensorMatmul, HandComputed) {
  // [[1,2],[3,4]] @ [[5,6],[7,8]] = [[1*5+2*7, 1*6+2*8], [3*5+4*7, 3*6+4*8]] = [[19,22],[43,50]]
  Tensor a = Tensor::from_values({1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::from_values({5, 6, 7, 8}, {2, 2});
  EXPECT_EQ(ops::matmul(a, b).to_vector(), (std::vector<float>{19, 22, 43, 50}));
}

TINYTORCH_TEST_FORMULA(TensorMatmul, OddShapesMatchReference,
                       "C[i, j] = sum_k A[i, k] * B[k, j] for M in {1,3,17,64}, K in {1,7,65}, N in {1,10,63}; "
                       "|C - C_ref| <= 1e-4 * sqrt(K)");
TEST(TensorMatmul, OddShapesMatchReference) {
  Generator g(11);
  for (int64_t m : {1, 3, 17, 64}) {
    for (int64_t k : {1, 7, 65}) {
      for (int64_t n : {1, 10, 63}) {
        Tensor a = Tensor::randn({m, k}, 0, 1, g);
        Tensor b = Tensor::randn({k, n}, 0, 1, g);
        const std::string shape = fmt::format("M{} K{} N{}", m, k, n);
        expect_matches_ref(ops::matmul(a, b), a, b, shape);
      }
    }
  }
}

TINYTORCH_TEST_FORMULA(TensorMatmul, TransposeFlagsAndTransposedViewsAgree,
                       "matmul(a, b, trans_a, trans_b) = op(a) @ op(b), "
                       "op = transpose when its flag is set: x @ copy(w^T) = matmul(x, w, false, true) = "
                       "matmul(x, transpose(w)) = matmul(x^T, w, true, true), exactly");
TEST(TensorMatmul, TransposeFlagsAndTransposedViewsAgree) {
  Generator g(5);
  Tensor x = Tensor::randn({9, 13}, 0, 1, g);   // (M,K)
  Tensor w = Tensor::randn({6, 13}, 0, 1, g);   // (N,K): y = x w^T, as in Linear
  Tensor wt = ops::transpose(w, 0, 1).contiguous();
  const Tensor expected = ops::matmul(x, wt);
  expect_matches_ref(expected, x, wt, "x @ w^T (copied)");
  EXPECT_EQ(ops::matmul(x, w, false, true).to_vector(), expected.to_vector());
  EXPECT_EQ(ops::matmul(x, ops::transpose(w, 0, 1)).to_vector(), expected.to_vector());
  Tensor xt = ops::transpose(x, 0, 1).contiguous();  // (K,M)
  EXPECT_EQ(ops::matmul(xt, w, true, true).to_vector(), expected.to_vector());
}

TINYTORCH_TEST_FORMULA(TensorMatmul, RowSliceUsesLeadingDimension,
                       "a.slice_rows(3, 7) = rows 3..6 of a (a view whose row stride, the leading dimension, is "
                       "5); C = rows @ b matches the triple loop within 1e-4 * sqrt(K)");
TEST(TensorMatmul, RowSliceUsesLeadingDimension) {
  Generator g(9);
  Tensor a = Tensor::randn({10, 5}, 0, 1, g);
  Tensor b = Tensor::randn({5, 4}, 0, 1, g);
  Tensor rows = a.slice_rows(3, 7);
  expect_matches_ref(ops::matmul(rows, b), rows, b, "row slice");
}

TINYTORCH_TEST_FORMULA(TensorMatmul, InnerDimensionMismatchNamesShapes,
                       "op(a):(M,K1) @ op(b):(K2,N) needs K1 = K2, "
                       "else ShapeError naming matmul and both shapes; a 1-D input is a ShapeError");
TEST(TensorMatmul, InnerDimensionMismatchNamesShapes) {
  try {
    ops::matmul(Tensor::zeros({3, 4}), Tensor::zeros({5, 2}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("matmul"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(3, 4)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("(5, 2)"), std::string::npos) << msg;
  }
  EXPECT_THROW(ops::matmul(Tensor::zeros({3}), Tensor::zeros({3, 1})), ShapeError);
}

TINYTORCH_TEST_FORMULA(TensorMatmul, EmptyInnerDimensionGivesZeros,
                       "K = 0: C[i, j] = an empty sum = 0, so (2,0) @ (0,3) = six zeros");
TEST(TensorMatmul, EmptyInnerDimensionGivesZeros) {
  EXPECT_EQ(ops::matmul(Tensor::zeros({2, 0}), Tensor::zeros({0, 3})).to_vector(), std::vector<float>(6, 0.0f));
}

TINYTORCH_TEST_FORMULA(TensorMatmul, OpenBlasUsesAvx512KernelsWhenTheCpuHasThem,
                       "CPU with AVX-512 -> blas.cpp sets OPENBLAS_CORETYPE=SkylakeX before loading OpenBLAS, "
                       "so blas_info().core = skylakex (skipped without AVX-512 or when "
                       "TINYTORCH_OPENBLAS_CORETYPE forces a core)");
TEST(TensorMatmul, OpenBlasUsesAvx512KernelsWhenTheCpuHasThem) {
  // Debian's OpenBLAS 0.3.21 takes Zen 4/5 for Haswell; blas.cpp sets
  // OPENBLAS_CORETYPE=SkylakeX before loading it when the CPU has AVX-512.
  const BlasInfo info = blas_info();
  ASSERT_FALSE(info.core.empty());
  if (!cpu_features().avx512()) GTEST_SKIP() << "no AVX-512 on this CPU: " << cpu_summary();
  if (std::getenv("TINYTORCH_OPENBLAS_CORETYPE") != nullptr) GTEST_SKIP() << "core forced by TINYTORCH_OPENBLAS_CORETYPE";
  std::string core = info.core;
  for (char& c : core) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(core, "skylakex") << blas_summary();
}

TINYTORCH_TEST_FORMULA(TensorMatmul, SingleRowTakesTheMatrixVectorPathInEveryLayout,
                       "M = 1 runs sgemv: y[j] = sum_k x[k] * op(W)[k, j] for all four (trans_a, trans_b) and a "
                       "row read with stride 3; |y - y_ref| <= 1e-4 * sqrt(K)");
TEST(TensorMatmul, SingleRowTakesTheMatrixVectorPathInEveryLayout) {
  // M = 1 goes to sgemv (blas.cpp); check all four transpose combinations and a
  // row slice (leading dimension > K) against the triple loop.
  Generator g(21);
  for (int64_t k : {1, 3, 65}) {
    for (int64_t n : {1, 17, 257}) {
      Tensor x = Tensor::randn({1, k}, 0, 1, g);
      Tensor w_nk = Tensor::randn({n, k}, 0, 1, g);                // Linear layout
      Tensor w_kn = ops::transpose(w_nk, 0, 1).contiguous();      // (K,N)
      Tensor x_k1 = ops::transpose(x, 0, 1).contiguous();         // (K,1)
      const std::string shape = fmt::format("M1 K{} N{}", k, n);
      expect_matches_ref(ops::matmul(x, w_kn), x, w_kn, shape + " a@b");
      expect_matches_ref(ops::matmul(x, w_nk, false, true), x, w_kn, shape + " a@bT");
      expect_matches_ref(ops::matmul(x_k1, w_kn, true, false), x, w_kn, shape + " aT@b");
      expect_matches_ref(ops::matmul(x_k1, w_nk, true, true), x, w_kn, shape + " aT@bT");
      // a transposed (K,1) view read with a step of lda = 1 column... and a (1,K) view of
      // a transposed (K,M=3) block: row 0 of op(A) is strided by lda = 3
      Tensor block = Tensor::randn({k, 3}, 0, 1, g);
      Tensor first_column = ops::transpose(block, 0, 1).slice_rows(0, 1);  // (1,K), strides (1,3)
      expect_matches_ref(ops::matmul(first_column, w_kn), first_column.contiguous(), w_kn, shape + " strided row");
    }
  }
}
