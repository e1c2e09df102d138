// autograd_tensor_ops.cpp — the differentiable versions of module 01's
// operations (declared in tensor.hpp): each runs the ops:: forward math, then
// records a Node whose backward applies the operation's local derivative.
//
// Notation in the comments: g = dL/d(output), same shape as the output.
// Broadcasting: if a was broadcast from shape (3,1) to (3,4) in the forward
// pass, each a[i,0] was used 4 times, so its gradient is the *sum* of those 4
// gradients — ops::sum_to_shape(g, a.shape()) undoes the broadcast.
#include <string>

#include "tinytorch/core/autograd.hpp"

namespace tinytorch {
namespace {

int64_t resolve_axis(int64_t axis, const Shape& shape) {
  return axis < 0 ? axis + static_cast<int64_t>(shape.size()) : axis;
}

// g has the reduced shape (the axis removed, or kept as size 1); the result
// has `input_shape`, with each g value copied along `axis` — the gradient of
// any sum over that axis. Built as module 01 builds broadcasts: a view with
// stride 0 along the axis, then one contiguous copy.
[[maybe_unused]] Tensor expand_along_axis(const Tensor& g, const Shape& input_shape, int64_t axis) {
  Shape kept_shape = input_shape;
  kept_shape[static_cast<std::size_t>(axis)] = 1;
  const Tensor g_kept = ops::reshape(g, kept_shape);
  Shape strides = g_kept.strides();
  strides[static_cast<std::size_t>(axis)] = 0;
  return Tensor(g_kept.storage(), input_shape, strides, g_kept.offset(), DType::Float32).contiguous();
}

// ---- element-wise, tensor ⊕ tensor ------------------------------------------------

// y = a + b:  da = g,  db = g   (each summed back to its input's shape)
struct AddBackward : Node {
  Shape a_shape, b_shape;
  const char* name() const override { return "AddBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor da, db;
    // BEGIN SOLUTION
    if (needs_grad(0)) da = ops::sum_to_shape(g, a_shape);
    if (needs_grad(1)) db = ops::sum_to_shape(g, b_shape);
    // END SOLUTION
    return {da, db};
  }
};

// y = a - b:  da = g,  db = -g
struct SubBackward : Node {
  Shape a_shape, b_shape;
  const char* name() const override { return "SubBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor da, db;
    // BEGIN SOLUTION
    if (needs_grad(0)) da = ops::sum_to_shape(g, a_shape);
    if (needs_grad(1)) db = ops::sum_to_shape(ops::neg(g), b_shape);
    // END SOLUTION
    return {da, db};
  }
};

// y = a * b:  da = g * b,  db = g * a
struct MulBackward : Node {
  Tensor a, b;
  const char* name() const override { return "MulBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor da, db;
    // BEGIN SOLUTION
    if (needs_grad(0)) da = ops::sum_to_shape(ops::mul(g, b), a.shape());
    if (needs_grad(1)) db = ops::sum_to_shape(ops::mul(g, a), b.shape());
    // END SOLUTION
    return {da, db};
  }
};

// y = a / b:  da = g / b,  db = -g * a / b²
struct DivBackward : Node {
  Tensor a, b;
  const char* name() const override { return "DivBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor da, db;
    // BEGIN SOLUTION
    if (needs_grad(0)) da = ops::sum_to_shape(ops::div(g, b), a.shape());
    if (needs_grad(1)) db = ops::sum_to_shape(ops::neg(ops::div(ops::mul(g, a), ops::mul(b, b))), b.shape());
    // END SOLUTION
    return {da, db};
  }
};

// ---- element-wise, tensor ⊕ scalar and unary --------------------------------------

// y = a + s (and a - s):  da = g
struct AddScalarBackward : Node {
  const char* name() const override { return "AddScalarBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {g};
    // END SOLUTION
  }
};

// y = a * s:  da = s * g
struct MulScalarBackward : Node {
  float scale = 1.0f;
  const char* name() const override { return "MulScalarBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {ops::mul_scalar(g, scale)};
    // END SOLUTION
  }
};

// y = a / s:  da = g / s
struct DivScalarBackward : Node {
  float divisor = 1.0f;
  const char* name() const override { return "DivScalarBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {ops::div(g, Tensor::scalar(divisor))};
    // END SOLUTION
  }
};

// y = -a:  da = -g
struct NegBackward : Node {
  const char* name() const override { return "NegBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {ops::neg(g)};
    // END SOLUTION
  }
};

// y = e^a:  da = g * e^a = g * y
struct ExpBackward : Node {
  Tensor out;  // y, saved detached
  const char* name() const override { return "ExpBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {ops::mul(g, out)};
    // END SOLUTION
  }
};

// y = log a:  da = g / a
struct LogBackward : Node {
  Tensor a;
  const char* name() const override { return "LogBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {ops::div(g, a)};
    // END SOLUTION
  }
};

// y = √a:  da = g / (2√a) = g * 0.5 / y
struct SqrtBackward : Node {
  Tensor out;
  const char* name() const override { return "SqrtBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {ops::div(ops::mul_scalar(g, 0.5f), out)};
    // END SOLUTION
  }
};

// y = a^p:  da = g * p * a^(p-1)
struct PowBackward : Node {
  Tensor a;
  float exponent = 1.0f;
  const char* name() const override { return "PowBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {ops::mul(g, ops::mul_scalar(ops::pow_scalar(a, exponent - 1.0f), exponent))};
    // END SOLUTION
  }
};

// ---- matrix multiply ---------------------------------------------------------------

// y = a @ b,  a:(M,K) b:(K,N) g:(M,N)
//   da = g @ bᵀ  (M,N)(N,K) -> (M,K)
//   db = aᵀ @ g  (K,M)(M,N) -> (K,N)
// The transposes are sgemm flags, not copies.
struct MatMulBackward : Node {
  Tensor a, b;
  const char* name() const override { return "MatMulBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor da, db;
    // BEGIN SOLUTION
    if (needs_grad(0)) da = ops::matmul(g, b, false, true);
    if (needs_grad(1)) db = ops::matmul(a, g, true, false);
    // END SOLUTION
    return {da, db};
  }
};

// ---- reductions --------------------------------------------------------------------

// y = Σ_axis a:  every a element along the axis contributed once, so
// da = g copied along the axis.
struct SumBackward : Node {
  Shape input_shape;
  int64_t axis = 0;  // resolved (non-negative)
  const char* name() const override { return "SumBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {expand_along_axis(g, input_shape, axis)};
    // END SOLUTION
  }
};

// y = Σ_all a (shape {}):  da = g everywhere
struct SumAllBackward : Node {
  Shape input_shape;
  const char* name() const override { return "SumAllBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {Tensor::full(input_shape, g.item())};
    // END SOLUTION
  }
};

// y = (1/n) Σ_axis a:  da = g / n copied along the axis
struct MeanBackward : Node {
  Shape input_shape;
  int64_t axis = 0;
  const char* name() const override { return "MeanBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    const float n = static_cast<float>(input_shape[static_cast<std::size_t>(axis)]);
    return {expand_along_axis(ops::mul_scalar(g, 1.0f / n), input_shape, axis)};
    // END SOLUTION
  }
};

// y = (1/N) Σ_all a:  da = g / N everywhere
struct MeanAllBackward : Node {
  Shape input_shape;
  const char* name() const override { return "MeanAllBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {Tensor::full(input_shape, g.item() / static_cast<float>(shape_numel(input_shape)))};
    // END SOLUTION
  }
};

// y = max_axis a:  only the maximum moved y, so da = g at the argmax position
// (the first maximum, as ops::argmax picks), 0 elsewhere.
struct MaxBackward : Node {
  Shape input_shape;
  int64_t axis = 0;
  Tensor argmax;  // int32, the reduced shape: where each maximum was
  const char* name() const override { return "MaxBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor da = Tensor::zeros(input_shape);
    // BEGIN SOLUTION
    int64_t outer = 1, inner = 1;  // input seen as (outer, n, inner), n the reduced axis
    for (int64_t d = 0; d < axis; ++d) outer *= input_shape[static_cast<std::size_t>(d)];
    for (std::size_t d = static_cast<std::size_t>(axis) + 1; d < input_shape.size(); ++d) inner *= input_shape[d];
    const int64_t n = input_shape[static_cast<std::size_t>(axis)];
    const Tensor g_packed = g.contiguous();
    const float* grad = g_packed.data<float>();
    const int32_t* where = argmax.data<int32_t>();
    float* out = da.data<float>();
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t i = 0; i < inner; ++i) {
        const int64_t reduced = o * inner + i;
        out[(o * n + where[reduced]) * inner + i] = grad[reduced];
      }
    }
    // END SOLUTION
    return {da};
  }
};

// ---- views -----------------------------------------------------------------------

// y = reshape(a):  the same numbers in a new shape, so da = reshape(g) back.
struct ReshapeBackward : Node {
  Shape input_shape;
  const char* name() const override { return "ReshapeBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {ops::reshape(g, input_shape)};
    // END SOLUTION
  }
};

// y = transpose(a, i, j):  da = transpose(g, i, j) (swapping twice is the identity)
struct TransposeBackward : Node {
  int64_t axis0 = 0, axis1 = 0;
  const char* name() const override { return "TransposeBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {ops::transpose(g, axis0, axis1)};
    // END SOLUTION
  }
};

}  // namespace

// ---- the differentiable functions --------------------------------------------------

Tensor operator+(const Tensor& a, const Tensor& b) {
  Tensor out = ops::add(a, b);
  if (auto node = record<AddBackward>(out, a, b)) {
    node->a_shape = a.shape();
    node->b_shape = b.shape();
  }
  return out;
}

Tensor operator-(const Tensor& a, const Tensor& b) {
  Tensor out = ops::sub(a, b);
  if (auto node = record<SubBackward>(out, a, b)) {
    node->a_shape = a.shape();
    node->b_shape = b.shape();
  }
  return out;
}

Tensor operator*(const Tensor& a, const Tensor& b) {
  Tensor out = ops::mul(a, b);
  if (auto node = record<MulBackward>(out, a, b)) {
    node->a = a.detach();
    node->b = b.detach();
  }
  return out;
}

Tensor operator/(const Tensor& a, const Tensor& b) {
  Tensor out = ops::div(a, b);
  if (auto node = record<DivBackward>(out, a, b)) {
    node->a = a.detach();
    node->b = b.detach();
  }
  return out;
}

Tensor operator+(const Tensor& a, float s) {
  Tensor out = ops::add_scalar(a, s);
  record<AddScalarBackward>(out, a);
  return out;
}

Tensor operator-(const Tensor& a, float s) {
  Tensor out = ops::add_scalar(a, -s);
  record<AddScalarBackward>(out, a);
  return out;
}

Tensor operator*(const Tensor& a, float s) {
  Tensor out = ops::mul_scalar(a, s);
  if (auto node = record<MulScalarBackward>(out, a)) node->scale = s;
  return out;
}

Tensor operator*(float s, const Tensor& a) { return a * s; }

// Divides (rather than multiplying by 1/s) so that x / 3 is the correctly
// rounded quotient, as the same division of two tensors would be.
Tensor operator/(const Tensor& a, float s) {
  Tensor out = ops::div(a, Tensor::scalar(s));
  if (auto node = record<DivScalarBackward>(out, a)) node->divisor = s;
  return out;
}

Tensor operator-(const Tensor& a) {
  Tensor out = ops::neg(a);
  record<NegBackward>(out, a);
  return out;
}

Tensor exp(const Tensor& a) {
  Tensor out = ops::exp(a);
  if (auto node = record<ExpBackward>(out, a)) node->out = out.detach();
  return out;
}

Tensor log(const Tensor& a) {
  Tensor out = ops::log(a);
  if (auto node = record<LogBackward>(out, a)) node->a = a.detach();
  return out;
}

Tensor sqrt(const Tensor& a) {
  Tensor out = ops::sqrt(a);
  if (auto node = record<SqrtBackward>(out, a)) node->out = out.detach();
  return out;
}

Tensor pow(const Tensor& a, float exponent) {
  Tensor out = ops::pow_scalar(a, exponent);
  if (auto node = record<PowBackward>(out, a)) {
    node->a = a.detach();
    node->exponent = exponent;
  }
  return out;
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  Tensor out = ops::matmul(a, b);
  if (auto node = record<MatMulBackward>(out, a, b)) {
    node->a = a.detach();
    node->b = b.detach();
  }
  return out;
}

Tensor sum(const Tensor& a, int64_t axis, bool keepdim) {
  Tensor out = ops::sum(a, axis, keepdim);
  if (auto node = record<SumBackward>(out, a)) {
    node->input_shape = a.shape();
    node->axis = resolve_axis(axis, a.shape());
  }
  return out;
}

Tensor sum(const Tensor& a) {
  Tensor out = ops::sum_all(a);
  if (auto node = record<SumAllBackward>(out, a)) node->input_shape = a.shape();
  return out;
}

Tensor mean(const Tensor& a, int64_t axis, bool keepdim) {
  Tensor out = ops::mean(a, axis, keepdim);
  if (auto node = record<MeanBackward>(out, a)) {
    node->input_shape = a.shape();
    node->axis = resolve_axis(axis, a.shape());
  }
  return out;
}

Tensor mean(const Tensor& a) {
  Tensor out = ops::mean_all(a);
  if (auto node = record<MeanAllBackward>(out, a)) node->input_shape = a.shape();
  return out;
}

Tensor max(const Tensor& a, int64_t axis, bool keepdim) {
  Tensor out = ops::max(a, axis, keepdim);
  if (auto node = record<MaxBackward>(out, a)) {
    node->input_shape = a.shape();
    node->axis = resolve_axis(axis, a.shape());
    node->argmax = ops::argmax(a, axis);  // only computed when a gradient will need it
  }
  return out;
}

Tensor reshape(const Tensor& a, const Shape& shape) {
  Tensor out = ops::reshape(a, shape);
  if (auto node = record<ReshapeBackward>(out, a)) node->input_shape = a.shape();
  return out;
}

Tensor transpose(const Tensor& a, int64_t axis0, int64_t axis1) {
  Tensor out = ops::transpose(a, axis0, axis1);
  if (auto node = record<TransposeBackward>(out, a)) {
    node->axis0 = axis0;
    node->axis1 = axis1;
  }
  return out;
}

Tensor argmax(const Tensor& a, int64_t axis) { return ops::argmax(a, axis); }

}  // namespace tinytorch
