// LassoNet's hierarchical proximal operator (Hier-Prox; Lemhadri et al. 2021, Algorithm 2), for
// every feature j of every replica at once. With v = theta_j (the skip layer's column, one value
// per output) and u = W_j (the first hidden layer's weights of feature j), it solves
//   minimise over (b, W):  1/2 ||b - v||^2 + 1/2 ||W - u||^2 + lambda ||b||_2
//   subject to             ||W||_inf <= M ||b||_2
// in closed form: sort |u| in decreasing order; for m = 0..H
//   w_m = M / (1 + m M^2) * max(||v|| + M * sum_{i<=m} |u|_(i) - lambda, 0);
// take the first m with |u|_(m+1) <= w_m (|u|_(H+1) = 0); then b = (w_m / (M ||v||)) v and
// W = sign(u) * min(|u|, w_m). A feature is dropped when b = 0 (then W = 0 too).
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace ipcae {

// theta [R,O,D] (skip weights, columns per feature), W [R,D,H] (first layer, stored transposed:
// row j = feature j), lambda [R] (float64: lambda * lr per replica); updated in place, both
// contiguous and of one dtype. active [R] (optional): replicas flagged 0 are left as they are.
// order (optional, a cache kept by the caller between calls): each row's decreasing order of |W_j|
// at the last call, so that sorting is nearly free when W changed little; results do not depend
// on it (the sorted values are the same), only the time does.
void hier_prox(torch::Tensor& theta, torch::Tensor& W, const torch::Tensor& lambda, double M,
               const std::vector<uint8_t>* active = nullptr, std::vector<int32_t>* order = nullptr);

}  // namespace ipcae

namespace ipcae {

// LassoNet's automatic start of the path (lambda_start = "auto" in lasso-net/lassonet): the
// lambda at which Hier-Prox, applied repeatedly on its own (no loss), starts to drop features.
// is_sparse(l): apply Hier-Prox with l until the skip weights change by less than 1e-5 (at most
// 10000 times), then ask whether some feature's skip column is zero; the answer is s = 1e-6 * 2^k
// for the first k with is_sparse(2 s). The path then starts at s / lr / 10. Computed per feature
// in closed form per application (the skip column only scales; the sorted |W_j| only get capped),
// so 10000 applications cost little. theta [O,D], W [D,H] of one replica.
double hier_prox_sparsity_start(const torch::Tensor& theta, const torch::Tensor& W, double M);

}  // namespace ipcae
