// Fused CPU kernels for the decoder's LayerNorm → affine (per replica) → LeakyReLU block.
// On small models each ATen op costs more in dispatch than in arithmetic; one pass per direction.
#pragma once

#include <torch/torch.h>

namespace ipcae {

// a [R,B,H]; gamma, beta [R,1,H]. Writes act [R,B,H] (LeakyReLU output), xhat [R,B,H], rstd [R,B].
void norm_act_forward(const torch::Tensor& a, const torch::Tensor& gamma, const torch::Tensor& beta,
                      double eps, double slope, torch::Tensor& act, torch::Tensor& xhat, torch::Tensor& rstd);

// dact [R,B,H] → da [R,B,H], dgamma and dbeta [R,1,H] (written, not accumulated).
void norm_act_backward(const torch::Tensor& dact, const torch::Tensor& act, const torch::Tensor& xhat,
                       const torch::Tensor& rstd, const torch::Tensor& gamma, double slope, torch::Tensor& da,
                       torch::Tensor& dgamma, torch::Tensor& dbeta);

}  // namespace ipcae

namespace ipcae {

// Fused task losses (CPU): the per-replica mean loss [R] (float64) and dLoss/dOut [R,B,O] in one pass.
// Cross-entropy with integer labels y [B]; MSE against target [B,O] (shared by the replicas).
void cross_entropy_fused(const torch::Tensor& out, const torch::Tensor& y, torch::Tensor& loss, torch::Tensor& dOut);
void mse_fused(const torch::Tensor& out, const torch::Tensor& target, torch::Tensor& loss, torch::Tensor& dOut);

}  // namespace ipcae
