// IP-CAE / CAE trainer for a group of R replicas (R seeds) trained at once, in pure LibTorch.
//
// The model is a selector (selector.h: CAE or IP) feeding the relaxed selection (selection.h, the
// fused kernel) into a decoder (decoder.h). Parameters of all replicas are stacked on a leading
// axis in one flat buffer (layout.h), so Adam (optimizer.h) is one pass and a checkpoint one copy;
// gradients are written by a hand-written backward pass with out= ops, which keeps the per-step op
// count (and so the overhead on small problems) low.
//   trainer.cpp   construction, the training step and the epoch loop
//   data.cpp      the splits: checks, device placement
//   evaluate.cpp  evaluation (hard or given selection), predictions, the selection
//   finetune.cpp  decoder-only training on a fixed selection
//   state.cpp     checkpoints and the best-validation parameters
#pragma once

#include <torch/types.h>
#include <torch/utils.h>  // NoGradGuard

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "archive.h"
#include "decoder.h"
#include "errors.h"
#include "layout.h"
#include "options.h"
#include "selector.h"
#include "split_data.h"

namespace ipcae {

struct ReplicaEpoch {
  double trainLoss = 0, valLoss = 0, valMetric = 0, uniquePct = 0, gjsd = 0, meanMaxProb = 0;
  bool improved = false;
  bool diverged = false;  // this replica's loss has been non-finite (this epoch or before): it is stopped
};

struct EpochReport {
  int64_t epoch = 0;
  double temperature = 0;
  double seconds = 0;
  std::vector<ReplicaEpoch> replicas;
};

struct EvalResult {
  std::vector<double> loss;    // task loss per replica
  std::vector<double> metric;  // accuracy (fraction), reconstruction error, or MSE
};

struct Selection {
  torch::Tensor indices;        // int64 [R,K]
  torch::Tensor probabilities;  // float32 [R,K,D], softmax of the logits
};

class Trainer {
 public:
  explicit Trainer(const TrainerOptions& options);

  void setData(const SplitData& train, const SplitData& val, const SplitData& test);
  bool hasData() const { return hasData_; }

  // One epoch at temperature T: training steps, then validation with hard selection.
  // A set `cancel` flag stops between steps and rolls the trainer back to the epoch's start.
  EpochReport runEpoch(double temperature, const std::atomic<bool>* cancel);

  // split: "train" | "val" | "test"; best: evaluate the best-validation parameters. indices: a
  // selection of R*K indices (replica-major) to evaluate the decoder on instead of the hard selection (empty: argmax).
  EvalResult evaluate(const std::string& split, bool best, const torch::Tensor& indices = torch::Tensor());
  Selection selection(bool best);
  // The decoder's outputs [R, N, O] (float32, CPU) for rows x [N, D], on the hard selection or on
  // `indices` (R*K): the decoder used as a predictor or, for reconstruction, an imputer.
  torch::Tensor predict(const torch::Tensor& x, bool best, const torch::Tensor& indices = torch::Tensor());
  // Decoder-only training on a fixed selection (R*K indices), the selector frozen: `epochs` passes
  // over the training split from the best-validation parameters with fresh Adam moments; the best
  // validation loss (the start included) becomes the best parameters. Returns that loss per replica.
  std::vector<double> finetune(int64_t epochs, const torch::Tensor& indices);

  // The whole state as an archive tied to this configuration by its fingerprint: to a sink piece by
  // piece (states of any size), or as one string (small states, tests).
  void saveState(const ByteSink& sink);
  std::string saveState();
  void loadState(const ByteChunks& bytes);
  void loadState(const std::string& bytes);
  // The configuration a saved state belongs to (what loadState checks).
  std::string fingerprint() const;

  // For gradient checks: loss (task - lambda*GJSD) per replica on the first training batch at the
  // current step's noise, and the flat gradient. Changes nothing.
  std::pair<torch::Tensor, torch::Tensor> lossAndGradient(double temperature);
  torch::Tensor flatParameters(bool best = false) const;
  // One replica's parameters as float32, its blocks in layout order (a run's results: one replica
  // at a time, never every replica in float64).
  torch::Tensor replicaParameters(int64_t r, bool best) const;
  void setFlatParameters(const torch::Tensor& flat);
  std::vector<std::pair<std::string, std::vector<int64_t>>> parameterLayout() const;

  int64_t epoch() const { return epoch_; }
  int64_t step() const { return step_; }
  int64_t replicas() const { return R_; }
  const std::vector<int64_t>& bestEpoch() const { return bestEpoch_; }
  const std::vector<double>& bestValLoss() const { return bestValLoss_; }
  // The epoch at which each replica's loss became non-finite, or -1.
  const std::vector<int64_t>& divergedEpoch() const { return divergedEpoch_; }
  const TrainerOptions& options() const { return opt_; }
  std::string deviceName() const { return device_.str(); }
  // Which relaxed-selection code runs: "fused-cpu", "fused-cuda" (native/core/selection/cuda) or "tensor-ops".
  std::string selectionPath() const { return !useFused_ ? "tensor-ops" : device_.is_cpu() ? "fused-cpu" : "fused-cuda"; }

  // Per-thread LibTorch settings (intra-op threads, grad mode); call at the start of every job.
  void enterThread() const;

 private:
  // Forward + backward of one batch; fills grads_, returns the task loss per replica [R].
  // update: then one Adam step (the training step).
  torch::Tensor forwardBackward(const torch::Tensor& xb, const torch::Tensor& yb,
                                const torch::Tensor& onehotB, double temperature, bool update = false);
  // The same for replicas [r0, r0 + params[0].size(0)) only: params and grads are their views.
  torch::Tensor forwardBackwardRange(const torch::Tensor& xb, const torch::Tensor& yb,
                                     const torch::Tensor& onehotB, double temperature, int64_t r0,
                                     const Views& params, Views& grads, torch::Tensor* selectionCache,
                                     bool profile);
  void adamStep(int64_t r0, int64_t n);
  // The task loss per replica [R] of outputs [R,B,O] and its gradient dLoss/dOut.
  void taskLoss(const torch::Tensor& out, const torch::Tensor& xb, const torch::Tensor& yb, const torch::Tensor& onehotB,
                torch::Tensor& loss, torch::Tensor& dOut) const;
  // Puts replica r's parameters and Adam moments back to those in the given flat buffers.
  void restoreReplica(int64_t r, const torch::Tensor& flat, const torch::Tensor& m, const torch::Tensor& v);
  // Records replica r's validation loss; keeps its parameters when they are the best so far.
  bool trackBest(int64_t r, double valLoss);
  // The views of the best parameters once any validation improved, else the current ones.
  const Views& bestOrCurrent(bool best) const;
  // The selection [R*K] on the device: argmax of the logits, or `indices` (checked) when given.
  torch::Tensor selectionIndex(const torch::Tensor& indices, const Views& params) const;
  SplitData& split(const std::string& name);

  TrainerOptions opt_;
  torch::Device device_{torch::kCPU};
  torch::Dtype dtype_ = torch::kFloat;
  int64_t R_ = 0, D_ = 0, K_ = 0, O_ = 0;
  int threads_ = 1;
  int opsThreads_ = 1;  // threads for LibTorch's ops (1 on small problems)
  // Small problems: the replicas are split into this many parts and each thread runs the whole
  // step for its part (1 = one pass over the whole group).
  int stepParts_ = 1;
  bool perSampleNoise_ = true;
  bool useFused_ = true;

  ParameterLayout layout_;
  std::unique_ptr<Selector> selector_;
  std::unique_ptr<Decoder> decoder_;

  torch::Tensor flat_, grad_, best_, adamM_, adamV_;
  Views params_, grads_, bestParams_;

  SplitData train_, val_, test_;
  torch::Tensor trainOnehot_;
  bool hasData_ = false;

  int64_t epoch_ = 0;
  int64_t step_ = 0;
  std::vector<double> bestValLoss_;
  std::vector<int64_t> bestEpoch_;
  std::vector<int64_t> divergedEpoch_;
  torch::Tensor lossSum_;
  std::vector<torch::Tensor> selectionCaches_;  // one selection-weight cache per step part
};

}  // namespace ipcae
