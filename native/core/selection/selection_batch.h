// The relaxed selection with one noise draw per batch (the original CAE's mode): the K x D softmax
// is shared by the batch, so it is computed once per replica and step, and U = x S^T and the
// gradient dS = dU^T x are matrix products (the trainer's BLAS calls). These are the row kernels
// around them, on the host, one pass per row with the fused kernels' noise and float exp.
#pragma once

#include <torch/types.h>

#include <vector>

#include "noise.h"

namespace ipcae {

// S[r,k,:] = softmax((L[r,k,:] + G[r,k,:]) / T) with G the step's Gumbel noise for replica r
// (counters k*D + d under keys[r], as gumbel_noise draws them for one row). L, S: [R,K,D] on the CPU.
void batch_softmax_host(const torch::Tensor& L, const std::vector<NoiseKey>& keys, double temperature, torch::Tensor& S);

// In place: dS <- S * (dS - sum_d S*dS) / T, the softmax's backward per row (dL, as the noise does
// not depend on L).
void batch_softmax_backward_host(const torch::Tensor& S, torch::Tensor& dS, double temperature);

}  // namespace ipcae
