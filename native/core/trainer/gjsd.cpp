#include "gjsd.h"

namespace ipcae {

torch::Tensor gjsd_value(const torch::Tensor& L) {
  auto logpi = torch::log_softmax(L, -1);
  auto pi = logpi.exp();
  return (pi * (logpi - pi.mean(1, true).log())).sum({1, 2}) / static_cast<double>(L.size(1));
}

torch::Tensor gjsd_gradient(const torch::Tensor& L) {
  auto logpi = torch::log_softmax(L, -1);
  auto pi = logpi.exp();
  auto logm = pi.mean(1, true).log();
  auto g = (logpi - logm) / static_cast<double>(L.size(1));
  return pi * (g - (pi * g).sum(-1, true));
}

}  // namespace ipcae
