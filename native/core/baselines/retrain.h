// The retrain evaluation (the paper's Section 4.4 protocol for STG and LassoNet; an option for
// any selection): a fresh one-hidden-layer ReLU MLP (mlp.h) trained on the K selected features
// only, Adam, the training split in order, validation after every epoch, the lowest validation
// loss's parameters tested.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "baseline.h"

namespace ipcae {

struct RetrainResult {
  std::vector<double> testLoss, testMetric, bestValLoss;
  std::vector<int64_t> bestEpoch;  // 1-based; 0 = no epoch improved on the start
};

// indices: int64 [R,K], the selection of replica r (seed o.seeds[r]).
RetrainResult retrain(const BaselineOptions& o, const BaselineData& data, const torch::Tensor& indices, int64_t epochs);

}  // namespace ipcae
