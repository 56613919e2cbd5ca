#include "lassonet.h"

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cmath>
#include <sstream>

#include "archive.h"
#include "errors.h"
#include "hier_prox.h"
#include "noise.h"

namespace ipcae {

LassoNet::LassoNet(const BaselineOptions& o, BaselineData data) : o_(o) {
  torch::NoGradGuard noGrad;
  O_ = begin_baseline(o_, data, d_);
  R_ = static_cast<int64_t>(o_.seeds.size());
  D_ = o_.inputDim;
  const auto dtype = baseline_dtype(o_);
  mlp_init(p_, o_.seeds, D_, o_.hidden, O_, dtype);
  // The skip layer: nn.Linear(D, O, bias=False)'s initialisation, from its own per-seed stream.
  auto theta = torch::empty({R_, O_, D_}, torch::kDouble);
  const double k = 1.0 / std::sqrt(static_cast<double>(D_));
  for (int64_t r = 0; r < R_; ++r) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(splitmix64(o_.seeds[r] ^ 0x1a55u));
    theta[r].copy_(torch::empty({O_, D_}, torch::kDouble).uniform_(-k, k, gen));
  }
  theta_ = theta.to(dtype);
  auto ps = p_.all();
  ps.push_back(&theta_);
  adam_.reset(ps);
  sgd_.reset(ps);
  phase_.assign(R_, Phase::Dense);
  lambda_.assign(R_, 0.0);
  stageEpochs_.assign(R_, 0);
  sinceBest_.assign(R_, 0);
  const auto obj = objectiveOf(valLoss());
  bestObj_.assign(R_, 0.0);
  for (int64_t r = 0; r < R_; ++r) bestObj_[r] = obj[r].item<double>();
}

bool LassoNet::done() const {
  for (auto p : phase_)
    if (p != Phase::Done) return false;
  return true;
}

std::vector<int64_t> LassoNet::selectedCounts() const {
  auto c = theta_.pow(2).sum(1).gt(0).sum(-1);
  std::vector<int64_t> out;
  for (int64_t r = 0; r < R_; ++r) out.push_back(c[r].item<int64_t>());
  return out;
}

torch::Tensor LassoNet::valLoss() const {
  auto lsum = torch::zeros({R_}, torch::kDouble), msum = torch::zeros({R_}, torch::kDouble);
  const auto& vt = task_target(o_.task, d_.val);
  const int64_t NV = d_.val.x.size(0);
  for (int64_t n0 = 0; n0 < NV; n0 += 512) {
    const int64_t n = std::min<int64_t>(512, NV - n0);
    auto x = d_.val.x.narrow(0, n0, n);
    auto out = mlp_forward(x, p_, p_.W1, nullptr) + torch::matmul(x, theta_.transpose(1, 2));
    task_sums(o_.task, out, vt.narrow(0, n0, n), lsum, msum);
  }
  std::vector<double> l, m;
  finish_task_sums(o_.task, NV, O_, lsum, msum, l, m);
  return torch::tensor(l, torch::kDouble);
}

torch::Tensor LassoNet::objectiveOf(const torch::Tensor& valLoss) const {
  auto reg = theta_.to(torch::kDouble).pow(2).sum(1).sqrt().sum(-1);  // sum_j ||theta_j||_2
  return valLoss + reg * torch::tensor(lambda_, torch::kDouble);
}

LassoNetPoint LassoNet::point(int64_t r, double valLoss, double valObj) const {
  LassoNetPoint p;
  p.replica = r;
  p.dense = phase_[r] == Phase::Dense;
  p.lambda = lambda_[r];
  p.epochs = stageEpochs_[r];
  p.valLoss = valLoss;
  p.valObjective = valObj;
  auto norms = theta_[r].to(torch::kDouble).pow(2).sum(0).sqrt();
  for (int64_t j = 0; j < D_; ++j) {
    const double v = norms[j].item<double>();
    p.thetaNorm.push_back(v);
    p.selected.push_back(v > 0 ? 1 : 0);
  }
  return p;
}

std::vector<LassoNetPoint> LassoNet::advance(int64_t epochs) {
  enter_baseline_thread(o_.threads);
  torch::NoGradGuard noGrad;
  std::vector<LassoNetPoint> finished;
  const int64_t B = batch_size_of(o_, d_.train), N = d_.train.x.size(0), steps = N / B;
  const auto& target = task_target(o_.task, d_.train);
  auto ps = p_.all();
  ps.push_back(&theta_);
  for (int64_t e = 0; e < epochs && !done(); ++e) {
    std::vector<uint8_t> dense(R_), path(R_);
    for (int64_t r = 0; r < R_; ++r) {
      dense[r] = phase_[r] == Phase::Dense;
      path[r] = phase_[r] == Phase::Path;
    }
    auto denseMask = torch::tensor(std::vector<int64_t>(dense.begin(), dense.end())).to(torch::kBool);
    auto pathMask = torch::tensor(std::vector<int64_t>(path.begin(), path.end())).to(torch::kBool);
    const bool anyDense = denseMask.any().item<bool>();
    for (int64_t s = 0; s < steps; ++s) {
      auto xb = d_.train.x.narrow(0, s * B, B);
      MlpCache cache;
      auto out = mlp_forward(xb, p_, p_.W1, &cache) + torch::matmul(xb, theta_.transpose(1, 2));
      torch::Tensor loss, dOut;
      task_loss(o_.task, out, target.narrow(0, s * B, B), loss, dOut);
      MlpParams g;
      mlp_backward(dOut, p_, cache, g);
      auto dTheta = torch::matmul(dOut.transpose(1, 2), xb);  // [R,O,D]
      std::vector<torch::Tensor*> gs = {&g.W1, &g.b1, &g.W2, &g.b2, &dTheta};
      if (anyDense) {
        ++adamStep_;
        adam_update(ps, gs, adam_, adamStep_, o_.lr, 0.0, denseMask);
      } else {
        sgd_update(ps, gs, sgd_, o_.pathLr, o_.momentum, pathMask);
        // Hier-Prox with lambda * lr, on the replicas on their path only
        auto lam = torch::tensor(lambda_, torch::kDouble) * o_.pathLr * pathMask.to(torch::kDouble);
        hier_prox(theta_, p_.W1, lam, o_.M, &path, &proxOrder_);
      }
    }
    ++epochs_;
    const size_t before = finished.size();
    const auto vl = valLoss();
    const auto vo = objectiveOf(vl);
    for (int64_t r = 0; r < R_; ++r) {
      if (!(phase_[r] == Phase::Dense || phase_[r] == Phase::Path)) continue;
      const double obj = vo[r].item<double>();
      if (!std::isfinite(obj))
        throw Error("ERR_DIVERGED", "LassoNet: the validation objective of seed " + std::to_string(o_.seeds[r]) +
                                        " became non-finite at lambda " + std::to_string(lambda_[r]));
      ++stageEpochs_[r];
      if (obj < o_.tol * bestObj_[r]) {
        bestObj_[r] = obj;
        sinceBest_[r] = 0;
      } else {
        ++sinceBest_[r];
      }
      const bool densePhase = phase_[r] == Phase::Dense;
      const int64_t maxEpochs = densePhase ? o_.denseEpochs : o_.pathEpochs;
      const int64_t patience = densePhase ? o_.densePatience : o_.pathPatience;
      if (sinceBest_[r] < patience && stageEpochs_[r] < maxEpochs) continue;
      // this lambda is finished: record it, then the next one
      finished.push_back(point(r, vl[r].item<double>(), obj));
      const auto& pt = finished.back();
      int64_t count = 0;
      for (auto s : pt.selected) count += s;
      if (densePhase) {
        phase_[r] = Phase::Waiting;
        lambda_[r] = o_.lambdaStart > 0 ? o_.lambdaStart
                                        : hier_prox_sparsity_start(theta_[r], p_.W1[r], o_.M) / o_.pathLr / 10;
      } else {
        lambda_[r] *= o_.pathMultiplier;
        if (count == 0 || count < o_.stopBelow) phase_[r] = Phase::Done;
      }
      stageEpochs_[r] = 0;
      sinceBest_[r] = 0;
    }
    // All dense phases over: every replica starts its path (one SGD optimizer for the path).
    bool allWaiting = true;
    for (auto p : phase_) allWaiting = allWaiting && (p == Phase::Waiting || p == Phase::Done);
    bool anyWaiting = false;
    for (auto p : phase_) anyWaiting = anyWaiting || p == Phase::Waiting;
    const bool pathStarts = allWaiting && anyWaiting;
    if (pathStarts)
      for (auto& p : phase_)
        if (p == Phase::Waiting) p = Phase::Path;
    if (finished.size() == before && !pathStarts) continue;
    // the objective at the start of each new lambda (with that lambda) is the one to beat: the
    // parameters are those just validated, only lambda changed
    const auto vo2 = objectiveOf(vl);
    for (int64_t r = 0; r < R_; ++r)
      if (stageEpochs_[r] == 0) bestObj_[r] = vo2[r].item<double>();
  }
  return finished;
}

std::string LassoNet::fingerprint() const {
  std::ostringstream f;
  f << "ipcae-lassonet-v1 task=" << o_.task << " D=" << D_ << " O=" << O_ << " hidden=" << o_.hidden
    << " dtype=" << o_.dtype << " batch=" << o_.batchSize << " M=" << o_.M << " mult=" << o_.pathMultiplier
    << " tol=" << o_.tol << " lr=" << o_.lr << " pathLr=" << o_.pathLr << " momentum=" << o_.momentum
    << " dense=" << o_.denseEpochs << "/" << o_.densePatience << " path=" << o_.pathEpochs << "/" << o_.pathPatience
    << " start=" << o_.lambdaStart << " stopBelow=" << o_.stopBelow << " seeds=[";
  for (size_t i = 0; i < o_.seeds.size(); ++i) f << (i ? "," : "") << o_.seeds[i];
  f << "]";
  return f.str();
}

namespace {
torch::Tensor doubles(const std::vector<double>& v) { return torch::tensor(v, torch::kDouble); }
torch::Tensor longs(const std::vector<int64_t>& v) { return torch::tensor(v, torch::kLong); }
}  // namespace

std::string LassoNet::saveState() const {
  std::string out;
  saveState([&](const char* data, size_t size) { out.append(data, size); });
  return out;
}

void LassoNet::saveState(const ByteSink& sink) const {
  torch::NoGradGuard noGrad;
  torch::serialize::OutputArchive a;
  a.write("fingerprint", c10::IValue(fingerprint()));
  const std::vector<torch::Tensor> params = {p_.W1, p_.b1, p_.W2, p_.b2, theta_};
  for (size_t i = 0; i < params.size(); ++i) {
    a.write("p" + std::to_string(i), params[i]);
    a.write("m" + std::to_string(i), adam_.m[i]);
    a.write("v" + std::to_string(i), adam_.v[i]);
    a.write("buf" + std::to_string(i), sgd_.buf[i]);
  }
  std::vector<int64_t> phase;
  for (auto p : phase_) phase.push_back(static_cast<int64_t>(p));
  a.write("counters", longs({adamStep_, epochs_, sgd_.started ? 1 : 0}));
  a.write("phase", longs(phase));
  a.write("lambda", doubles(lambda_));
  a.write("best_obj", doubles(bestObj_));
  a.write("stage_epochs", longs(stageEpochs_));
  a.write("since_best", longs(sinceBest_));
  save_archive(a, sink);
}

void LassoNet::loadState(const std::string& bytes) { loadState(ByteChunks(bytes)); }

void LassoNet::loadState(const ByteChunks& bytes) {
  torch::NoGradGuard noGrad;
  torch::serialize::InputArchive a;
  open_checked_archive(a, bytes, "ipcae LassoNet state", fingerprint());
  std::vector<torch::Tensor*> params = {&p_.W1, &p_.b1, &p_.W2, &p_.b2, &theta_};
  auto get = [&](const std::string& key) {
    torch::Tensor t;
    a.read(key, t);
    return t;
  };
  for (size_t i = 0; i < params.size(); ++i) {
    params[i]->copy_(get("p" + std::to_string(i)));
    adam_.m[i].copy_(get("m" + std::to_string(i)));
    adam_.v[i].copy_(get("v" + std::to_string(i)));
    sgd_.buf[i].copy_(get("buf" + std::to_string(i)));
  }
  auto counters = get("counters");
  adamStep_ = counters[0].item<int64_t>();
  epochs_ = counters[1].item<int64_t>();
  sgd_.started = counters[2].item<int64_t>() != 0;
  auto phase = get("phase"), lambda = get("lambda"), best = get("best_obj"), stage = get("stage_epochs"), since = get("since_best");
  for (int64_t r = 0; r < R_; ++r) {
    phase_[r] = static_cast<Phase>(phase[r].item<int64_t>());
    lambda_[r] = lambda[r].item<double>();
    bestObj_[r] = best[r].item<double>();
    stageEpochs_[r] = stage[r].item<int64_t>();
    sinceBest_[r] = since[r].item<int64_t>();
  }
}

}  // namespace ipcae
