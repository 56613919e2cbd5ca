// Decoder-only training on a fixed selection: when a distinct selection replaced duplicated
// features, the selector stays frozen and the decoder learns its new inputs (selectFeatures'
// `finetune`). Adam starts from zero moments: the selector gets no gradient, so it does not move.
#include <algorithm>

#include "optimizer.h"
#include "trainer.h"

namespace ipcae {

std::vector<double> Trainer::finetune(int64_t epochs, const torch::Tensor& indices) {
  require(hasData_, "No data: call setData before fine-tuning");
  require(epochs >= 1, "Expected at least one fine-tuning epoch but received " + std::to_string(epochs));
  enterThread();
  torch::NoGradGuard noGrad;
  if (std::any_of(bestEpoch_.begin(), bestEpoch_.end(), [](int64_t e) { return e >= 0; })) flat_.copy_(best_);
  adamM_.zero_();
  adamV_.zero_();
  const auto idx = selectionIndex(indices, params_);
  auto keep = flat_.clone();
  const Views kept = layout_.views(keep);
  std::vector<double> bestLoss = evaluate("val", false, indices).loss;
  const int64_t N = train_.x.size(0), B = std::min<int64_t>(opt_.batchSize, N), steps = N / B;
  int64_t t = 0;
  for (int64_t e = 0; e < epochs; ++e) {
    for (int64_t s = 0; s < steps; ++s) {
      auto xb = train_.x.narrow(0, s * B, B);
      torch::Tensor yb, oh;
      if (train_.y.defined()) yb = train_.y.narrow(0, s * B, B);
      if (trainOnehot_.defined()) oh = trainOnehot_.narrow(0, s * B, B);
      auto U = xb.index_select(1, idx).view({B, R_, K_}).permute({1, 0, 2}).contiguous();
      Decoder::Cache cache;
      auto out = decoder_->forward(U, params_, true, &cache, 0, step_);
      torch::Tensor loss, dOut;
      taskLoss(out, xb, yb, oh, loss, dOut);
      grad_.zero_();
      decoder_->backward(dOut, params_, grads_, cache);
      adam_step(AdamOptions{opt_.lr, opt_.beta1, opt_.beta2, opt_.eps}, ++t, layout_, flat_, grad_, adamM_, adamV_, 0, R_);
      ++step_;  // dropout masks: a new one each step
    }
    const auto val = evaluate("val", false, indices).loss;
    for (int64_t r = 0; r < R_; ++r)
      if (val[r] < bestLoss[r]) {
        bestLoss[r] = val[r];
        for (size_t i = 0; i < params_.size(); ++i) kept[i][r].copy_(params_[i][r]);
      }
  }
  flat_.copy_(keep);
  best_.copy_(keep);
  return bestLoss;
}

}  // namespace ipcae
