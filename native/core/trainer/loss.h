// Fused task losses on the CPU: the loss and its gradient in one pass over the decoder's output.
#pragma once

#include <torch/types.h>

namespace ipcae {

// Fused task losses (CPU): the per-replica mean loss [R] (float64) and dLoss/dOut [R,B,O] in one pass.
// Cross-entropy with integer labels y [B]; MSE against target [B,O] (shared by the replicas).
void cross_entropy_fused(const torch::Tensor& out, const torch::Tensor& y, torch::Tensor& loss, torch::Tensor& dOut);
void mse_fused(const torch::Tensor& out, const torch::Tensor& target, torch::Tensor& loss, torch::Tensor& dOut);

}  // namespace ipcae
