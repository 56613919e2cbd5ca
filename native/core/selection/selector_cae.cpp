// CAE (Abid et al. 2019; docs/method.md §1): the logits are the parameters, one row of D per selector node.
#include "selector.h"

namespace ipcae {

namespace {

class CaeSelector : public Selector {
 public:
  CaeSelector(int64_t K, int64_t D, ParameterLayout& layout) : K_(K), D_(D) { logits_ = layout.add("selector.logits", {K, D}); }

  torch::Tensor logits(const Views& params) const override { return params[logits_]; }

  void backward(const Views& params, const torch::Tensor& dL, Views& grads) const override { grads[logits_].copy_(dL); }

  // Rows drawn from U(0, 1) and normalised to sum to 1.
  void init(ReplicaInit& init) const override {
    auto L = init.uniform({K_, D_}, 0.0, 1.0);
    init.set(logits_, L / L.sum(1, true));
  }

  int64_t macs() const override { return 0; }

 private:
  int64_t K_, D_;
  int logits_ = -1;
};

}  // namespace

std::unique_ptr<Selector> make_cae_selector(int64_t K, int64_t D, ParameterLayout& layout) {
  return std::make_unique<CaeSelector>(K, D, layout);
}

}  // namespace ipcae
