// Checkpoints (the whole trainer state, tied to its configuration by a fingerprint), the
// best-validation parameters of each replica, and flat access to the parameters.
#include "trainer.h"

#include "archive.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <sstream>

namespace ipcae {

bool Trainer::trackBest(int64_t r, double valLoss) {
  if (!(valLoss < bestValLoss_[r])) return false;
  bestValLoss_[r] = valLoss;
  bestEpoch_[r] = epoch_;
  for (size_t i = 0; i < params_.size(); ++i) bestParams_[i][r].copy_(params_[i][r]);
  return true;
}

// Before any validation has improved, "best" falls back to the current parameters.
const Views& Trainer::bestOrCurrent(bool best) const {
  const bool useBest = best && std::any_of(bestEpoch_.begin(), bestEpoch_.end(), [](int64_t e) { return e >= 0; });
  return useBest ? bestParams_ : params_;
}

torch::Tensor Trainer::flatParameters(bool best) const { return (best ? best_ : flat_).to(torch::kCPU).clone(); }

torch::Tensor Trainer::replicaParameters(int64_t r, bool best) const {
  require(r >= 0 && r < R_, "Expected a replica in [0, " + std::to_string(R_) + ") but received " + std::to_string(r));
  const Views& views = best ? bestParams_ : params_;
  std::vector<torch::Tensor> parts;
  parts.reserve(views.size());
  for (const auto& v : views) parts.push_back(v[r].reshape({-1}));
  return torch::cat(parts).to(torch::kCPU, torch::kFloat);
}

void Trainer::setFlatParameters(const torch::Tensor& flat) {
  require(flat.numel() == flat_.numel(), "Expected " + std::to_string(flat_.numel()) +
                                             " values for parameters but received " + std::to_string(flat.numel()));
  flat_.copy_(flat.view({-1}).to(flat_.options()));
}

std::string Trainer::fingerprint() const {
  std::ostringstream s;
  // The embedding size as the v1 format spells it: 0 for CAE.
  const int64_t P = opt_.selector == "ip" ? (opt_.embeddingDim > 0 ? opt_.embeddingDim : D_) : 0;
  s << "ipcae-state-v1 selector=" << opt_.selector << " ipWeights=" << opt_.ipWeights << " P=" << P
    << " bias=" << opt_.ipBias << " task=" << opt_.task << " D=" << D_ << " K=" << K_ << " out=" << O_
    << " hidden=[" << join_ints(opt_.hidden) << "] dtype=" << opt_.dtype << " seeds=[";
  for (size_t i = 0; i < opt_.seeds.size(); ++i) s << (i ? "," : "") << opt_.seeds[i];
  s << "]";
  return s.str();
}

std::string Trainer::saveState() {
  std::string out;
  saveState([&](const char* data, size_t size) { out.append(data, size); });
  return out;
}

void Trainer::saveState(const ByteSink& sink) {
  enterThread();
  torch::NoGradGuard noGrad;
  torch::serialize::OutputArchive a;
  a.write("fingerprint", c10::IValue(fingerprint()));
  a.write("params", flat_.to(torch::kCPU));
  a.write("best", best_.to(torch::kCPU));
  a.write("adam_m", adamM_.to(torch::kCPU));
  a.write("adam_v", adamV_.to(torch::kCPU));
  a.write("epoch", torch::tensor({epoch_}, torch::kLong));
  a.write("step", torch::tensor({step_}, torch::kLong));
  a.write("best_val_loss", torch::tensor(bestValLoss_, torch::kDouble));
  a.write("best_epoch", torch::tensor(bestEpoch_, torch::kLong));
  a.write("diverged_epoch", torch::tensor(divergedEpoch_, torch::kLong));
  save_archive(a, sink);
}

void Trainer::loadState(const std::string& bytes) { loadState(ByteChunks(bytes)); }

void Trainer::loadState(const ByteChunks& bytes) {
  enterThread();
  torch::NoGradGuard noGrad;
  torch::serialize::InputArchive a;
  open_checked_archive(a, bytes, "ipcae trainer state", fingerprint());
  torch::Tensor params, best, m, v, ep, st, bvl, be;
  a.read("params", params);
  a.read("best", best);
  a.read("adam_m", m);
  a.read("adam_v", v);
  a.read("epoch", ep);
  a.read("step", st);
  a.read("best_val_loss", bvl);
  a.read("best_epoch", be);
  flat_.copy_(params);
  best_.copy_(best);
  adamM_.copy_(m);
  adamV_.copy_(v);
  epoch_ = ep[0].item<int64_t>();
  step_ = st[0].item<int64_t>();
  torch::Tensor de;  // absent from states written before divergence was tracked
  const bool hasDiverged = a.try_read("diverged_epoch", de);
  for (int64_t r = 0; r < R_; ++r) {
    bestValLoss_[r] = bvl[r].item<double>();
    bestEpoch_[r] = be[r].item<int64_t>();
    divergedEpoch_[r] = hasDiverged ? de[r].item<int64_t>() : -1;
  }
}

}  // namespace ipcae
