// The relaxed (Gumbel-softmax) feature selection: the hot spot of IP-CAE training.
//
// For every replica r, sample b and selector node k:
//   M[r,b,k,:] = softmax((L[r,k,:] + G[r,b,k,:]) / T),   U[r,b,k] = <M[r,b,k,:], x[b,:]>
// The noise G is a pure function of (key of replica r at this step, element index), drawn from a
// counter-based generator, so the backward pass regenerates it instead of storing R*B*K*D values.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "noise.h"

namespace ipcae {

// Fused forward: L [R,K,D], x [B,D] (shared by replicas) -> U [R,B,K] (written to `U`), and
// `stats` [R,B,K,2] (softmax max and normaliser, allocated if needed) for the backward pass.
// with_noise = false means L already holds the noisy logits (per-batch noise) or no noise at all.
// cache (optional): R*B*K*pad16(D) values that keep the forward's softmax weights, so that the
// backward pass need not regenerate the noise. Only for small problems: the trainer uses it while
// selection_cache_bytes() stays within its budget, and regenerates otherwise.
void selection_forward(const torch::Tensor& L, const torch::Tensor& x, double temperature,
                       const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& U,
                       torch::Tensor& stats, torch::Tensor* cache = nullptr);
int64_t selection_cache_bytes(int64_t R, int64_t B, int64_t K, int64_t D, int64_t elementSize);

// Fused backward: writes dLoss/dL [R,K,D] into `dL` given dU [R,B,K] and the forward's U.
void selection_backward(const torch::Tensor& L, const torch::Tensor& x, const torch::Tensor& U,
                        const torch::Tensor& stats, const torch::Tensor& dU, double temperature,
                        const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& dL,
                        const torch::Tensor* cache = nullptr);

// On CUDA tensors selection_forward / selection_backward run the fused CUDA kernel
// (native/core/selection/cuda/selection_kernels.cu; no weights cache there) when this build has it.
bool cuda_selection_built();
void selection_forward_cuda(const torch::Tensor& L, const torch::Tensor& x, double temperature,
                            const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& U,
                            torch::Tensor& stats);
void selection_backward_cuda(const torch::Tensor& L, const torch::Tensor& x, const torch::Tensor& U,
                             const torch::Tensor& stats, const torch::Tensor& dU, double temperature,
                             const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& dL);

// The CUDA kernel's maths on the host, in the device's order of operations (selection_rows.h): in
// float32 the GPU must give these bits. For checks on machines without a GPU; single-threaded.
void selection_forward_emulated(const torch::Tensor& L, const torch::Tensor& x, double temperature,
                                const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& U,
                                torch::Tensor& stats);
void selection_backward_emulated(const torch::Tensor& L, const torch::Tensor& x, const torch::Tensor& U,
                                 const torch::Tensor& stats, const torch::Tensor& dU, double temperature,
                                 const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& dL);

// The noise as a kernel draws it: hash (uint32 values as int64) and float Gumbel noise for the
// counters 0..n-1 under one key; on the host (the CPU kernels' arithmetic) or on a CUDA device.
struct NoiseProbe {
  torch::Tensor hash, gumbel;
};
NoiseProbe selection_noise_probe_host(NoiseKey key, int64_t n);
NoiseProbe selection_noise_probe_cuda(NoiseKey key, int64_t n, const torch::Device& device);

// Unfused versions with tensor ops on any device (they materialise [R,B,K,D]); the same maths.
torch::Tensor selection_forward_reference(const torch::Tensor& L, const torch::Tensor& x,
                                          double temperature, const torch::Tensor& noise);
torch::Tensor selection_backward_reference(const torch::Tensor& L, const torch::Tensor& x,
                                           const torch::Tensor& U, const torch::Tensor& dU,
                                           double temperature, const torch::Tensor& noise);

}  // namespace ipcae
