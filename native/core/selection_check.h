// A self-check of the fused selection kernels: on random inputs drawn from `seed`, the fused
// forward and backward against the materialising reference (float64) with the same noise.
// Used by the tests through the addon; nothing in training calls it.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace ipcae {

struct SelectionCheckOptions {
  int64_t replicas = 1, batch = 4, k = 3, d = 8;
  double temperature = 1.0;
  uint64_t seed = 1;
  bool perSample = true;
  bool cache = false;  // keep the forward's softmax weights for the backward pass
};

struct SelectionCheckResult {
  torch::Tensor fusedU, referenceU;        // [R,B,K]
  torch::Tensor fusedGrad, referenceGrad;  // [R,K,D]
  torch::Tensor noiseSample;               // the first (at most 100,000) Gumbel values drawn
};

SelectionCheckResult selection_check(const SelectionCheckOptions& o);

}  // namespace ipcae
