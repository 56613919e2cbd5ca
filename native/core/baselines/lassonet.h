// LassoNet (Lemhadri et al. 2021) as lasso-net/lassonet trains it: a residual linear skip layer
// theta [O,D] plus a ReLU MLP, out = MLP(x) + theta x; first trained dense (Adam, early stopping
// on the validation objective), then along a path lambda_k = lambda_0 * multiplier^k with one SGD
// (momentum) optimizer kept along the path, Hier-Prox (hier_prox.h) with lambda * lr after every
// step, early stopping per path point, lambda_0 = the dense model's validation loss. A feature is
// selected while its skip column theta_j is non-zero. R replicas (seeds) walk their paths at once;
// each stops at its own pace (a finished replica no longer changes).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "archive.h"
#include "baseline.h"
#include "mlp.h"

namespace ipcae {

struct LassoNetPoint {
  int64_t replica = 0;
  bool dense = false;      // the dense model (lambda = 0)
  double lambda = 0;
  int64_t epochs = 0;      // epochs trained at this lambda
  double valLoss = 0, valObjective = 0;
  std::vector<uint8_t> selected;  // [D]
  std::vector<double> thetaNorm;  // ||theta_j||_2 per feature
};

class LassoNet {
 public:
  LassoNet(const BaselineOptions& o, BaselineData data);
  // Trains up to `epochs` more epochs (of every replica still on its path); returns the path points
  // finished meanwhile, in order.
  std::vector<LassoNetPoint> advance(int64_t epochs);
  bool done() const;
  // The whole state (parameters, optimizer moments, every replica's phase, λ and early-stopping
  // counters), tied to the options by a fingerprint: a killed path resumes where it was.
  void saveState(const ByteSink& sink) const;
  std::string saveState() const;
  void loadState(const ByteChunks& bytes);
  void loadState(const std::string& bytes);
  int64_t epochsRun() const { return epochs_; }
  std::vector<int64_t> selectedCounts() const;

 private:
  // The validation loss per replica (one pass over the split), and the objective it gives with the
  // current lambdas: loss + lambda * sum_j ||theta_j||_2.
  torch::Tensor valLoss() const;
  torch::Tensor objectiveOf(const torch::Tensor& valLoss) const;
  std::string fingerprint() const;
  LassoNetPoint point(int64_t r, double valLoss, double valObj) const;

  BaselineOptions o_;
  BaselineData d_;
  int64_t R_ = 0, D_ = 0, O_ = 0;
  MlpParams p_;
  torch::Tensor theta_;  // [R,O,D]
  AdamState adam_;
  SgdState sgd_;
  int64_t adamStep_ = 0, epochs_ = 0;
  enum class Phase { Dense, Waiting, Path, Done };
  std::vector<Phase> phase_;
  std::vector<double> lambda_, bestObj_;
  std::vector<int64_t> stageEpochs_, sinceBest_;
  std::vector<int32_t> proxOrder_;  // Hier-Prox's sort cache (hier_prox.h); not part of the state
};

}  // namespace ipcae
