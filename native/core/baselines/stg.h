// Stochastic Gates (STG; Yamada et al. 2020) as runopti/stg trains it: one Gaussian-relaxed
// Bernoulli gate per input feature, z = clamp(mu + sigma * eps + 0.5, 0, 1) with one eps ~ N(0,1)
// per feature and step (shared by the batch), the regulariser lambda * mean_d Phi((mu + 0.5) / sigma),
// mu starting at 0.01 * N(0,1); at test time the gates are clamp(mu + 0.5, 0, 1). The gated input
// feeds a plain ReLU MLP (mlp.h). R replicas train at once, each with its own seed and lambda
// (the lambda search trains several lambdas of a seed side by side).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "baseline.h"
#include "mlp.h"

namespace ipcae {

struct StgEpoch {
  int64_t epoch = 0;
  double seconds = 0;
  std::vector<double> trainLoss, valLoss, valMetric;  // task loss (no regulariser); metric as evaluate()
  std::vector<int64_t> open;                          // features whose test-time gate is > 0
};

class Stg {
 public:
  Stg(const BaselineOptions& o, BaselineData data);
  StgEpoch runEpoch();
  // mu [R,D] (float64): the gates' means; a feature is selected when mu > -0.5.
  torch::Tensor mu() const { return mu_.to(torch::kDouble); }
  int64_t epoch() const { return epoch_; }
  int64_t replicas() const { return R_; }
  // For gradient checks: the training objective per replica on the first batch at step `step`'s
  // noise, and d/d(mu) and d/d(W1) (float64 in a float64 build of the test; here as computed).
  torch::Tensor objective(int64_t step, torch::Tensor* dMu, torch::Tensor* dW1);
  MlpParams& params() { return p_; }
  torch::Tensor& muParam() { return mu_; }

 private:
  // eps [R,D] for a step: counter-based normal noise, the same for replicas of one seed.
  torch::Tensor gateNoise(int64_t step) const;
  torch::Tensor forwardBackward(const torch::Tensor& xb, const torch::Tensor& yb, int64_t step, MlpParams* grads,
                                torch::Tensor* dMu);

  BaselineOptions o_;
  BaselineData d_;
  int64_t R_ = 0, D_ = 0, O_ = 0;
  MlpParams p_;
  torch::Tensor mu_, lambda_;
  AdamState adam_;
  int64_t epoch_ = 0, step_ = 0;
};

}  // namespace ipcae
