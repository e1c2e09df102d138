// checks.cpp — Module 01's inline checks: run these first while you write tensor.cpp.
#include "tinytorch/core/inline_checks.hpp"
#include "tinytorch/core/tensor.hpp"

using namespace tinytorch;
using inline_checks::expect;
using inline_checks::expect_near;

int main() {
  return inline_checks::run("01_tensor", {
    {"contiguous strides are row-major: (2,3,4) -> (12,4,1)", [] {
       expect(contiguous_strides({2, 3, 4}) == Shape{12, 4, 1}, "strides[d] = prod(shape[d+1:])");
     }},
    {"arange(0, 5) = 0 1 2 3 4", [] {
       expect(Tensor::arange(0, 5).to_vector() == std::vector<float>{0, 1, 2, 3, 4}, "arange values");
     }},
    {"broadcast (3,1) + (4) -> (3,4)", [] {
       Tensor a = Tensor::from_values({1, 2, 3}, {3, 1});
       Tensor b = Tensor::from_values({10, 20, 30, 40});
       Tensor c = ops::add(a, b);
       expect(c.shape() == Shape{3, 4}, "broadcast shape");
       expect_near(c.at({2, 3}), 3 + 40, 0, "c[2,3] = a[2,0] + b[3]");
     }},
    {"sum over axis 0 of [[1,2],[3,4]] = [4, 6]", [] {
       Tensor a = Tensor::from_values({1, 2, 3, 4}, {2, 2});
       expect(ops::sum(a, 0).to_vector() == std::vector<float>{4, 6}, "column sums");
     }},
    {"transpose is a view: t[j,i] = a[i,j]", [] {
       Tensor a = Tensor::from_values({1, 2, 3, 4, 5, 6}, {2, 3});
       Tensor t = ops::transpose(a, 0, 1);
       expect(t.shape() == Shape{3, 2} && !t.is_contiguous(), "shape (3,2), not contiguous");
       expect_near(t.at({2, 1}), a.at({1, 2}), 0, "t[2,1] = a[1,2]");
     }},
    {"matmul [[1,2],[3,4]] @ [[5],[6]] = [[17],[39]]", [] {
       Tensor a = Tensor::from_values({1, 2, 3, 4}, {2, 2});
       Tensor b = Tensor::from_values({5, 6}, {2, 1});
       expect(ops::matmul(a, b).to_vector() == std::vector<float>{17, 39}, "1*5+2*6 = 17, 3*5+4*6 = 39");
     }},
  });
}
