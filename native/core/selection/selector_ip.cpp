// IP-CAE (docs/method.md §1): the logits are an affine map of learned embeddings, L = psi W + b.
//   shared: psi [K,P], W [P,D] (stored as W^T of nn.Linear(P, D)), b [1,D]   (the paper's IP-CAE)
//   diag:   L = psi * w + b with w [1,D];  scalar: w [1,1]                   (its ablations)
#include "selector.h"

#include <cmath>

namespace ipcae {

namespace {

class IpSelector : public Selector {
 public:
  IpSelector(const TrainerOptions& o, ParameterLayout& layout)
      : K_(o.k), D_(o.inputDim), embeddingDim_(o.embeddingDim > 0 ? o.embeddingDim : o.inputDim), shared_(o.ipWeights == "shared"),
        diag_(o.ipWeights == "diag") {
    if (shared_) {
      psi_ = layout.add("selector.psi", {K_, embeddingDim_});
      weight_ = layout.add("selector.weight_t", {embeddingDim_, D_});
    } else {
      psi_ = layout.add("selector.psi", {K_, D_});
      weight_ = layout.add("selector.weight", diag_ ? std::vector<int64_t>{1, D_} : std::vector<int64_t>{1, 1});
    }
    if (o.ipBias) bias_ = layout.add("selector.bias", {1, D_});
  }

  torch::Tensor logits(const Views& params) const override {
    const auto &psi = params[psi_], &w = params[weight_];
    if (shared_) return bias_ >= 0 ? torch::baddbmm(params[bias_], psi, w) : torch::bmm(psi, w);
    return bias_ >= 0 ? torch::addcmul(params[bias_], psi, w) : psi * w;
  }

  void backward(const Views& params, const torch::Tensor& dL, Views& grads) const override {
    if (shared_) {
      torch::bmm_out(grads[psi_], dL, params[weight_].transpose(1, 2));
      torch::bmm_out(grads[weight_], params[psi_].transpose(1, 2), dL);
    } else {
      torch::mul_out(grads[psi_], dL, params[weight_]);
      if (diag_) {
        torch::sum_out(grads[weight_], dL * params[psi_], {1}, true);
      } else {
        torch::sum_out(grads[weight_], dL * params[psi_], {1, 2}, true);
      }
    }
    if (bias_ >= 0) torch::sum_out(grads[bias_], dL, {1}, true);
  }

  void init(ReplicaInit& init) const override {
    if (shared_) {
      const double bound = 1.0 / std::sqrt(static_cast<double>(embeddingDim_));
      init.set(psi_, init.normal({K_, embeddingDim_}));
      // nn.Linear(P, D): weight [D,P] and bias [D], both U(-1/sqrt(P), 1/sqrt(P)); stored transposed.
      init.set(weight_, init.uniform({D_, embeddingDim_}, -bound, bound).t().contiguous());
      if (bias_ >= 0) init.set(bias_, init.uniform({1, D_}, -bound, bound));
    } else {
      init.set(psi_, init.normal({K_, D_}));
      init.set(weight_, init.normal(diag_ ? std::vector<int64_t>{1, D_} : std::vector<int64_t>{1, 1}));
      if (bias_ >= 0) init.set(bias_, init.normal({1, D_}));
    }
  }

  int64_t macs() const override { return 3 * K_ * embeddingDim_ * D_; }

 private:
  int64_t K_, D_, embeddingDim_;
  bool shared_, diag_;
  int psi_ = -1, weight_ = -1, bias_ = -1;
};

}  // namespace

std::unique_ptr<Selector> make_ip_selector(const TrainerOptions& o, ParameterLayout& layout) {
  return std::make_unique<IpSelector>(o, layout);
}

}  // namespace ipcae
