#include "trainer.h"

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <thread>

#include "gjsd.h"
#include "loss.h"
#include "noise.h"
#include "optimizer.h"
#include "parallel.h"
#include "profiler.h"
#include "runtime.h"
#include "selection.h"
#include "selection_batch.h"

namespace ipcae {

// ---------------------------------------------------------------------------------------------
// Construction

Trainer::Trainer(const TrainerOptions& o) : opt_(o) {
  tune_allocator_once();
  validate_options(o);
  device_ = parse_device(o.device);
  dtype_ = o.dtype == "float64" ? torch::kDouble : torch::kFloat;
  R_ = static_cast<int64_t>(o.seeds.size());
  D_ = o.inputDim;
  K_ = o.k;
  O_ = o.task == "reconstruction" ? D_ : o.outputDim;
  threads_ = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  perSampleNoise_ = o.noise == "per-sample";
  // The fused kernels: the CPU's, or the CUDA kernel where this build has it (else the tensor-op path).
  useFused_ = o.fusedSelection && (device_.is_cpu() || (device_.is_cuda() && cuda_selection_built()));

  enterThread();
  torch::NoGradGuard noGrad;

  // Parameter layout: the selector's parameters, then the decoder's (the order of the blocks and
  // of the initial draws is part of the checkpoint format and of every result).
  selector_ = make_selector(o, layout_);
  decoder_ = std::make_unique<Decoder>(o, O_, layout_, device_, dtype_);
  layout_.place(R_);

  auto opts = torch::TensorOptions().dtype(dtype_).device(device_);
  flat_ = torch::zeros({layout_.total()}, opts);
  grad_ = torch::zeros_like(flat_);
  best_ = torch::zeros_like(flat_);
  adamM_ = torch::zeros_like(flat_);
  adamV_ = torch::zeros_like(flat_);
  params_ = layout_.views(flat_);
  grads_ = layout_.views(grad_);
  bestParams_ = layout_.views(best_);
  for (int64_t r = 0; r < R_; ++r) {
    ReplicaInit init(opt_.seeds[r], r, layout_, params_);
    selector_->init(init);
    decoder_->init(init);
  }
  best_.copy_(flat_);
  // LibTorch's own ops (decoder, selector matmuls) on small problems: one thread, because OpenMP
  // fork/join on every tiny op cost more than it saved (measured: Mice-shaped R=10 ran 30% slower
  // with 2 threads). The selection kernel and Adam still use `threads`.
  {
    const int64_t decoderMacs = 3 * opt_.batchSize * decoder_->macsPerSample();
    const int64_t macs = R_ * (selector_->macs() + decoderMacs);
    opsThreads_ = macs < 8'000'000 ? 1 : threads_;
    // ... and then the replicas are split between the threads, each running whole steps for its
    // part: one fork/join per step instead of one per op. IPCAE_STEP_PARTS=1 turns it off (for
    // comparisons); it is only used where it cannot change a result (fused CPU selection).
    const char* env = std::getenv("IPCAE_STEP_PARTS");
    const int64_t want = env ? std::max(1L, std::strtol(env, nullptr, 10)) : threads_;
    stepParts_ = opsThreads_ == 1 && useFused_ && device_.is_cpu() ? static_cast<int>(std::min<int64_t>(want, R_)) : 1;
    selectionCaches_.assign(stepParts_, torch::Tensor());
  }
  bestValLoss_.assign(R_, std::numeric_limits<double>::infinity());
  bestEpoch_.assign(R_, -1);
  divergedEpoch_.assign(R_, -1);
  lossSum_ = torch::zeros({R_}, opts);
}

void Trainer::enterThread() const {
  enter_job(opsThreads_, threads_);
}

std::vector<std::pair<std::string, std::vector<int64_t>>> Trainer::parameterLayout() const {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (const auto& p : layout_.blocks()) out.emplace_back(p.name, p.shape);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The training step

torch::Tensor Trainer::forwardBackward(const torch::Tensor& xb, const torch::Tensor& yb,
                                       const torch::Tensor& onehotB, double T, bool update) {
  if (stepParts_ <= 1) {
    auto loss = forwardBackwardRange(xb, yb, onehotB, T, 0, params_, grads_, &selectionCaches_[0], true);
    if (update) adamStep(0, R_);
    return loss;
  }
  // Small problems: one thread per part of the group, each running the whole step for its
  // replicas with single-threaded ops. Every replica's arithmetic is the same as in one pass over
  // the group (the ops are per replica), so the results do not depend on stepParts_.
  const int parts = stepParts_;
  std::vector<torch::Tensor> losses(parts);
  std::vector<std::exception_ptr> errors(parts);
  const at::ThreadLocalState state;  // grad mode etc. are per thread
  profiler().mark("other");
#pragma omp parallel for schedule(static, 1) num_threads(parts)
  for (int c = 0; c < parts; ++c) {
    try {
      at::ThreadLocalStateGuard guard(state);
      const int kernelThreads = kernel_threads();
      set_kernel_threads(1);
      const int64_t r0 = R_ * c / parts, n = R_ * (c + 1) / parts - r0;
      Views params, grads;
      for (const auto& v : params_) params.push_back(v.narrow(0, r0, n));
      for (const auto& v : grads_) grads.push_back(v.narrow(0, r0, n));
      // static schedule: part 0 runs on the calling thread, whose profiler is the one printed
      losses[c] = forwardBackwardRange(xb, yb, onehotB, T, r0, params, grads, &selectionCaches_[c], c == 0);
      // Adam on the thread that just wrote these gradients: its replicas' blocks are in its cache.
      if (update) adamStep(r0, n);
      set_kernel_threads(kernelThreads);
    } catch (...) {
      errors[c] = std::current_exception();
    }
  }
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
  profiler().mark("parts_wait");
  return torch::cat(losses);
}

torch::Tensor Trainer::forwardBackwardRange(const torch::Tensor& xb, const torch::Tensor& yb,
                                            const torch::Tensor& onehotB, double T, int64_t r0,
                                            const Views& params, Views& grads, torch::Tensor* selectionCache,
                                            bool profile) {
  const int64_t B = xb.size(0), R = params[0].size(0);
  auto& prof = profile ? profiler() : silent_timer();
  prof.mark("other");
  auto L = selector_->logits(params).contiguous();
  prof.mark("logits");
  std::vector<NoiseKey> keys(R);
  for (int64_t r = 0; r < R; ++r) keys[r] = make_key(opt_.seeds[r0 + r], Stream::Gumbel, static_cast<uint64_t>(step_));

  // Relaxed selection (the hot spot).
  torch::Tensor U, noise, stats, S;
  const bool cached = useFused_ && device_.is_cpu() && opt_.selectionCacheMB > 0 &&
                      selection_cache_bytes(R, B, K_, D_, static_cast<int64_t>(flat_.element_size())) <=
                          static_cast<int64_t>(opt_.selectionCacheMB * 1024 * 1024);
  torch::Tensor* weights = cached ? selectionCache : nullptr;
  if (useFused_) {
    U = torch::empty({R, B, K_}, L.options());
    if (perSampleNoise_) {
      selection_forward(L, xb, T, keys, true, U, stats, weights);
    } else {
      // One noise draw per batch: the relaxed selection is one K x D softmax per replica, shared by
      // the batch, and U = x S^T a matrix product (B*K*D multiply-adds, no softmax per sample).
      if (device_.is_cpu()) {
        batch_softmax_host(L, keys, T, S);  // [R,K,D], noise drawn in the same pass
      } else {
        S = torch::softmax((L + gumbel_noise(keys, 1, K_, D_, dtype_, device_).squeeze(1)) / T, -1);
      }
      // S x^T: [R,K,D] x [D,B] -> [R,K,B] (the large operand as it is), then [R,B,K]
      U = torch::matmul(S, xb.t()).transpose(1, 2).contiguous();
    }
  } else {
    noise = gumbel_noise(keys, perSampleNoise_ ? B : 1, K_, D_, dtype_, device_);
    U = selection_forward_reference(L, xb, T, noise);
  }

  prof.mark("sel_fwd");
  Decoder::Cache cache;
  auto out = decoder_->forward(U, params, true, &cache, r0, step_);
  prof.mark("dec_fwd");

  torch::Tensor loss, dOut;
  taskLoss(out, xb, yb, onehotB, loss, dOut);

  prof.mark("loss");
  auto dU = decoder_->backward(dOut, params, grads, cache).contiguous();
  prof.mark("dec_bwd");
  torch::Tensor dL;
  if (useFused_ && perSampleNoise_) {
    dL = torch::empty_like(L);
    selection_backward(L, xb, U, stats, dU, T, keys, true, dL, weights);
  } else if (useFused_) {
    // per-batch noise: dS = dU^T x, then the softmax's backward (the noise does not depend on L)
    dL = torch::matmul(dU.transpose(1, 2).contiguous(), xb);  // [R,K,B] x [B,D] -> [R,K,D]
    if (device_.is_cpu()) {
      batch_softmax_backward_host(S, dL, T);
    } else {
      dL = S * (dL - (S * dL).sum(-1, true)) / T;
    }
  } else {
    dL = selection_backward_reference(L, xb, U, dU, T, noise);
  }
  prof.mark("sel_bwd");
  if (opt_.gjsdLambda > 0) dL = dL - opt_.gjsdLambda * gjsd_gradient(L);
  selector_->backward(params, dL, grads);
  prof.mark("selector_bwd");
  return loss;
}

void Trainer::taskLoss(const torch::Tensor& out, const torch::Tensor& xb, const torch::Tensor& yb,
                       const torch::Tensor& onehotB, torch::Tensor& loss, torch::Tensor& dOut) const {
  const int64_t B = xb.size(0);
  if (device_.is_cpu()) {
    // one pass for the loss and its gradient
    if (opt_.task == "classification") {
      cross_entropy_fused(out, yb, loss, dOut);
    } else {
      mse_fused(out, opt_.task == "reconstruction" ? xb : yb, loss, dOut);
    }
  } else if (opt_.task == "classification") {
    auto lsm = torch::log_softmax(out, -1);  // [R,B,C]
    loss = -(lsm * onehotB.unsqueeze(0)).sum({1, 2}) / static_cast<double>(B);
    dOut = (lsm.exp() - onehotB.unsqueeze(0)) / static_cast<double>(B);
  } else {
    auto diff = out - (opt_.task == "reconstruction" ? xb : yb).unsqueeze(0);
    const double n = static_cast<double>(B * O_);
    loss = diff.pow(2).sum({1, 2}) / n;
    dOut = diff * (2.0 / n);
  }
}

void Trainer::restoreReplica(int64_t r, const torch::Tensor& flat, const torch::Tensor& m, const torch::Tensor& v) {
  const Views from = layout_.views(flat), fromM = layout_.views(m), fromV = layout_.views(v);
  const Views toM = layout_.views(adamM_), toV = layout_.views(adamV_);
  for (size_t i = 0; i < params_.size(); ++i) {
    params_[i][r].copy_(from[i][r]);
    toM[i][r].copy_(fromM[i][r]);
    toV[i][r].copy_(fromV[i][r]);
  }
}

void Trainer::adamStep(int64_t r0, int64_t n) {
  adam_step(AdamOptions{opt_.lr, opt_.beta1, opt_.beta2, opt_.eps}, step_ + 1, layout_, flat_, grad_, adamM_, adamV_, r0, n);
}

// ---------------------------------------------------------------------------------------------
// Epochs

EpochReport Trainer::runEpoch(double T, const std::atomic<bool>* cancel) {
  require(hasData_, "No data: call setData before training");
  require(std::isfinite(T) && T > 0, "Expected a positive temperature but received " + std::to_string(T));
  enterThread();
  torch::NoGradGuard noGrad;
  const auto t0 = std::chrono::steady_clock::now();

  const int64_t N = train_.x.size(0), B = opt_.batchSize, steps = N / B;  // last partial batch dropped
  // Snapshot, so that a cancelled epoch leaves the trainer exactly at the epoch boundary.
  auto flat0 = flat_.clone(), m0 = adamM_.clone(), v0 = adamV_.clone();
  const int64_t step0 = step_;

  torch::Tensor order;
  if (opt_.shuffle) {
    std::vector<int64_t> perm(N);
    std::iota(perm.begin(), perm.end(), 0);
    std::mt19937_64 rng(splitmix64(opt_.shuffleSeed ^ splitmix64(static_cast<uint64_t>(epoch_) + 0x5348554646ULL)));
    for (int64_t i = N - 1; i > 0; --i) {
      std::uniform_int_distribution<int64_t> pick(0, i);
      std::swap(perm[i], perm[pick(rng)]);
    }
    order = torch::tensor(perm, torch::kLong).to(device_);
  }
  lossSum_.zero_();
  for (int64_t s = 0; s < steps; ++s) {
    if (cancel && cancel->load()) {
      flat_.copy_(flat0);
      adamM_.copy_(m0);
      adamV_.copy_(v0);
      step_ = step0;
      throw Error("ERR_CANCELLED", "training was cancelled; the trainer is back at the end of epoch " +
                                       std::to_string(epoch_));
    }
    torch::Tensor xb, yb, oh;
    if (order.defined()) {
      auto idx = order.narrow(0, s * B, B);
      xb = train_.x.index_select(0, idx);
      if (train_.y.defined()) yb = train_.y.index_select(0, idx);
      if (trainOnehot_.defined()) oh = trainOnehot_.index_select(0, idx);
    } else {
      xb = train_.x.narrow(0, s * B, B);
      if (train_.y.defined()) yb = train_.y.narrow(0, s * B, B);
      if (trainOnehot_.defined()) oh = trainOnehot_.narrow(0, s * B, B);
    }
    lossSum_ += forwardBackward(xb, yb, oh, T, true);
    profiler().mark("adam");
    ++step_;
  }

  EpochReport rep;
  rep.epoch = epoch_;
  rep.temperature = T;
  auto val = evaluate("val", false);
  profiler().mark("val_eval");
  auto trainLoss = (lossSum_ / static_cast<double>(steps)).to(torch::kCPU, torch::kDouble);
  auto L = selector_->logits(params_);
  auto pi = torch::log_softmax(L, -1).exp();
  auto gjsd = gjsd_value(L).to(torch::kCPU, torch::kDouble);
  auto maxp = std::get<0>(pi.max(-1)).mean(-1).to(torch::kCPU, torch::kDouble);
  auto idx = L.argmax(-1).to(torch::kCPU);
  profiler().mark("val_metrics");
  for (int64_t r = 0; r < R_; ++r) {
    ReplicaEpoch e;
    e.trainLoss = trainLoss[r].item<double>();
    e.valLoss = val.loss[r];
    e.valMetric = val.metric[r];
    auto row = idx[r];
    std::set<int64_t> uniq(row.data_ptr<int64_t>(), row.data_ptr<int64_t>() + K_);
    e.uniquePct = 100.0 * static_cast<double>(uniq.size()) / static_cast<double>(K_);
    e.gjsd = gjsd[r].item<double>();
    e.meanMaxProb = maxp[r].item<double>();
    // A non-finite loss stops the replica: it goes back to its parameters (and Adam moments) at
    // the start of this epoch and stays there; its best-validation parameters are those before.
    if (divergedEpoch_[r] < 0 && !(std::isfinite(e.trainLoss) && std::isfinite(e.valLoss))) divergedEpoch_[r] = epoch_;
    if (divergedEpoch_[r] >= 0) {
      restoreReplica(r, flat0, m0, v0);
      e.diverged = true;
    } else {
      e.improved = trackBest(r, e.valLoss);
    }
    rep.replicas.push_back(e);
  }
  profiler().mark("validation");
  profiler().dump();
  ++epoch_;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

std::pair<torch::Tensor, torch::Tensor> Trainer::lossAndGradient(double T) {
  require(hasData_, "No data: call setData first");
  enterThread();
  torch::NoGradGuard noGrad;
  const int64_t B = opt_.batchSize;
  auto xb = train_.x.narrow(0, 0, B);
  torch::Tensor yb, oh;
  if (train_.y.defined()) yb = train_.y.narrow(0, 0, B);
  if (trainOnehot_.defined()) oh = trainOnehot_.narrow(0, 0, B);
  auto loss = forwardBackward(xb, yb, oh, T);
  if (opt_.gjsdLambda > 0) {
    loss = loss - opt_.gjsdLambda * gjsd_value(selector_->logits(params_));
  }
  return {loss.to(torch::kCPU), grad_.to(torch::kCPU).clone()};
}

}  // namespace ipcae
