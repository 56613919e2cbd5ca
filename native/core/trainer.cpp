#include "trainer.h"

#include "layers.h"
#include "parallel.h"

#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>
#include <omp.h>
#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <thread>

namespace ipcae {

namespace {

// IPCAE_PROFILE=1 prints the time spent per phase of the training step after each epoch (stderr).
struct PhaseTimer {
  bool on = std::getenv("IPCAE_PROFILE") != nullptr;
  std::vector<std::pair<const char*, double>> acc;
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
  void mark(const char* name) {
    if (!on) return;
    auto now = std::chrono::steady_clock::now();
    const double dt = std::chrono::duration<double>(now - t).count();
    t = now;
    for (auto& a : acc)
      if (a.first == name) {
        a.second += dt;
        return;
      }
    acc.emplace_back(name, dt);
  }
  void dump() {
    if (!on) return;
    for (auto& a : acc) fprintf(stderr, "%s=%.3f ", a.first, a.second);
    fprintf(stderr, "\n");
    acc.clear();
  }
};
PhaseTimer& profiler() {
  static thread_local PhaseTimer p;
  return p;
}
PhaseTimer& silentTimer() {  // for the parts of a split step other than the first
  static thread_local PhaseTimer p;
  p.on = false;
  return p;
}

constexpr double kLayerNormEps = 1e-5;
constexpr double kLeakySlope = 0.2;

std::string join(const std::vector<int64_t>& v) {
  std::ostringstream s;
  for (size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  return s.str();
}

void require(bool cond, const std::string& message) {
  if (!cond) throw Error("ERR_INVALID_ARGUMENT", message);
}

bool allFinite(const torch::Tensor& t) { return t.numel() == 0 || torch::isfinite(t).all().item<bool>(); }

template <typename T>
void adam_kernel(T* p, const T* g, T* m, T* v, int64_t n, double beta1, double beta2, double stepSize,
                 double bc2Sqrt, double epsilon) {
  const T b1 = beta1, b2 = beta2, ob1 = 1 - beta1, ob2 = 1 - beta2;
  const T ss = stepSize, bs = bc2Sqrt, eps = epsilon;
  parallel_chunks(0, n, 65536, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) {
      const T gi = g[i];
      const T mi = b1 * m[i] + ob1 * gi;
      const T vi = b2 * v[i] + ob2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      p[i] -= ss * mi / (std::sqrt(vi) / bs + eps);
    }
  });
}

}  // namespace

torch::Device parse_device(const std::string& device) {
  if (device == "cpu") return torch::Device(torch::kCPU);
  if (device == "auto") {
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
  }
  if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
    int64_t index = 0;
    if (device.size() > 5) {
      const std::string n = device.substr(5);
      require(!n.empty() && std::all_of(n.begin(), n.end(), ::isdigit),
              "Expected 'cpu', 'cuda', 'cuda:N' or 'auto' for device but received '" + device + "'");
      index = std::stoll(n);
    }
    if (!torch::cuda::is_available()) {
      throw Error("ERR_DEVICE", "device '" + device +
                                    "' was requested but this LibTorch build sees no CUDA device "
                                    "(use device 'cpu' or 'auto')");
    }
    const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
    if (index >= count) {
      throw Error("ERR_DEVICE", "device '" + device + "' was requested but only " +
                                    std::to_string(count) + " CUDA device(s) exist");
    }
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  require(false, "Expected 'cpu', 'cuda', 'cuda:N' or 'auto' for device but received '" + device + "'");
  return torch::Device(torch::kCPU);
}

// ---------------------------------------------------------------------------------------------
// Construction and parameters

int Trainer::addParam(const std::string& name, std::vector<int64_t> shape) {
  Param p;
  p.name = name;
  p.numel = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
  p.shape = std::move(shape);
  perReplica_ += p.numel;
  params_.push_back(p);
  return static_cast<int>(params_.size()) - 1;
}

// Each op of a small model allocates and frees MB-sized tensors. With glibc's defaults those come
// from fresh mmap()s or a heap that is trimmed after every free, so every op pays page faults
// (measured here: a 432k-element addcmul took 2.7 ms instead of 0.08 ms). Keep freed memory instead.
// IPCAE_MALLOC_TUNING=0 leaves the process's malloc settings alone.
void tuneAllocatorOnce() {
  static const bool done = [] {
    const char* env = std::getenv("IPCAE_MALLOC_TUNING");
    if (env && std::string(env) == "0") return false;
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    mallopt(M_TOP_PAD, 16 * 1024 * 1024);
    return true;
  }();
  (void)done;
}

Trainer::Trainer(const TrainerOptions& o) : opt_(o) {
  tuneAllocatorOnce();
  const auto& s = o.selector;
  require(s == "cae" || s == "ip", "Expected 'cae' or 'ip' for selector but received '" + s + "'");
  require(o.ipWeights == "shared" || o.ipWeights == "diag" || o.ipWeights == "scalar",
          "Expected 'shared', 'diag' or 'scalar' for ipWeights but received '" + o.ipWeights + "'");
  require(o.noise == "per-sample" || o.noise == "per-batch",
          "Expected 'per-sample' or 'per-batch' for noise but received '" + o.noise + "'");
  require(o.task == "classification" || o.task == "reconstruction" || o.task == "regression",
          "Expected 'classification', 'reconstruction' or 'regression' for task but received '" +
              o.task + "'");
  require(o.dtype == "float32" || o.dtype == "float64",
          "Expected 'float32' or 'float64' for dtype but received '" + o.dtype + "'");
  require(o.inputDim >= 1, "Expected an integer >= 1 for inputDim but received " + std::to_string(o.inputDim));
  require(o.k >= 1 && o.k <= o.inputDim, "Expected an integer in [1, " + std::to_string(o.inputDim) +
                                             "] for k but received " + std::to_string(o.k));
  require(!o.seeds.empty(), "Expected at least one seed for seeds but received none");
  require(o.batchSize >= 1, "Expected an integer >= 1 for batchSize but received " + std::to_string(o.batchSize));
  require(o.dropout >= 0 && o.dropout < 1, "Expected a number in [0, 1) for dropout but received " + std::to_string(o.dropout));
  require(std::isfinite(o.lr) && o.lr > 0, "Expected a positive number for lr");
  require(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1, "Expected numbers in [0, 1) for beta1 and beta2");
  require(o.eps > 0, "Expected a positive number for eps");
  require(std::isfinite(o.gjsdLambda) && o.gjsdLambda >= 0, "Expected a number >= 0 for gjsdLambda");
  require(o.threads >= 0, "Expected an integer >= 0 for threads but received " + std::to_string(o.threads));
  require(o.evalBatchSize >= 1, "Expected an integer >= 1 for evalBatchSize");
  require(o.selectionCacheMB >= 0, "Expected a number >= 0 for selectionCacheMB");
  for (auto h : o.hidden) require(h >= 1, "Expected positive widths for hidden but received [" + join(o.hidden) + "]");

  device_ = parse_device(o.device);
  dtype_ = o.dtype == "float64" ? torch::kDouble : torch::kFloat;
  R_ = static_cast<int64_t>(o.seeds.size());
  D_ = o.inputDim;
  K_ = o.k;
  threads_ = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  perSampleNoise_ = o.noise == "per-sample";
  useFused_ = o.fusedSelection && device_.is_cpu();
  if (o.task == "reconstruction") {
    O_ = D_;
  } else {
    require(o.outputDim >= (o.task == "classification" ? 2 : 1),
            "Expected outputDim >= " + std::string(o.task == "classification" ? "2 (classes)" : "1 (target width)") +
                " but received " + std::to_string(o.outputDim));
    O_ = o.outputDim;
  }
  P_ = 0;
  if (s == "ip") {
    P_ = o.embeddingDim > 0 ? o.embeddingDim : D_;
    require(o.ipWeights == "shared" || P_ == D_,
            "Expected embeddingDim = inputDim (" + std::to_string(D_) + ") for ipWeights '" + o.ipWeights +
                "' but received " + std::to_string(P_));
  }
  require(o.embeddingDim >= 0, "Expected an integer >= 0 for embeddingDim");

  enterThread();
  torch::NoGradGuard noGrad;

  // Parameter layout (per replica shapes). Order = initialisation order.
  if (s == "cae") {
    selLogits_ = addParam("selector.logits", {K_, D_});
  } else if (o.ipWeights == "shared") {
    selPsi_ = addParam("selector.psi", {K_, P_});
    selW_ = addParam("selector.weight_t", {P_, D_});
    if (o.ipBias) selB_ = addParam("selector.bias", {1, D_});
  } else {
    selPsi_ = addParam("selector.psi", {K_, D_});
    selW_ = addParam("selector.weight", o.ipWeights == "diag" ? std::vector<int64_t>{1, D_}
                                                                 : std::vector<int64_t>{1, 1});
    if (o.ipBias) selB_ = addParam("selector.bias", {1, D_});
  }
  int64_t in = K_;
  for (size_t i = 0; i < o.hidden.size(); ++i) {
    LayerIdx l;
    const std::string p = "decoder." + std::to_string(i) + ".";
    l.in = in;
    l.out = o.hidden[i];
    l.W = addParam(p + "weight_t", {in, l.out});
    l.b = addParam(p + "bias", {1, l.out});
    l.gamma = addParam(p + "norm.weight", {1, l.out});
    l.beta = addParam(p + "norm.bias", {1, l.out});
    layers_.push_back(l);
    in = l.out;
  }
  {
    LayerIdx l;
    l.in = in;
    l.out = O_;
    l.W = addParam("decoder.out.weight_t", {in, O_});
    l.b = addParam("decoder.out.bias", {1, O_});
    layers_.push_back(l);
  }
  // Offsets were assigned as if R_ were the block multiplier; recompute them in elements.
  int64_t off = 0;
  for (auto& p : params_) {
    p.offset = off;
    off += p.numel * R_;
  }

  auto opts = torch::TensorOptions().dtype(dtype_).device(device_);
  flat_ = torch::zeros({perReplica_ * R_}, opts);
  grad_ = torch::zeros_like(flat_);
  best_ = torch::zeros_like(flat_);
  adamM_ = torch::zeros_like(flat_);
  adamV_ = torch::zeros_like(flat_);
  P_views_ = viewsOf(flat_);
  G_views_ = viewsOf(grad_);
  B_views_ = viewsOf(best_);
  for (int64_t r = 0; r < R_; ++r) initReplica(r);
  best_.copy_(flat_);
  // LibTorch's own ops (decoder, selector matmuls) on small problems: one thread, because OpenMP
  // fork/join on every tiny op cost more than it saved (measured: Mice-shaped R=10 ran 30% slower
  // with 2 threads). The selection kernel and Adam still use `threads`.
  {
    int64_t layerMacs = 0;
    for (const auto& l : layers_) layerMacs += l.in * l.out;
    const int64_t selectorMacs = selLogits_ >= 0 ? 0 : 3 * K_ * P_ * D_;
    const int64_t decoderMacs = 3 * opt_.batchSize * layerMacs;
    const int64_t macs = R_ * (selectorMacs + decoderMacs);
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
  lossSum_ = torch::zeros({R_}, opts);
}

Trainer::Views Trainer::viewsOf(const torch::Tensor& flat) const {
  Views v;
  for (const auto& p : params_) {
    std::vector<int64_t> shape{R_};
    shape.insert(shape.end(), p.shape.begin(), p.shape.end());
    v.push_back(flat.narrow(0, p.offset, p.numel * R_).view(shape));
  }
  return v;
}

// Initialisation of replica r from its own generator (seeded with its seed), on the CPU in float64,
// so that it does not depend on the device, the dtype or the other replicas of the group.
void Trainer::initReplica(int64_t r) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(opt_.seeds[r]);
  auto f64 = torch::TensorOptions().dtype(torch::kDouble);
  auto uniform = [&](const std::vector<int64_t>& shape, double a, double b) {
    return torch::empty(shape, f64).uniform_(a, b, gen);
  };
  auto normal = [&](const std::vector<int64_t>& shape) {
    return torch::empty(shape, f64).normal_(0.0, 1.0, gen);
  };
  auto set = [&](int idx, const torch::Tensor& value) { P_views_[idx][r].copy_(value.view(params_[idx].shape)); };

  if (selLogits_ >= 0) {
    auto L = uniform({K_, D_}, 0.0, 1.0);
    set(selLogits_, L / L.sum(1, true));
  } else if (opt_.ipWeights == "shared") {
    const double bound = 1.0 / std::sqrt(static_cast<double>(P_));
    set(selPsi_, normal({K_, P_}));
    // nn.Linear(P, D): weight [D,P] and bias [D], both U(-1/sqrt(P), 1/sqrt(P)); stored transposed.
    set(selW_, uniform({D_, P_}, -bound, bound).t().contiguous());
    if (selB_ >= 0) set(selB_, uniform({1, D_}, -bound, bound));
  } else {
    set(selPsi_, normal({K_, D_}));
    set(selW_, normal(params_[selW_].shape));
    if (selB_ >= 0) set(selB_, normal({1, D_}));
  }
  for (const auto& l : layers_) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(l.in));
    set(l.W, uniform({l.out, l.in}, -bound, bound).t().contiguous());
    set(l.b, uniform({1, l.out}, -bound, bound));
    if (l.gamma >= 0) {
      P_views_[l.gamma][r].fill_(1.0);
      P_views_[l.beta][r].fill_(0.0);
    }
  }
}

void Trainer::enterThread() const {
  // set_num_threads also rebuilds LibTorch's pthreadpool: only call it when the count differs.
  if (at::get_num_threads() != opsThreads_) at::set_num_threads(opsThreads_);
  set_kernel_threads(threads_);
}

std::vector<std::pair<std::string, std::vector<int64_t>>> Trainer::parameterLayout() const {
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  for (const auto& p : params_) out.emplace_back(p.name, p.shape);
  return out;
}

torch::Tensor Trainer::flatParameters(bool best) const { return (best ? best_ : flat_).to(torch::kCPU).clone(); }

void Trainer::setFlatParameters(const torch::Tensor& flat) {
  require(flat.numel() == flat_.numel(), "Expected " + std::to_string(flat_.numel()) +
                                             " values for parameters but received " + std::to_string(flat.numel()));
  flat_.copy_(flat.view({-1}).to(flat_.options()));
}

// ---------------------------------------------------------------------------------------------
// Data

void Trainer::setData(const SplitData& train, const SplitData& val, const SplitData& test) {
  enterThread();
  torch::NoGradGuard noGrad;
  const bool cls = opt_.task == "classification", reg = opt_.task == "regression";
  auto check = [&](const SplitData& d, const std::string& name) {
    require(d.x.defined() && d.x.dim() == 2 && d.x.size(1) == D_,
            "Expected " + name + ".x with " + std::to_string(D_) + " features per row");
    require(d.x.size(0) >= 1, "Expected a non-empty " + name + " split but received 0 rows");
    require(allFinite(d.x), "Expected finite values in " + name + ".x but found NaN or Inf");
    if (cls) {
      require(d.y.defined() && d.y.dim() == 1 && d.y.size(0) == d.x.size(0),
              "Expected one label per row for " + name + ".y");
      const auto mn = d.y.min().item<int64_t>(), mx = d.y.max().item<int64_t>();
      require(mn >= 0 && mx < O_, "Expected labels in [0, " + std::to_string(O_) + ") for " + name +
                                      ".y but found values in [" + std::to_string(mn) + ", " +
                                      std::to_string(mx) + "]");
    } else if (reg) {
      require(d.y.defined() && d.y.dim() == 2 && d.y.size(0) == d.x.size(0) && d.y.size(1) == O_,
              "Expected " + name + ".y with " + std::to_string(O_) + " target values per row");
      require(allFinite(d.y), "Expected finite values in " + name + ".y but found NaN or Inf");
    }
  };
  check(train, "train");
  check(val, "val");
  check(test, "test");
  require(train.x.size(0) >= opt_.batchSize,
          "Expected batchSize <= the number of training rows (" + std::to_string(train.x.size(0)) +
              ") but received " + std::to_string(opt_.batchSize));
  require(opt_.batchSize * K_ * D_ < (int64_t{1} << 32),
          "Expected batchSize x k x inputDim below 2^32 (the noise counter is 32-bit)");
  auto move = [&](const SplitData& d) {
    SplitData out;
    out.x = d.x.to(device_, dtype_).contiguous();
    if (d.y.defined()) out.y = cls ? d.y.to(device_, torch::kLong).contiguous() : d.y.to(device_, dtype_).contiguous();
    return out;
  };
  // Data moves to the device once per run; batches are views (or one gather when shuffling).
  train_ = move(train);
  val_ = move(val);
  test_ = move(test);
  if (cls) {
    trainOnehot_ = torch::zeros({train_.x.size(0), O_}, train_.x.options());
    trainOnehot_.scatter_(1, train_.y.view({-1, 1}), 1.0);
  }
  hasData_ = true;
}

SplitData& Trainer::split(const std::string& name) {
  if (name == "train") return train_;
  if (name == "val") return val_;
  if (name == "test") return test_;
  require(false, "Expected 'train', 'val' or 'test' for split but received '" + name + "'");
  return train_;
}

// ---------------------------------------------------------------------------------------------
// Model

torch::Tensor Trainer::logits(const Views& P) const {
  if (selLogits_ >= 0) return P[selLogits_];
  if (opt_.ipWeights == "shared") {
    return selB_ >= 0 ? torch::baddbmm(P[selB_], P[selPsi_], P[selW_]) : torch::bmm(P[selPsi_], P[selW_]);
  }
  return selB_ >= 0 ? torch::addcmul(P[selB_], P[selPsi_], P[selW_]) : P[selPsi_] * P[selW_];
}

void Trainer::selectorBackward(const Views& P, const torch::Tensor& dL, Views& G) const {
  if (selLogits_ >= 0) {
    G[selLogits_].copy_(dL);
    return;
  }
  if (opt_.ipWeights == "shared") {
    torch::bmm_out(G[selPsi_], dL, P[selW_].transpose(1, 2));
    torch::bmm_out(G[selW_], P[selPsi_].transpose(1, 2), dL);
  } else {
    torch::mul_out(G[selPsi_], dL, P[selW_]);
    if (opt_.ipWeights == "diag") {
      torch::sum_out(G[selW_], dL * P[selPsi_], {1}, true);
    } else {
      torch::sum_out(G[selW_], dL * P[selPsi_], {1, 2}, true);
    }
  }
  if (selB_ >= 0) torch::sum_out(G[selB_], dL, {1}, true);
}

torch::Tensor Trainer::dropoutMask(int64_t layer, int64_t B, int64_t H, int64_t r0, int64_t n) const {
  // Counter-based like the Gumbel noise: a pure function of (seed, step, layer, element).
  auto mask = torch::empty({n, B, H}, torch::TensorOptions().dtype(dtype_));
  const double keep = 1.0 - opt_.dropout;
  const uint32_t threshold = static_cast<uint32_t>(std::min(4294967295.0, keep * 4294967296.0));
  AT_DISPATCH_FLOATING_TYPES(mask.scalar_type(), "dropout_mask", [&] {
    auto* m = mask.data_ptr<scalar_t>();
    const scalar_t scale = static_cast<scalar_t>(1.0 / keep);
    for (int64_t r = 0; r < n; ++r) {
      const NoiseKey key = make_key(opt_.seeds[r0 + r], Stream::Dropout, static_cast<uint64_t>(step_) * 256 + layer);
      for (int64_t i = 0; i < B * H; ++i) {
        m[r * B * H + i] = noise_hash(static_cast<uint32_t>(i), key) < threshold ? scale : scalar_t(0);
      }
    }
  });
  return mask.to(device_);
}

torch::Tensor Trainer::decoderForward(const torch::Tensor& U, const Views& P, bool train,
                                      std::vector<LayerCache>* caches, torch::Tensor* lastHidden, int64_t r0) {
  torch::Tensor h = U;
  const int64_t R = U.size(0), B = U.size(1);
  if (caches) caches->assign(layers_.size() - 1, LayerCache{});
  for (size_t i = 0; i + 1 < layers_.size(); ++i) {
    const auto& l = layers_[i];
    auto a = torch::baddbmm(P[l.b], h, P[l.W]);  // [R,B,H]
    torch::Tensor act, xhat, mean, rstd, y;
    if (device_.is_cpu()) {
      // fused LayerNorm → affine → LeakyReLU (one pass); y is not kept: sign(y) = sign(act)
      norm_act_forward(a, P[l.gamma], P[l.beta], kLayerNormEps, kLeakySlope, act, xhat, rstd);
      y = act;
    } else {
      auto ln = torch::native_layer_norm(a.view({R * B, l.out}), {l.out}, {}, {}, kLayerNormEps);
      xhat = std::get<0>(ln).view({R, B, l.out});
      mean = std::get<1>(ln);
      rstd = std::get<2>(ln);
      y = torch::addcmul(P[l.beta], xhat, P[l.gamma]);
      act = torch::leaky_relu(y, kLeakySlope);
    }
    torch::Tensor mask;
    if (train && opt_.dropout > 0) {
      mask = dropoutMask(static_cast<int64_t>(i), B, l.out, r0, R);
      act = act * mask;
    }
    if (caches) {
      auto& c = (*caches)[i];
      c.in = h;
      c.a = a;
      c.xhat = xhat;
      c.mean = mean;
      c.rstd = rstd;
      c.y = y;
      c.mask = mask;
    }
    h = act;
  }
  if (lastHidden) *lastHidden = h;
  const auto& o = layers_.back();
  return torch::baddbmm(P[o.b], h, P[o.W]);
}

torch::Tensor Trainer::decoderBackward(const torch::Tensor& dOut, const Views& P, Views& G,
                                       std::vector<LayerCache>& caches, const torch::Tensor& lastHidden) {
  const auto& o = layers_.back();
  torch::bmm_out(G[o.W], lastHidden.transpose(1, 2), dOut);
  torch::sum_out(G[o.b], dOut, {1}, true);
  torch::Tensor dh = torch::bmm(dOut, P[o.W].transpose(1, 2));
  for (int64_t i = static_cast<int64_t>(layers_.size()) - 2; i >= 0; --i) {
    const auto& l = layers_[i];
    auto& c = caches[i];
    const int64_t R = dh.size(0), B = dh.size(1);
    if (c.mask.defined()) dh = dh * c.mask;
    torch::Tensor da;
    if (device_.is_cpu()) {
      norm_act_backward(dh.contiguous(), c.y, c.xhat, c.rstd, P[l.gamma], kLeakySlope, da, G[l.gamma], G[l.beta]);
    } else {
      auto dy = torch::leaky_relu_backward(dh, c.y, kLeakySlope, false);
      torch::sum_out(G[l.gamma], dy * c.xhat, {1}, true);
      torch::sum_out(G[l.beta], dy, {1}, true);
      auto dxhat = dy * P[l.gamma];
      da = std::get<0>(torch::native_layer_norm_backward(dxhat.view({R * B, l.out}), c.a.view({R * B, l.out}),
                                                         {l.out}, c.mean, c.rstd, {}, {}, {true, false, false}))
               .view({R, B, l.out});
    }
    torch::bmm_out(G[l.W], c.in.transpose(1, 2), da);
    torch::sum_out(G[l.b], da, {1}, true);
    dh = torch::bmm(da, P[l.W].transpose(1, 2));
  }
  return dh;  // dLoss/dU [R,B,K]
}

// d GJSD / d L for GJSD = (1/K) sum_k sum_d pi_kd (log pi_kd - log m_d), pi = softmax(L), m = mean_k pi.
torch::Tensor Trainer::gjsdGradient(const torch::Tensor& L) const {
  auto logpi = torch::log_softmax(L, -1);
  auto pi = logpi.exp();
  auto logm = pi.mean(1, true).log();
  auto g = (logpi - logm) / static_cast<double>(K_);
  return pi * (g - (pi * g).sum(-1, true));
}

torch::Tensor Trainer::forwardBackward(const torch::Tensor& xb, const torch::Tensor& yb,
                                       const torch::Tensor& onehotB, double T, bool update) {
  if (stepParts_ <= 1) {
    auto loss = forwardBackwardRange(xb, yb, onehotB, T, 0, P_views_, G_views_, &selectionCaches_[0], true);
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
      Views P, G;
      for (const auto& v : P_views_) P.push_back(v.narrow(0, r0, n));
      for (const auto& v : G_views_) G.push_back(v.narrow(0, r0, n));
      // static schedule: part 0 runs on the calling thread, whose profiler is the one printed
      losses[c] = forwardBackwardRange(xb, yb, onehotB, T, r0, P, G, &selectionCaches_[c], c == 0);
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
                                            const torch::Tensor& onehotB, double T, int64_t r0, const Views& P,
                                            Views& G, torch::Tensor* selectionCache, bool profile) {
  const int64_t B = xb.size(0), R = P[0].size(0);
  auto& prof = profile ? profiler() : silentTimer();
  prof.mark("other");
  auto L = logits(P).contiguous();
  prof.mark("logits");
  std::vector<NoiseKey> keys(R);
  for (int64_t r = 0; r < R; ++r) keys[r] = make_key(opt_.seeds[r0 + r], Stream::Gumbel, static_cast<uint64_t>(step_));

  // Relaxed selection (the hot spot).
  torch::Tensor U, noisyL, noise, stats;
  const bool cached = useFused_ && opt_.selectionCacheMB > 0 &&
                      selection_cache_bytes(R, B, K_, D_, static_cast<int64_t>(flat_.element_size())) <=
                          static_cast<int64_t>(opt_.selectionCacheMB * 1024 * 1024);
  torch::Tensor* cache = cached ? selectionCache : nullptr;
  if (useFused_) {
    U = torch::empty({R, B, K_}, L.options());
    if (perSampleNoise_) {
      selection_forward(L, xb, T, keys, true, U, stats, cache);
    } else {
      noisyL = (L + gumbel_noise(keys, 1, K_, D_, dtype_, device_).squeeze(1)).contiguous();
      selection_forward(noisyL, xb, T, keys, false, U, stats, cache);
    }
  } else {
    noise = gumbel_noise(keys, perSampleNoise_ ? B : 1, K_, D_, dtype_, device_);
    U = selection_forward_reference(L, xb, T, noise);
  }

  prof.mark("sel_fwd");
  std::vector<LayerCache> caches;
  torch::Tensor lastHidden;
  auto out = decoderForward(U, P, true, &caches, &lastHidden, r0);
  prof.mark("dec_fwd");

  torch::Tensor loss, dOut;
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

  prof.mark("loss");
  auto dU = decoderBackward(dOut, P, G, caches, lastHidden).contiguous();
  prof.mark("dec_bwd");
  torch::Tensor dL;
  if (useFused_) {
    dL = torch::empty_like(L);
    selection_backward(perSampleNoise_ ? L : noisyL, xb, U, stats, dU, T, keys, perSampleNoise_, dL, cache);
  } else {
    dL = selection_backward_reference(L, xb, U, dU, T, noise);
  }
  prof.mark("sel_bwd");
  if (opt_.gjsdLambda > 0) dL = dL - opt_.gjsdLambda * gjsdGradient(L);
  selectorBackward(P, dL, G);
  prof.mark("selector_bwd");
  return loss;
}

// Adam (PyTorch's formulation), over the flat buffers in one pass, or over the blocks of replicas
// [r0, r0 + n) only (the same arithmetic per element: the result does not depend on the split).
void Trainer::adamStep(int64_t r0, int64_t n) {
  const int64_t t = step_ + 1;
  const double bc1 = 1.0 - std::pow(opt_.beta1, static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(opt_.beta2, static_cast<double>(t));
  const double stepSize = opt_.lr / bc1;
  const double bc2Sqrt = std::sqrt(bc2);
  if (device_.is_cpu()) {
    AT_DISPATCH_FLOATING_TYPES(flat_.scalar_type(), "adam", [&] {
      auto* p = flat_.data_ptr<scalar_t>();
      auto* g = grad_.data_ptr<scalar_t>();
      auto* m = adamM_.data_ptr<scalar_t>();
      auto* v = adamV_.data_ptr<scalar_t>();
      if (r0 == 0 && n == R_) {
        adam_kernel<scalar_t>(p, g, m, v, flat_.numel(), opt_.beta1, opt_.beta2, stepSize, bc2Sqrt, opt_.eps);
        return;
      }
      for (const auto& q : params_) {
        const int64_t o = q.offset + r0 * q.numel;
        adam_kernel<scalar_t>(p + o, g + o, m + o, v + o, n * q.numel, opt_.beta1, opt_.beta2, stepSize, bc2Sqrt,
                              opt_.eps);
      }
    });
  } else {
    adamM_.mul_(opt_.beta1).add_(grad_, 1 - opt_.beta1);
    adamV_.mul_(opt_.beta2).addcmul_(grad_, grad_, 1 - opt_.beta2);
    flat_.addcdiv_(adamM_, (adamV_.sqrt() / bc2Sqrt).add_(opt_.eps), -stepSize);
  }
}

void Trainer::copyBest(int64_t r) {
  for (size_t i = 0; i < params_.size(); ++i) B_views_[i][r].copy_(P_views_[i][r]);
}

// ---------------------------------------------------------------------------------------------
// Epochs and evaluation

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
  auto L = logits(P_views_);
  auto logpi = torch::log_softmax(L, -1);
  auto pi = logpi.exp();
  auto gjsd = ((pi * (logpi - pi.mean(1, true).log())).sum({1, 2}) / static_cast<double>(K_)).to(torch::kCPU, torch::kDouble);
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
    if (e.valLoss < bestValLoss_[r]) {
      bestValLoss_[r] = e.valLoss;
      bestEpoch_[r] = epoch_;
      copyBest(r);
      e.improved = true;
    }
    rep.replicas.push_back(e);
  }
  profiler().mark("validation");
  profiler().dump();
  ++epoch_;
  rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

EvalResult Trainer::evaluate(const std::string& name, bool best) {
  require(hasData_, "No data: call setData before evaluating");
  enterThread();
  torch::NoGradGuard noGrad;
  const auto& d = split(name);
  // Before any validation has improved, "best" falls back to the current parameters.
  const bool useBest = best && std::any_of(bestEpoch_.begin(), bestEpoch_.end(), [](int64_t e) { return e >= 0; });
  const Views& P = useBest ? B_views_ : P_views_;
  auto idx = logits(P).argmax(-1).reshape({-1});  // hard selection [R*K]
  const int64_t N = d.x.size(0);
  auto acc = torch::TensorOptions().dtype(torch::kDouble).device(device_);
  auto lossSum = torch::zeros({R_}, acc), metricSum = torch::zeros({R_}, acc);
  for (int64_t n0 = 0; n0 < N; n0 += opt_.evalBatchSize) {
    const int64_t n = std::min(opt_.evalBatchSize, N - n0);
    auto x = d.x.narrow(0, n0, n);
    auto U = x.index_select(1, idx).view({n, R_, K_}).permute({1, 0, 2}).contiguous();
    auto out = decoderForward(U, P, false, nullptr, nullptr);
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
        // SPEC 5: mean over samples of ||x - x_hat||_2 / D.
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

Selection Trainer::selection(bool best) {
  enterThread();
  torch::NoGradGuard noGrad;
  const bool useBest = best && std::any_of(bestEpoch_.begin(), bestEpoch_.end(), [](int64_t e) { return e >= 0; });
  auto L = logits(useBest ? B_views_ : P_views_);
  Selection s;
  s.indices = L.argmax(-1).to(torch::kCPU);
  s.probabilities = torch::softmax(L, -1).to(torch::kCPU, torch::kFloat).contiguous();
  return s;
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
    auto L = logits(P_views_);
    auto logpi = torch::log_softmax(L, -1);
    auto pi = logpi.exp();
    loss = loss - opt_.gjsdLambda * (pi * (logpi - pi.mean(1, true).log())).sum({1, 2}) / static_cast<double>(K_);
  }
  return {loss.to(torch::kCPU), grad_.to(torch::kCPU).clone()};
}

// ---------------------------------------------------------------------------------------------
// State

std::string Trainer::fingerprint() const {
  std::ostringstream s;
  s << "ipcae-state-v1 selector=" << opt_.selector << " ipWeights=" << opt_.ipWeights << " P=" << P_
    << " bias=" << opt_.ipBias << " task=" << opt_.task << " D=" << D_ << " K=" << K_ << " out=" << O_
    << " hidden=[" << join(opt_.hidden) << "] dtype=" << opt_.dtype << " seeds=[";
  for (size_t i = 0; i < opt_.seeds.size(); ++i) s << (i ? "," : "") << opt_.seeds[i];
  s << "]";
  return s.str();
}

std::string Trainer::saveState() {
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
  std::ostringstream out;
  a.save_to(out);
  return out.str();
}

void Trainer::loadState(const std::string& bytes) {
  enterThread();
  torch::NoGradGuard noGrad;
  torch::serialize::InputArchive a;
  try {
    std::istringstream in(bytes);
    a.load_from(in);
  } catch (const c10::Error& e) {
    throw Error("ERR_INVALID_ARGUMENT", std::string("Expected a saved ipcae trainer state but the bytes could not be read: ") +
                                            e.what_without_backtrace());
  }
  c10::IValue fp;
  a.read("fingerprint", fp);
  require(fp.isString() && fp.toStringRef() == fingerprint(),
          "Expected a state saved by the same configuration (" + fingerprint() + ") but received one from (" +
              (fp.isString() ? fp.toStringRef() : std::string("unknown")) + ")");
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
  for (int64_t r = 0; r < R_; ++r) {
    bestValLoss_[r] = bvl[r].item<double>();
    bestEpoch_[r] = be[r].item<int64_t>();
  }
}

}  // namespace ipcae
