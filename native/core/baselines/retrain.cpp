#include "retrain.h"

#include <cmath>
#include <limits>

#include "errors.h"
#include "mlp.h"

namespace ipcae {

namespace {
// rows x [N,D] -> the selected columns per replica [R,N,K]
torch::Tensor gather_selected(const torch::Tensor& x, const torch::Tensor& idx) {
  const int64_t R = idx.size(0), K = idx.size(1), N = x.size(0);
  return x.index_select(1, idx.reshape({-1})).view({N, R, K}).permute({1, 0, 2}).contiguous();
}

void evaluate_split(const BaselineOptions& o, int64_t O, const MlpParams& p, const SplitData& s, const torch::Tensor& idx,
                    std::vector<double>& loss, std::vector<double>& metric) {
  const int64_t R = idx.size(0), N = s.x.size(0);
  auto lsum = torch::zeros({R}, torch::kDouble), msum = torch::zeros({R}, torch::kDouble);
  const auto& t = task_target(o.task, s);
  for (int64_t n0 = 0; n0 < N; n0 += 512) {
    const int64_t n = std::min<int64_t>(512, N - n0);
    auto out = mlp_forward(gather_selected(s.x.narrow(0, n0, n), idx), p, p.W1, nullptr);
    task_sums(o.task, out, t.narrow(0, n0, n), lsum, msum);
  }
  finish_task_sums(o.task, N, O, lsum, msum, loss, metric);
}
}  // namespace

RetrainResult retrain(const BaselineOptions& o, const BaselineData& data, const torch::Tensor& indices, int64_t epochs) {
  torch::NoGradGuard noGrad;
  BaselineData d;
  const int64_t O = begin_baseline(o, data, d);
  const int64_t R = static_cast<int64_t>(o.seeds.size());
  require(epochs >= 1, "Expected retrain epochs >= 1");
  require(indices.dim() == 2 && indices.size(0) == R && indices.size(1) >= 1,
          "Expected one selection (K feature indices) per seed");
  auto idx = indices.to(torch::kLong).contiguous();
  require(idx.min().item<int64_t>() >= 0 && idx.max().item<int64_t>() < o.inputDim,
          "Expected selected feature indices in [0, " + std::to_string(o.inputDim) + ")");
  const int64_t K = idx.size(1);
  MlpParams p;
  mlp_init(p, o.seeds, K, o.hidden, O, baseline_dtype(o));
  auto ps = p.all();
  AdamState adam;
  adam.reset(ps);
  auto all = torch::ones({R}, torch::kBool);
  const int64_t B = batch_size_of(o, d.train), steps = d.train.x.size(0) / B;
  const auto& target = task_target(o.task, d.train);
  // The selected columns of the training split, gathered once: [R,N,K].
  auto xs = gather_selected(d.train.x, idx);
  MlpParams best = p;
  for (auto* t : best.all()) *t = t->clone();
  RetrainResult res;
  std::vector<double> vl, vm;
  evaluate_split(o, O, p, d.val, idx, vl, vm);
  res.bestValLoss = vl;
  res.bestEpoch.assign(R, 0);
  int64_t t = 0;
  for (int64_t e = 1; e <= epochs; ++e) {
    for (int64_t s = 0; s < steps; ++s) {
      MlpCache cache;
      auto out = mlp_forward(xs.narrow(1, s * B, B), p, p.W1, &cache);
      torch::Tensor loss, dOut;
      task_loss(o.task, out, target.narrow(0, s * B, B), loss, dOut);
      MlpParams g;
      mlp_backward(dOut, p, cache, g);
      adam_update(ps, {&g.W1, &g.b1, &g.W2, &g.b2}, adam, ++t, o.lr, 0.0, all);
    }
    evaluate_split(o, O, p, d.val, idx, vl, vm);
    for (int64_t r = 0; r < R; ++r) {
      if (!(vl[r] < res.bestValLoss[r])) continue;  // NaN never improves
      res.bestValLoss[r] = vl[r];
      res.bestEpoch[r] = e;
      best.W1[r].copy_(p.W1[r]);
      best.b1[r].copy_(p.b1[r]);
      best.W2[r].copy_(p.W2[r]);
      best.b2[r].copy_(p.b2[r]);
    }
  }
  evaluate_split(o, O, best, d.test, idx, res.testLoss, res.testMetric);
  return res;
}

}  // namespace ipcae
