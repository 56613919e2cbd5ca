// What the baselines (STG, LassoNet) and the retrain evaluation share: their options (JS validates
// them first: lib/baselines/options.ts is their one definition) and the checked data splits.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "split_data.h"

namespace ipcae {

struct BaselineOptions {
  std::string task = "classification";  // classification | reconstruction | regression
  int64_t inputDim = 0;                 // D
  int64_t outputDim = 0;                // classes or target width; D for reconstruction (set by the core)
  int64_t hidden = 200;                 // one hidden ReLU layer
  int64_t batchSize = 0;                // 0: the whole training split (full batch)
  double lr = 1e-3;                     // Adam (STG, LassoNet's dense phase, retrain)
  std::vector<uint64_t> seeds;          // one per replica (a seed may repeat: same start, other lambda)
  std::vector<double> lambdas;          // one per replica (STG); LassoNet's path finds its own
  int threads = 0;                      // 0: all cores
  std::string dtype = "float32";        // float32 | float64 (float64 for gradient checks)
  // STG (runopti/stg's estimator): gate noise sigma, Adam's L2 weight decay.
  double sigma = 0.5, weightDecay = 1e-3;
  // LassoNet (lasso-net/lassonet's defaults): hierarchy M, path multiplier, early-stopping tolerance,
  // the path's SGD, epochs and patience of the dense phase and of each path step.
  double M = 10, pathMultiplier = 1.02, tol = 0.99, pathLr = 1e-3, momentum = 0.9;
  int64_t denseEpochs = 1000, densePatience = 100, pathEpochs = 100, pathPatience = 10;
  // The path's first lambda: 0 = "auto" (hier_prox_sparsity_start / pathLr / 10, lassonet's
  // default), > 0 = this value.
  double lambdaStart = 0;
  // A replica's path stops once fewer than this many features are left (0: when none is left).
  int64_t stopBelow = 0;
};

struct BaselineData {
  SplitData train, val, test;
};

// Checks the options and the splits (shapes, labels in range, finite values); returns the number
// of outputs (classes, D for reconstruction, or the target width).
int64_t check_baseline(const BaselineOptions& o, const BaselineData& d);

// The target of a split for the task: labels, the inputs themselves, or the regression targets.
inline const torch::Tensor& task_target(const std::string& task, const SplitData& s) {
  return task == "reconstruction" ? s.x : s.y;
}

// Rows [b*B, (b+1)*B) of the training split for step b of an epoch (no shuffling, last partial
// batch dropped, as the paper's runs; B = 0 means the whole split).
int64_t batch_size_of(const BaselineOptions& o, const SplitData& train);

// The start of every baseline job: process and thread settings, the checks, the splits in the
// options' dtype (into `out`); returns the number of outputs.
int64_t begin_baseline(const BaselineOptions& o, const BaselineData& in, BaselineData& out);

// The splits in the options' dtype (labels stay int64).
BaselineData baseline_data_as(const BaselineOptions& o, const BaselineData& d);
torch::Dtype baseline_dtype(const BaselineOptions& o);

}  // namespace ipcae
