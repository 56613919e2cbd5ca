// Fused CPU kernels for the decoder's LayerNorm → affine (per replica) → LeakyReLU block.
// On small models each ATen op costs more in dispatch than in arithmetic; one pass per direction.
#pragma once

#include <torch/types.h>

namespace ipcae {

// a [R,B,H]; gamma, beta [R,1,H]. Writes act [R,B,H] (LeakyReLU output), xhat [R,B,H], rstd [R,B].
void norm_act_forward(const torch::Tensor& a, const torch::Tensor& gamma, const torch::Tensor& beta,
                      double eps, double slope, torch::Tensor& act, torch::Tensor& xhat, torch::Tensor& rstd);

// dact [R,B,H] → da [R,B,H], dgamma and dbeta [R,1,H] (written, not accumulated).
void norm_act_backward(const torch::Tensor& dact, const torch::Tensor& act, const torch::Tensor& xhat,
                       const torch::Tensor& rstd, const torch::Tensor& gamma, double slope, torch::Tensor& da,
                       torch::Tensor& dgamma, torch::Tensor& dbeta);

}  // namespace ipcae
