// The relaxed selection with plain tensor ops on any device: it materialises [R,B,K,D], so it is
// the reference that the fused kernels are checked against, and the path for devices without one.
#include "selection.h"

namespace ipcae {

namespace {
torch::Tensor relaxed_weights(const torch::Tensor& L, const torch::Tensor& noise, double t) {
  // L [R,K,D] + noise [R,rows,K,D] -> M [R,rows,K,D]
  auto z = noise.defined() ? (L.unsqueeze(1) + noise) : L.unsqueeze(1);
  return torch::softmax(z / t, -1);
}
}  // namespace

torch::Tensor selection_forward_reference(const torch::Tensor& L, const torch::Tensor& x,
                                          double temperature, const torch::Tensor& noise) {
  auto M = relaxed_weights(L, noise, temperature);              // [R,B|1,K,D]
  return torch::matmul(M, x.unsqueeze(0).unsqueeze(-1)).squeeze(-1);  // [R,B,K]
}

torch::Tensor selection_backward_reference(const torch::Tensor& L, const torch::Tensor& x,
                                           const torch::Tensor& U, const torch::Tensor& dU,
                                           double temperature, const torch::Tensor& noise) {
  auto M = relaxed_weights(L, noise, temperature);                     // [R,B,K,D]
  auto centred = x.unsqueeze(0).unsqueeze(2) - U.unsqueeze(-1);        // [R,B,K,D]
  return (M * centred * dU.unsqueeze(-1)).sum(1) / temperature;        // [R,K,D]
}

}  // namespace ipcae
