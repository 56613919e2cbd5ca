// The decoder (docs/method.md §2): K selected values -> hidden layers (Linear -> LayerNorm -> LeakyReLU(0.2)
// -> dropout) -> a linear output layer (classes, D reconstructed features, or regression targets).
// Forward and hand-written backward for all replicas at once; fused CPU kernels for the norm block.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "layout.h"
#include "options.h"

namespace ipcae {

class Decoder {
 public:
  // What the backward pass needs from the forward pass.
  struct Cache {
    struct Layer {
      torch::Tensor in, a, xhat, mean, rstd, y, mask;
    };
    std::vector<Layer> layers;
    torch::Tensor lastHidden;
  };

  // Registers the decoder's parameters in `layout` (after the selector's).
  Decoder(const TrainerOptions& o, int64_t outputs, ParameterLayout& layout, torch::Device device, torch::Dtype dtype);

  // U [R,B,K] -> outputs [R,B,O]. train: dropout on, with the masks of (seed of replica r0 + r,
  // step); cache: kept for backward.
  torch::Tensor forward(const torch::Tensor& U, const Views& params, bool train, Cache* cache, int64_t r0,
                        int64_t step) const;
  // dLoss/dOut [R,B,O] -> the decoder's gradients; returns dLoss/dU [R,B,K].
  torch::Tensor backward(const torch::Tensor& dOut, const Views& params, Views& grads, Cache& cache) const;
  void init(ReplicaInit& init) const;
  // Multiply-adds of the layers per sample (for the threading heuristic).
  int64_t macsPerSample() const;

 private:
  struct Layer {
    int W = -1, b = -1, gamma = -1, beta = -1;
    int64_t in = 0, out = 0;
  };
  torch::Tensor dropoutMask(int64_t layer, int64_t B, int64_t H, int64_t r0, int64_t n, int64_t step) const;

  std::vector<Layer> layers_;  // hidden layers then the output layer (gamma/beta = -1)
  std::vector<uint64_t> seeds_;
  double dropout_ = 0;
  torch::Device device_;
  torch::Dtype dtype_;
};

}  // namespace ipcae
