// A self-check of the fused selection kernels: on random inputs drawn from `seed`, the fused
// forward and backward against the materialising reference (float64) with the same noise. The
// kernel checked: the CPU's, the CUDA kernel's maths emulated on the host, or the CUDA kernel.
// Used by the tests through the addon; nothing in training calls it.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>

namespace ipcae {

struct SelectionCheckOptions {
  int64_t replicas = 1, batch = 4, k = 3, d = 8;
  double temperature = 1.0;
  uint64_t seed = 1;
  bool perSample = true;
  bool cache = false;  // keep the forward's softmax weights for the backward pass
  std::string kernel = "cpu";  // cpu | emulated | cuda (cuda:0, or `device`)
  std::string device = "cuda";
  int64_t noiseProbe = 0;  // how many (hash, Gumbel) pairs of the kernel's noise to return
};

struct SelectionCheckResult {
  torch::Tensor fusedU, referenceU;        // [R,B,K]
  torch::Tensor fusedGrad, referenceGrad;  // [R,K,D]
  torch::Tensor noiseSample;               // the first (at most 100,000) Gumbel values drawn
  torch::Tensor probeHash, probeGumbel;    // the kernel's noise for counters 0..noiseProbe-1
};

SelectionCheckResult selection_check(const SelectionCheckOptions& o);

}  // namespace ipcae
