// The generalised Jensen-Shannon divergence between the K selector nodes' distributions (docs/method.md §3),
// GJSD = (1/K) sum_k sum_d pi_kd (log pi_kd - log m_d), pi = softmax(L), m = mean_k pi: the
// regulariser of the *-gjsd methods (its gradient) and a per-epoch metric (its value).
#pragma once

#include <torch/types.h>

namespace ipcae {

// [R] for logits L [R,K,D].
torch::Tensor gjsd_value(const torch::Tensor& L);
// d GJSD / d L [R,K,D].
torch::Tensor gjsd_gradient(const torch::Tensor& L);

}  // namespace ipcae
