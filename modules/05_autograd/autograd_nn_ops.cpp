// autograd_nn_ops.cpp — the differentiable activations (module 02), losses
// (module 04) and the fused linear layer (module 03): forward by the ops::
// math of their modules, backward by the derivatives below.
//
// Notation: g = dL/d(output). Element-wise backward passes are written as one
// loop over contiguous memory (zip_elementwise) instead of a chain of ops::
// calls, so that each costs one pass and one allocation.
#include <algorithm>
#include <cmath>
#include <string>

#include "tinytorch/core/activations.hpp"
#include "tinytorch/core/autograd.hpp"
#include "tinytorch/core/linear.hpp"
#include "tinytorch/core/losses.hpp"

namespace tinytorch {
namespace {

// out[i] = f(a[i], b[i]) for two tensors of one shape (typically g and a saved tensor).
template <typename F> Tensor zip_elementwise(const Tensor& a, const Tensor& b, F f) {
  const Tensor a_packed = a.contiguous(), b_packed = b.contiguous();
  Tensor out = Tensor::empty(b.shape());
  const float* first = a_packed.data<float>();
  const float* second = b_packed.data<float>();
  float* o = out.data<float>();
  const int64_t count = out.numel();
  for (int64_t i = 0; i < count; ++i) o[i] = f(first[i], second[i]);
  return out;
}

// A contiguous shape seen as (outer, n, inner), n = the size of `axis`:
// consecutive elements of one line along the axis are `inner` apart.
struct AxisLines {
  int64_t outer = 1, n = 1, inner = 1;
};

AxisLines axis_lines(const Shape& shape, int64_t axis) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t resolved = axis < 0 ? axis + rank : axis;
  AxisLines lines;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t size = shape[static_cast<std::size_t>(d)];
    if (d < resolved) lines.outer *= size;
    if (d == resolved) lines.n = size;
    if (d > resolved) lines.inner *= size;
  }
  return lines;
}

// out = line(g, y) for every line along the axis; g and y of one shape.
template <typename Line> Tensor map_lines(const Tensor& g, const Tensor& y, int64_t axis, Line line) {
  const AxisLines lines = axis_lines(y.shape(), axis);
  const Tensor g_packed = g.contiguous(), y_packed = y.contiguous();
  Tensor out = Tensor::empty(y.shape());
  const float* grad = g_packed.data<float>();
  const float* value = y_packed.data<float>();
  float* o = out.data<float>();
  for (int64_t outer = 0; outer < lines.outer; ++outer) {
    for (int64_t i = 0; i < lines.inner; ++i) {
      const int64_t start = outer * lines.n * lines.inner + i;
      line(grad + start, value + start, o + start, lines.n, lines.inner);
    }
  }
  return out;
}

// ---- activations (module 02) -------------------------------------------------------

// y = max(0, x):  dx = g where x > 0 (equivalently y > 0), else 0.
// At x = 0 exactly we take the derivative 0, as PyTorch does.
struct ReluBackward : Node {
  Tensor out;
  const char* name() const override { return "ReluBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {zip_elementwise(g, out, [](float grad, float y) { return y > 0.0f ? grad : 0.0f; })};
    // END SOLUTION
  }
};

// y = σ(x):  dσ/dx = σ(1 - σ), so dx = g * y * (1 - y)
struct SigmoidBackward : Node {
  Tensor out;
  const char* name() const override { return "SigmoidBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {zip_elementwise(g, out, [](float grad, float y) { return grad * y * (1.0f - y); })};
    // END SOLUTION
  }
};

// y = tanh(x):  dtanh/dx = 1 - tanh², so dx = g * (1 - y²)
struct TanhBackward : Node {
  Tensor out;
  const char* name() const override { return "TanhBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {zip_elementwise(g, out, [](float grad, float y) { return grad * (1.0f - y * y); })};
    // END SOLUTION
  }
};

// y = x Φ(x):  dy/dx = Φ(x) + x φ(x),  Φ(x) = ½(1 + erf(x/√2)),  φ(x) = e^(-x²/2) / √(2π)
struct GeluBackward : Node {
  Tensor x;
  const char* name() const override { return "GeluBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {zip_elementwise(g, x, [](float grad, float v) {
      constexpr float kInvSqrt2 = 0.70710678118654752f;
      constexpr float kInvSqrt2Pi = 0.39894228040143268f;
      const float cdf = 0.5f * (1.0f + std::erf(v * kInvSqrt2));
      const float pdf = kInvSqrt2Pi * std::exp(-0.5f * v * v);
      return grad * (cdf + v * pdf);
    })};
    // END SOLUTION
  }
};

// y = softmax(x) along an axis. dy_i/dx_j = y_i (δ_ij - y_j), so per line:
//   dx_j = Σ_i g_i y_i (δ_ij - y_j) = y_j (g_j - Σ_i g_i y_i)
struct SoftmaxBackward : Node {
  Tensor out;
  int64_t axis = -1;
  const char* name() const override { return "SoftmaxBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {map_lines(g, out, axis, [](const float* grad, const float* y, float* dx, int64_t n, int64_t stride) {
      float dot = 0.0f;
      for (int64_t j = 0; j < n; ++j) dot += grad[j * stride] * y[j * stride];
      for (int64_t j = 0; j < n; ++j) dx[j * stride] = y[j * stride] * (grad[j * stride] - dot);
    })};
    // END SOLUTION
  }
};

// y = log_softmax(x) = x - logsumexp(x). d logsumexp/dx_j = softmax_j = e^(y_j), so
//   dx_j = g_j - e^(y_j) Σ_i g_i
struct LogSoftmaxBackward : Node {
  Tensor out;
  int64_t axis = -1;
  const char* name() const override { return "LogSoftmaxBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    // BEGIN SOLUTION
    return {map_lines(g, out, axis, [](const float* grad, const float* y, float* dx, int64_t n, int64_t stride) {
      float total = 0.0f;
      for (int64_t j = 0; j < n; ++j) total += grad[j * stride];
      for (int64_t j = 0; j < n; ++j) dx[j * stride] = grad[j * stride] - std::exp(y[j * stride]) * total;
    })};
    // END SOLUTION
  }
};

// ---- losses (module 04) ------------------------------------------------------------

// L = (1/N) Σ (p - t)²:  dp = g · 2(p - t)/N,  dt = -dp
struct MSELossBackward : Node {
  Tensor pred, target;
  const char* name() const override { return "MSELossBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dpred, dtarget;
    // BEGIN SOLUTION
    const float scale = 2.0f * g.item() / static_cast<float>(pred.numel());
    const Tensor diff = zip_elementwise(pred, target, [scale](float p, float t) { return scale * (p - t); });
    if (needs_grad(0)) dpred = diff;
    if (needs_grad(1)) dtarget = ops::neg(diff);
    // END SOLUTION
    return {dpred, dtarget};
  }
};

// L = (1/B) Σ_b [logsumexp(z_b) - z_b,y_b]. The derivative of logsumexp is
// softmax, so the whole gradient is one fused pass:
//   dz_b,c = g · (softmax(z_b)_c - [c == y_b]) / B
// (labels are integers: no gradient).
struct CrossEntropyBackward : Node {
  Tensor logits, labels;
  const char* name() const override { return "CrossEntropyBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dlogits = Tensor::empty(logits.shape());
    // BEGIN SOLUTION
    const int64_t batch = logits.shape()[0], classes = logits.shape()[1];
    const Tensor z_packed = logits.contiguous(), y_packed = labels.contiguous();
    const float* z = z_packed.data<float>();
    const int32_t* label = y_packed.data<int32_t>();
    float* dz = dlogits.data<float>();
    const float scale = g.item() / static_cast<float>(batch);
    for (int64_t b = 0; b < batch; ++b) {
      const float* row = z + b * classes;
      float* drow = dz + b * classes;
      const float m = *std::max_element(row, row + classes);
      float total = 0.0f;
      for (int64_t c = 0; c < classes; ++c) {
        drow[c] = std::exp(row[c] - m);
        total += drow[c];
      }
      const float inv_total = scale / total;
      for (int64_t c = 0; c < classes; ++c) drow[c] *= inv_total;  // scale · softmax
      drow[label[b]] -= scale;                                     // - scale · onehot
    }
    // END SOLUTION
    return {dlogits, Tensor()};
  }
};

// L = -(1/N) Σ [t log p̂ + (1-t) log(1-p̂)],  p̂ = clamp(p, ε, 1-ε):
//   dp = g/N · (p̂ - t) / (p̂ (1 - p̂))        dt = g/N · (log(1-p̂) - log p̂)
// (as PyTorch: the clamp's zero slope outside [ε, 1-ε] is ignored, so a
// saturated prediction is still pushed back.)
struct BinaryCrossEntropyBackward : Node {
  Tensor probs, targets;
  const char* name() const override { return "BinaryCrossEntropyBackward"; }
  std::vector<Tensor> backward(const Tensor& g) override {
    Tensor dprobs, dtargets;
    // BEGIN SOLUTION
    const double scale = static_cast<double>(g.item()) / static_cast<double>(probs.numel());
    auto clamped = [](float p) {
      return std::clamp(static_cast<double>(p), double{kBceEpsilon}, 1.0 - double{kBceEpsilon});
    };
    if (needs_grad(0)) {
      dprobs = zip_elementwise(probs, targets, [&](float p, float t) {
        const double q = clamped(p);
        return static_cast<float>(scale * (q - t) / (q * (1.0 - q)));
      });
    }
    if (needs_grad(1)) {
      dtargets = zip_elementwise(probs, targets, [&](float p, float) {
        const double q = clamped(p);
        return static_cast<float>(scale * (std::log(1.0 - q) - std::log(q)));
      });
    }
    // END SOLUTION
    return {dprobs, dtargets};
  }
};

// ---- linear (module 03) ------------------------------------------------------------

// y = x Wᵀ + b,  x:(B,K) W:(N,K) b:(N) g:(B,N)
//   dx = g W      (B,N)(N,K) -> (B,K)    only if x needs it (never for the input images)
//   dW = gᵀ x     (N,B)(B,K) -> (N,K)
//   db = Σ_b g    (N)
// Each is one sgemm with transpose flags (no transposed copies) or one loop.
struct LinearBackward : Node {
  Tensor x, weight;
  const char* name() const override { return "LinearBackward"; }
  std::vector<Tensor> backward(const Tensor& grad_output) override {
    const Tensor g = grad_output.contiguous();
    Tensor dx, dweight, dbias;
    // BEGIN SOLUTION
    if (needs_grad(0)) dx = ops::matmul(g, weight);
    if (needs_grad(1)) dweight = ops::matmul(g, x, true, false);
    if (needs_grad(2)) {
      const int64_t batch = g.shape()[0], features = g.shape()[1];
      dbias = Tensor::zeros({features});
      float* db = dbias.data<float>();
      const float* grad = g.data<float>();
      for (int64_t b = 0; b < batch; ++b) {
        for (int64_t n = 0; n < features; ++n) db[n] += grad[b * features + n];
      }
    }
    // END SOLUTION
    return {dx, dweight, dbias};
  }
};

}  // namespace

// ---- activations -----------------------------------------------------------------

Tensor relu(const Tensor& x) {
  Tensor out = ops::relu(x);
  if (auto node = record<ReluBackward>(out, x)) node->out = out.detach();
  return out;
}

Tensor sigmoid(const Tensor& x) {
  Tensor out = ops::sigmoid(x);
  if (auto node = record<SigmoidBackward>(out, x)) node->out = out.detach();
  return out;
}

Tensor tanh(const Tensor& x) {
  Tensor out = ops::tanh(x);
  if (auto node = record<TanhBackward>(out, x)) node->out = out.detach();
  return out;
}

Tensor gelu(const Tensor& x) {
  Tensor out = ops::gelu(x);
  if (auto node = record<GeluBackward>(out, x)) node->x = x.detach();
  return out;
}

Tensor softmax(const Tensor& x, int64_t axis) {
  Tensor out = ops::softmax(x, axis);
  if (auto node = record<SoftmaxBackward>(out, x)) {
    node->out = out.detach();
    node->axis = axis;
  }
  return out;
}

Tensor log_softmax(const Tensor& x, int64_t axis) {
  Tensor out = ops::log_softmax(x, axis);
  if (auto node = record<LogSoftmaxBackward>(out, x)) {
    node->out = out.detach();
    node->axis = axis;
  }
  return out;
}

// ---- losses ----------------------------------------------------------------------

Tensor mse_loss(const Tensor& pred, const Tensor& target) {
  Tensor loss = ops::mse_loss(pred, target);
  if (auto node = record<MSELossBackward>(loss, pred, target)) {
    node->pred = pred.detach();
    node->target = target.detach();
  }
  return loss;
}

Tensor cross_entropy(const Tensor& logits, const Tensor& labels) {
  Tensor loss = ops::cross_entropy(logits, labels);
  if (auto node = record<CrossEntropyBackward>(loss, logits, labels)) {
    node->logits = logits.detach();
    node->labels = labels.detach();
  }
  return loss;
}

Tensor binary_cross_entropy(const Tensor& probs, const Tensor& targets) {
  Tensor loss = ops::binary_cross_entropy(probs, targets);
  if (auto node = record<BinaryCrossEntropyBackward>(loss, probs, targets)) {
    node->probs = probs.detach();
    node->targets = targets.detach();
  }
  return loss;
}

// ---- linear ----------------------------------------------------------------------

// x:(B,K) weight:(N,K) bias:(N) or undefined -> y:(B,N),  y = x Wᵀ + b: ops::linear
// (module 03, one sgemm), then the node that computes dx, dW, db.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  Tensor y = ops::linear(x, weight, bias);
  if (auto node = record<LinearBackward>(y, x, weight, bias)) {
    node->x = x.detach();
    node->weight = weight.detach();
  }
  return y;
}

}  // namespace tinytorch
