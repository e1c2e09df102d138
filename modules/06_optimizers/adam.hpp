// adam.hpp — Module 06: Adam and AdamW, the optimizers most networks are trained with.
//
// Adam (Kingma & Ba 2015) keeps two running averages per parameter: of the
// gradient (m, the "first moment", a momentum) and of its square (v, the
// "second moment", a per-parameter scale). Each parameter then moves by about
// η in the direction of m, whatever the size of its gradient. The rule, as
// torch.optim.Adam documents it (amsgrad off, t = 1 on the first step):
//
//   g_t = ∇θ L + λ θ_{t-1}                 Adam only: L2 weight decay folded into g   (1)
//   m_t = β1 m_{t-1} + (1 - β1) g_t        m_0 = 0                                     (2)
//   v_t = β2 v_{t-1} + (1 - β2) g_t²       v_0 = 0                                     (3)
//   m̂_t = m_t / (1 - β1^t)                 bias correction: m and v start at 0 and    (4)
//   v̂_t = v_t / (1 - β2^t)                 would be too small for the first steps      (5)
//   θ_t = θ_{t-1} - η m̂_t / (√v̂_t + ε)                                                 (6)
//
// AdamW (Loshchilov & Hutter 2019, torch.optim.AdamW) *decouples* the weight
// decay: instead of (1) it shrinks the parameter directly before (6),
//
//   θ ← θ (1 - η λ)                        AdamW only, in place of (1)                (1w)
//
// The difference matters: in Adam the decay term λθ is divided by √v̂ like the
// rest of the gradient, so parameters with large gradients are hardly decayed;
// in AdamW every parameter decays at the same rate ηλ.
//
// The update runs as PyTorch arranges it (same rounding, ready for comparison):
//   step_size = η / (1 - β1^t),   denom = √v_t / √(1 - β2^t) + ε,
//   θ_t = θ_{t-1} - step_size · (m_t / denom)
// through the kernels of adam_kernels.hpp (a scalar reference and an AVX2 twin).
#pragma once

#include <vector>

#include "tinytorch/core/optimizer.hpp"

namespace tinytorch {

struct AdamOptions {
  float beta1 = 0.9f;          // 0 <= β1 < 1
  float beta2 = 0.999f;        // 0 <= β2 < 1
  float eps = 1e-8f;           // ε >= 0
  float weight_decay = 0.0f;   // λ >= 0: L2 (1) for Adam, decoupled (1w) for AdamW
};

class Adam : public Optimizer {
 public:
  Adam(std::vector<Tensor> parameters, float learning_rate = 1e-3f, AdamOptions options = {});
  Adam(std::vector<Tensor> parameters, float learning_rate, float beta1, float beta2, float eps = 1e-8f,
       float weight_decay = 0.0f)
      : Adam(std::move(parameters), learning_rate, AdamOptions{beta1, beta2, eps, weight_decay}) {}

  const AdamOptions& options() const { return options_; }
  // The moment estimates m and v of parameter `index` (undefined before its first update).
  const Tensor& first_moment(std::size_t index) const { return first_moment_.at(index); }
  const Tensor& second_moment(std::size_t index) const { return second_moment_.at(index); }

 protected:
  Adam(const char* name, std::vector<Tensor> parameters, float learning_rate, AdamOptions options,
       bool decoupled_weight_decay);
  void update(std::size_t index, float* param, const float* grad, int64_t count, int64_t step) override;

 private:
  AdamOptions options_;
  bool decoupled_weight_decay_;
  std::vector<Tensor> first_moment_;   // m per parameter
  std::vector<Tensor> second_moment_;  // v per parameter
};

// Adam with decoupled weight decay (1w). PyTorch's default λ for AdamW is 0.01.
class AdamW : public Adam {
 public:
  AdamW(std::vector<Tensor> parameters, float learning_rate = 1e-3f,
        AdamOptions options = {0.9f, 0.999f, 1e-8f, 0.01f})
      : Adam("AdamW", std::move(parameters), learning_rate, options, true) {}
};

}  // namespace tinytorch
