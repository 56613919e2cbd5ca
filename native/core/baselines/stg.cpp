#include "stg.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "errors.h"
#include "noise.h"

namespace ipcae {

namespace {
constexpr double kInvSqrt2 = 0.70710678118654752440;
constexpr double kInvSqrt2Pi = 0.39894228040143267794;
}  // namespace

Stg::Stg(const BaselineOptions& o, BaselineData data) : o_(o) {
  torch::NoGradGuard noGrad;
  O_ = begin_baseline(o_, data, d_);
  const auto dtype = baseline_dtype(o_);
  R_ = static_cast<int64_t>(o_.seeds.size());
  D_ = o_.inputDim;
  require(static_cast<int64_t>(o_.lambdas.size()) == R_, "Expected one lambda per seed (" + std::to_string(R_) + ")");
  for (double l : o_.lambdas) require(l >= 0 && std::isfinite(l), "Expected lambdas >= 0");
  require(batch_size_of(o_, d_.train) * 2 < (int64_t{1} << 31), "Expected a smaller batch");
  mlp_init(p_, o_.seeds, D_, o_.hidden, O_, dtype);
  // mu after the network, from the same per-seed stream (0.01 * N(0,1), as runopti/stg).
  auto mu = torch::empty({R_, D_}, torch::kDouble);
  for (int64_t r = 0; r < R_; ++r) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(splitmix64(o_.seeds[r] ^ 0x5747u));
    mu[r].copy_(torch::empty({D_}, torch::kDouble).normal_(0.0, 1.0, gen) * 0.01);
  }
  mu_ = mu.to(dtype);
  lambda_ = torch::tensor(o_.lambdas, torch::kDouble).to(dtype);
  auto ps = p_.all();
  ps.push_back(&mu_);
  adam_.reset(ps);
}

torch::Tensor Stg::gateNoise(int64_t step) const {
  auto eps = torch::empty({R_, D_}, torch::kFloat);
  auto* e = eps.data_ptr<float>();
  for (int64_t r = 0; r < R_; ++r) {
    const NoiseKey key = make_key(o_.seeds[r], Stream::StgGate, static_cast<uint64_t>(step));
    for (int64_t j = 0; j < D_; ++j) {
      // Box-Muller on two counter-based uniforms in (0,1).
      const double u1 = ((noise_hash(static_cast<uint32_t>(2 * j), key) >> 9) + 0.5) * kUniformScale;
      const double u2 = ((noise_hash(static_cast<uint32_t>(2 * j + 1), key) >> 9) + 0.5) * kUniformScale;
      e[r * D_ + j] = static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
    }
  }
  return eps;
}

torch::Tensor Stg::forwardBackward(const torch::Tensor& xb, const torch::Tensor& yb, int64_t step, MlpParams* grads,
                                   torch::Tensor* dMu) {
  // The elementwise work on [R,D] is written out in loops (one LibTorch op costs microseconds,
  // the whole [R,D] pass less): each loop performs the IEEE operations LibTorch's ops performed,
  // in the same order and precision (scalars rounded to the tensor's type first, as LibTorch
  // does), so the results keep their bits. exp stays LibTorch's (its vectorised exp rounds
  // differently from libm's).
  const auto eps = gateNoise(step);
  auto pre = torch::empty_like(mu_), z = torch::empty_like(mu_);
  AT_DISPATCH_FLOATING_TYPES(mu_.scalar_type(), "stg_gates", [&] {
    const scalar_t sigma = static_cast<scalar_t>(o_.sigma), half = static_cast<scalar_t>(0.5);
    const auto* m = mu_.data_ptr<scalar_t>();
    const auto* e = eps.data_ptr<float>();
    auto* pp = pre.data_ptr<scalar_t>();
    auto* zp = z.data_ptr<scalar_t>();
    for (int64_t i = 0; i < R_ * D_; ++i) {
      // mu + eps * sigma + 0.5, then clamp(0, 1) (pre is never -0 or NaN for finite mu)
      pp[i] = (m[i] + static_cast<scalar_t>(e[i]) * sigma) + half;
      zp[i] = std::min(std::max(pp[i], scalar_t(0)), scalar_t(1));
    }
  });
  // The gated input per replica [R,B,D] (smaller than gating W1 [R,D,H] for the batch sizes used).
  auto xg = xb.unsqueeze(0) * z.unsqueeze(1);
  MlpCache cache;
  auto out = mlp_forward(xg, p_, p_.W1, &cache);
  torch::Tensor loss, dOut;
  task_loss(o_.task, out, yb, loss, dOut);
  if (!grads) return loss;
  torch::Tensor dPre;
  mlp_backward(dOut, p_, cache, *grads, &dPre);
  // d/dz_d = sum_b x_bd * (dPre W1^T)_bd
  auto dz = (torch::bmm(dPre, p_.W1.transpose(1, 2)) * xb.unsqueeze(0)).sum(1).contiguous();  // [R,D]
  // d/dmu of lambda * mean_d Phi((mu + 0.5) / sigma) = lambda / D * phi(.) / sigma, where
  // phi(t) = exp(-t^2 / 2) / sqrt(2 pi)
  auto expArg = torch::empty_like(mu_);
  AT_DISPATCH_FLOATING_TYPES(mu_.scalar_type(), "stg_reg_arg", [&] {
    const scalar_t sigma = static_cast<scalar_t>(o_.sigma), half = static_cast<scalar_t>(0.5);
    const auto* m = mu_.data_ptr<scalar_t>();
    auto* a = expArg.data_ptr<scalar_t>();
    for (int64_t i = 0; i < R_ * D_; ++i) {
      const scalar_t t = (m[i] + half) / sigma;
      a[i] = t * t * -half;
    }
  });
  auto gauss = expArg.exp_();
  auto dm = torch::empty_like(mu_);
  AT_DISPATCH_FLOATING_TYPES(mu_.scalar_type(), "stg_dmu", [&] {
    const scalar_t c = static_cast<scalar_t>(kInvSqrt2Pi / o_.sigma / static_cast<double>(D_));
    const auto* g = gauss.data_ptr<scalar_t>();
    const auto* l = lambda_.data_ptr<scalar_t>();
    const auto* pp = pre.data_ptr<scalar_t>();
    const auto* dzp = dz.data_ptr<scalar_t>();
    auto* out = dm.data_ptr<scalar_t>();
    for (int64_t r = 0; r < R_; ++r)
      for (int64_t d = 0; d < D_; ++d) {
        const int64_t i = r * D_ + d;
        // clamp passes the gradient where 0 <= pre <= 1 (torch.clamp's rule): dz * inside + dReg
        const scalar_t inside = pp[i] >= 0 && pp[i] <= 1 ? scalar_t(1) : scalar_t(0);
        out[i] = dzp[i] * inside + g[i] * c * l[r];
      }
  });
  *dMu = dm;
  return loss;
}

torch::Tensor Stg::objective(int64_t step, torch::Tensor* dMu, torch::Tensor* dW1) {
  torch::NoGradGuard noGrad;
  const int64_t B = batch_size_of(o_, d_.train);
  auto xb = d_.train.x.narrow(0, 0, B);
  auto yb = task_target(o_.task, d_.train).narrow(0, 0, B);
  MlpParams g;
  torch::Tensor dm;
  auto loss = forwardBackward(xb, yb, step, &g, &dm);
  auto t = (mu_.to(torch::kDouble) + 0.5) / o_.sigma;
  auto reg = (t * kInvSqrt2).erf().add(1).mul(0.5).mean(-1) * lambda_.to(torch::kDouble);
  if (dMu) *dMu = dm;
  if (dW1) *dW1 = g.W1;
  return loss.to(torch::kDouble) + reg;
}

StgEpoch Stg::runEpoch() {
  enter_baseline_thread(o_.threads);
  torch::NoGradGuard noGrad;
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t B = batch_size_of(o_, d_.train), N = d_.train.x.size(0), steps = N / B;
  const auto& target = task_target(o_.task, d_.train);
  auto lossSum = torch::zeros({R_}, torch::kDouble);
  auto all = torch::ones({R_}, torch::kBool);
  auto ps = p_.all();
  ps.push_back(&mu_);
  for (int64_t s = 0; s < steps; ++s) {
    MlpParams g;
    torch::Tensor dMu;
    auto loss = forwardBackward(d_.train.x.narrow(0, s * B, B), target.narrow(0, s * B, B), step_, &g, &dMu);
    lossSum += loss.to(torch::kDouble);
    ++step_;
    adam_update(ps, {&g.W1, &g.b1, &g.W2, &g.b2, &dMu}, adam_, step_, o_.lr, o_.weightDecay, all);
  }
  ++epoch_;
  StgEpoch e;
  e.epoch = epoch_;
  auto tl = lossSum / static_cast<double>(steps);
  for (int64_t r = 0; r < R_; ++r) e.trainLoss.push_back(tl[r].item<double>());
  // validation with the deterministic gates
  auto z = (mu_ + 0.5).clamp(0, 1);
  auto Wg = p_.W1 * z.unsqueeze(-1);  // for evaluation, gating W1 once beats gating every row
  auto lsum = torch::zeros({R_}, torch::kDouble), msum = torch::zeros({R_}, torch::kDouble);
  const auto& vt = task_target(o_.task, d_.val);
  const int64_t NV = d_.val.x.size(0);
  for (int64_t n0 = 0; n0 < NV; n0 += 512) {
    const int64_t n = std::min<int64_t>(512, NV - n0);
    auto out = mlp_forward(d_.val.x.narrow(0, n0, n), p_, Wg, nullptr);
    task_sums(o_.task, out, vt.narrow(0, n0, n), lsum, msum);
  }
  finish_task_sums(o_.task, NV, O_, lsum, msum, e.valLoss, e.valMetric);
  auto open = z.gt(0).sum(-1);
  for (int64_t r = 0; r < R_; ++r) {
    e.open.push_back(open[r].item<int64_t>());
    if (!std::isfinite(e.trainLoss[r])) throw Error("ERR_DIVERGED", "STG: the loss of replica " + std::to_string(r) + " (seed " + std::to_string(o_.seeds[r]) + ") became non-finite at epoch " + std::to_string(epoch_));
  }
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return e;
}

}  // namespace ipcae
