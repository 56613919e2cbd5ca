// Evaluation with the hard selection (argmax of the logits; docs/method.md §5) and the selection itself.
#include "trainer.h"

#include <algorithm>

namespace ipcae {

// The selection [R*K] on the device: the hard one (argmax of the logits), or the one given (checked).
torch::Tensor Trainer::selectionIndex(const torch::Tensor& indices, const Views& params) const {
  if (!indices.defined()) return selector_->logits(params).argmax(-1).reshape({-1});
  require(indices.numel() == R_ * K_,
          "Expected a selection of R*K = " + std::to_string(R_ * K_) + " indices but received " + std::to_string(indices.numel()));
  require(indices.min().item<int64_t>() >= 0 && indices.max().item<int64_t>() < D_,
          "Expected selection indices in [0, " + std::to_string(D_) + ")");
  return indices.to(device_, torch::kLong).reshape({-1});
}

EvalResult Trainer::evaluate(const std::string& name, bool best, const torch::Tensor& indices) {
  require(hasData_, "No data: call setData before evaluating");
  enterThread();
  torch::NoGradGuard noGrad;
  const auto& d = split(name);
  const Views& params = bestOrCurrent(best);
  const auto idx = selectionIndex(indices, params);
  const int64_t N = d.x.size(0);
  auto acc = torch::TensorOptions().dtype(torch::kDouble).device(device_);
  auto lossSum = torch::zeros({R_}, acc), metricSum = torch::zeros({R_}, acc);
  for (int64_t n0 = 0; n0 < N; n0 += opt_.evalBatchSize) {
    const int64_t n = std::min(opt_.evalBatchSize, N - n0);
    auto x = d.x.narrow(0, n0, n);
    auto U = x.index_select(1, idx).view({n, R_, K_}).permute({1, 0, 2}).contiguous();
    auto out = decoder_->forward(U, params, false, nullptr, 0, step_);
    if (opt_.task == "classification") {
      auto y = d.y.narrow(0, n0, n);
      auto lsm = torch::log_softmax(out, -1);
      auto picked = lsm.gather(2, y.view({1, n, 1}).expand({R_, n, 1})).squeeze(2);
      lossSum -= picked.sum(1).to(torch::kDouble);
      metricSum += (out.argmax(-1) == y.view({1, n})).sum(1).to(torch::kDouble);
    } else {
      auto target = opt_.task == "reconstruction" ? x : d.y.narrow(0, n0, n);
      auto sq = (out - target.unsqueeze(0)).pow(2);
      lossSum += sq.sum({1, 2}).to(torch::kDouble);
      if (opt_.task == "reconstruction") {
        // docs/method.md §5: mean over samples of ||x - x_hat||_2 / D.
        metricSum += (sq.sum(-1).sqrt().sum(1) / static_cast<double>(D_)).to(torch::kDouble);
      }
    }
  }
  EvalResult res;
  auto loss = lossSum.to(torch::kCPU), metric = metricSum.to(torch::kCPU);
  const double per = opt_.task == "classification" ? static_cast<double>(N) : static_cast<double>(N * O_);
  for (int64_t r = 0; r < R_; ++r) {
    res.loss.push_back(loss[r].item<double>() / per);
    if (opt_.task == "regression") {
      res.metric.push_back(res.loss.back());
    } else {
      res.metric.push_back(metric[r].item<double>() / static_cast<double>(N));
    }
  }
  return res;
}

torch::Tensor Trainer::predict(const torch::Tensor& xIn, bool best, const torch::Tensor& indices) {
  enterThread();
  torch::NoGradGuard noGrad;
  require(xIn.dim() == 2 && xIn.size(1) == D_, "Expected rows of D = " + std::to_string(D_) + " values to predict from");
  const Views& params = bestOrCurrent(best);
  const auto idx = selectionIndex(indices, params);
  auto x = xIn.to(device_, dtype_);
  const int64_t N = x.size(0);
  std::vector<torch::Tensor> parts;
  for (int64_t n0 = 0; n0 < N; n0 += opt_.evalBatchSize) {
    const int64_t n = std::min(opt_.evalBatchSize, N - n0);
    auto U = x.narrow(0, n0, n).index_select(1, idx).view({n, R_, K_}).permute({1, 0, 2}).contiguous();
    parts.push_back(decoder_->forward(U, params, false, nullptr, 0, step_).to(torch::kCPU, torch::kFloat));
  }
  return N ? torch::cat(parts, 1).contiguous() : torch::empty({R_, 0, O_}, torch::kFloat);
}

Selection Trainer::selection(bool best) {
  enterThread();
  torch::NoGradGuard noGrad;
  auto L = selector_->logits(bestOrCurrent(best));
  Selection s;
  s.indices = L.argmax(-1).to(torch::kCPU);
  s.probabilities = torch::softmax(L, -1).to(torch::kCPU, torch::kFloat).contiguous();
  return s;
}

}  // namespace ipcae
