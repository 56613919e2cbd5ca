#include "mlp.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <thread>

#include "errors.h"
#include "isa.h"
#include "loss.h"
#include "parallel.h"

namespace ipcae {

void mlp_init(MlpParams& p, const std::vector<uint64_t>& seeds, int64_t in, int64_t hidden, int64_t out,
              torch::Dtype dtype) {
  const int64_t R = static_cast<int64_t>(seeds.size());
  auto f64 = torch::TensorOptions().dtype(torch::kDouble);
  auto W1 = torch::empty({R, in, hidden}, f64), b1 = torch::empty({R, 1, hidden}, f64);
  auto W2 = torch::empty({R, hidden, out}, f64), b2 = torch::empty({R, 1, out}, f64);
  const double k1 = 1.0 / std::sqrt(static_cast<double>(in)), k2 = 1.0 / std::sqrt(static_cast<double>(hidden));
  for (int64_t r = 0; r < R; ++r) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seeds[r]);
    // nn.Linear's order: weight [out,in] then bias, layer by layer.
    W1[r].copy_(torch::empty({hidden, in}, f64).uniform_(-k1, k1, gen).t());
    b1[r].copy_(torch::empty({1, hidden}, f64).uniform_(-k1, k1, gen));
    W2[r].copy_(torch::empty({out, hidden}, f64).uniform_(-k2, k2, gen).t());
    b2[r].copy_(torch::empty({1, out}, f64).uniform_(-k2, k2, gen));
  }
  p.W1 = W1.to(dtype);
  p.b1 = b1.to(dtype);
  p.W2 = W2.to(dtype);
  p.b2 = b2.to(dtype);
}

namespace {
template <typename T>
struct MaskArgs {
  T* d;
  const T* h;
};
template <typename T>
IPCAE_INLINE void relu_mask_span(const MaskArgs<T>& a, int64_t begin, int64_t end) {
  T* __restrict d = a.d;
  const T* __restrict h = a.h;
  // d * 1 is d, so d * (h > 0) is a select between d and d * 0 (-0, or NaN for inf / NaN); both
  // computed, so that the compiler emits a blend, not a branch (ReLU's pattern is a coin toss for
  // a branch predictor)
  for (int64_t j = begin; j < end; ++j) {
    const T zero = d[j] * T(0);
    d[j] = h[j] > T(0) ? d[j] : zero;
  }
}
IPCAE_ISA_VARIANTS(relu_mask_span, MaskArgs)

void relu_mask_(torch::Tensor& d, const torch::Tensor& h) {
  // d * (h > 0) exactly as LibTorch's d.mul_(h.gt(0)) computes it (d * 1 or d * 0: a negative d
  // becomes -0, a NaN stays NaN), in one pass: the op with a bool operand ran a scalar casting
  // loop.
  if (!d.is_contiguous() || !h.is_contiguous() || d.sizes() != h.sizes() || d.scalar_type() != h.scalar_type() ||
      !d.device().is_cpu()) {
    d.mul_(h.gt(0));
    return;
  }
  AT_DISPATCH_FLOATING_TYPES(d.scalar_type(), "relu_mask_", [&] {
    const MaskArgs<scalar_t> a{d.data_ptr<scalar_t>(), h.data_ptr<scalar_t>()};
    relu_mask_span_for_isa<scalar_t>()(a, 0, d.numel());
  });
}

template <typename T>
struct BiasReluArgs {
  T* x;        // [rows, H], rows = R * B
  const T* b;  // [R, H]
  int64_t perReplica, H;
};
// x = max(x + b, 0) in one pass, as LibTorch's add_(b) then clamp_min_(0) compute it: the sum
// rounded once, then (x < 0 ? 0 : x), which keeps -0 and NaN (its vectorised max(min, x) and its
// scalar std::max(x, min) both do).
template <typename T>
IPCAE_INLINE void bias_relu_span(const BiasReluArgs<T>& a, int64_t begin, int64_t end) {
  for (int64_t row = begin; row < end; ++row) {
    T* __restrict x = a.x + row * a.H;
    const T* __restrict b = a.b + (row / a.perReplica) * a.H;
    for (int64_t j = 0; j < a.H; ++j) {
      const T v = x[j] + b[j];
      x[j] = v < T(0) ? T(0) : v;
    }
  }
}
IPCAE_ISA_VARIANTS(bias_relu_span, BiasReluArgs)

// pre += b1 (broadcast over rows), then ReLU, in place.
void bias_relu_(torch::Tensor& pre, const torch::Tensor& b1) {
  const int64_t R = pre.size(0), B = pre.size(1), H = pre.size(2);
  if (!pre.is_contiguous() || !b1.is_contiguous() || b1.numel() != R * H || pre.scalar_type() != b1.scalar_type() ||
      !pre.device().is_cpu()) {
    pre.add_(b1).clamp_min_(0);
    return;
  }
  AT_DISPATCH_FLOATING_TYPES(pre.scalar_type(), "bias_relu_", [&] {
    const BiasReluArgs<scalar_t> a{pre.data_ptr<scalar_t>(), b1.data_ptr<scalar_t>(), B, H};
    bias_relu_span_for_isa<scalar_t>()(a, 0, R * B);
  });
}
}  // namespace

torch::Tensor mlp_forward(const torch::Tensor& x, const MlpParams& p, const torch::Tensor& W1, MlpCache* cache) {
  // [B,In] x [R,In,H] broadcasts to [R,B,H]: the input is shared, not copied per replica.
  auto h = torch::matmul(x, W1);
  bias_relu_(h, p.b1);
  if (cache) {
    cache->in = x;
    cache->hidden = h;
  }
  return torch::baddbmm(p.b2, h, p.W2);
}

void mlp_backward(const torch::Tensor& dOut, const MlpParams& p, const MlpCache& cache, MlpParams& g,
                  torch::Tensor* dPreOut) {
  g.W2 = torch::bmm(cache.hidden.transpose(1, 2), dOut);
  g.b2 = dOut.sum(1, true);
  auto dPre = torch::bmm(dOut, p.W2.transpose(1, 2));
  relu_mask_(dPre, cache.hidden);
  g.b1 = dPre.sum(1, true);
  g.W1 = torch::matmul(cache.in.transpose(-1, -2), dPre);
  if (dPreOut) *dPreOut = dPre;
}

void task_loss(const std::string& task, const torch::Tensor& out, const torch::Tensor& target, torch::Tensor& loss,
               torch::Tensor& dOut) {
  if (task == "classification") {
    cross_entropy_fused(out, target, loss, dOut);
  } else {
    mse_fused(out, target, loss, dOut);
  }
}

void task_sums(const std::string& task, const torch::Tensor& out, const torch::Tensor& target, torch::Tensor& lossSum,
               torch::Tensor& metricSum) {
  const int64_t R = out.size(0), n = out.size(1), O = out.size(2);
  if (task == "classification") {
    auto lsm = torch::log_softmax(out, -1);
    auto picked = lsm.gather(2, target.view({1, n, 1}).expand({R, n, 1})).squeeze(2);
    lossSum -= picked.sum(1).to(torch::kDouble);
    metricSum += (out.argmax(-1) == target.view({1, n})).sum(1).to(torch::kDouble);
  } else {
    auto sq = (out - target.unsqueeze(0)).pow(2);
    lossSum += sq.sum({1, 2}).to(torch::kDouble);
    if (task == "reconstruction") {
      metricSum += (sq.sum(-1).sqrt().sum(1) / static_cast<double>(O)).to(torch::kDouble);
    }
  }
}

void finish_task_sums(const std::string& task, int64_t N, int64_t O, const torch::Tensor& lossSum,
                      const torch::Tensor& metricSum, std::vector<double>& loss, std::vector<double>& metric) {
  const double per = task == "classification" ? static_cast<double>(N) : static_cast<double>(N * O);
  loss.clear();
  metric.clear();
  for (int64_t r = 0; r < lossSum.size(0); ++r) {
    loss.push_back(lossSum[r].item<double>() / per);
    metric.push_back(task == "regression" ? loss.back() : metricSum[r].item<double>() / static_cast<double>(N));
  }
}

namespace {
// The replicas to update, as flags (active [R] bool).
std::vector<uint8_t> active_flags(const torch::Tensor& active) {
  auto a = active.to(torch::kCPU, torch::kBool).contiguous();
  std::vector<uint8_t> out(static_cast<size_t>(a.numel()));
  for (int64_t r = 0; r < a.numel(); ++r) out[r] = a.data_ptr<bool>()[r] ? 1 : 0;
  return out;
}
}  // namespace

// One pass per parameter over raw memory (the tensor-op version allocated a dozen temporaries per
// parameter and step, which dominated a small problem's step time).
void AdamState::reset(const std::vector<torch::Tensor*>& params) {
  m.clear();
  v.clear();
  for (auto* p : params) {
    m.push_back(torch::zeros_like(*p));
    v.push_back(torch::zeros_like(*p));
  }
}

namespace {
// One replica's span of one parameter. Compiled per instruction set (isa.h) without FMA
// contraction (CMakeLists.txt: -ffp-contract=off for this file): every variant does the same
// IEEE operations in the same order (sqrt and division are correctly rounded at any vector
// width), so the wider variants give the baseline's bits, only faster.
template <typename T>
struct AdamArgs {
  T* p;
  const T* g;
  T* m;
  T* v;
  T b1, b2, wd, stepSize, bc2Sqrt, eps;
};

template <typename T>
IPCAE_INLINE void adam_span(const AdamArgs<T>& a, int64_t begin, int64_t end) {
  T* __restrict p = a.p;
  const T* __restrict g = a.g;
  T* __restrict m = a.m;
  T* __restrict v = a.v;
  const T b1 = a.b1, b2 = a.b2, wd = a.wd, ss = a.stepSize, bs = a.bc2Sqrt, eps = a.eps;
  for (int64_t j = begin; j < end; ++j) {
    const T gj = g[j] + wd * p[j];
    m[j] = b1 * m[j] + (1 - b1) * gj;
    v[j] = b2 * v[j] + (1 - b2) * gj * gj;
    p[j] -= ss * m[j] / (std::sqrt(v[j]) / bs + eps);
  }
}
IPCAE_ISA_VARIANTS(adam_span, AdamArgs)
}  // namespace

void adam_update(const std::vector<torch::Tensor*>& params, const std::vector<torch::Tensor*>& grads, AdamState& s,
                 int64_t t, double lr, double weightDecay, const torch::Tensor& active) {
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  const double bc1 = 1 - std::pow(b1, static_cast<double>(t)), bc2 = 1 - std::pow(b2, static_cast<double>(t));
  const double stepSize = lr / bc1, bc2Sqrt = std::sqrt(bc2);
  const auto flags = active_flags(active);
  for (size_t i = 0; i < params.size(); ++i) {
    auto& p = *params[i];
    auto g = grads[i]->contiguous();
    const int64_t R = p.size(0), n = p.numel() / R;
    AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "adam_update", [&] {
      const AdamArgs<scalar_t> a{p.data_ptr<scalar_t>(), g.data_ptr<scalar_t>(), s.m[i].data_ptr<scalar_t>(),
                                 s.v[i].data_ptr<scalar_t>(), static_cast<scalar_t>(b1), static_cast<scalar_t>(b2),
                                 static_cast<scalar_t>(weightDecay), static_cast<scalar_t>(stepSize),
                                 static_cast<scalar_t>(bc2Sqrt), static_cast<scalar_t>(eps)};
      const auto span = adam_span_for_isa<scalar_t>();
      for (int64_t r = 0; r < R; ++r)
        if (flags[r]) span(a, r * n, (r + 1) * n);
    });
  }
}

void SgdState::reset(const std::vector<torch::Tensor*>& params) {
  buf.clear();
  for (auto* p : params) buf.push_back(torch::zeros_like(*p));
  started = false;
}

void sgd_update(const std::vector<torch::Tensor*>& params, const std::vector<torch::Tensor*>& grads, SgdState& s,
                double lr, double momentum, const torch::Tensor& active) {
  const auto flags = active_flags(active);
  for (size_t i = 0; i < params.size(); ++i) {
    auto& p = *params[i];
    auto g = grads[i]->contiguous();
    const int64_t R = p.size(0), n = p.numel() / R;
    AT_DISPATCH_FLOATING_TYPES(p.scalar_type(), "sgd_update", [&] {
      auto* pp = p.data_ptr<scalar_t>();
      const auto* gp = g.data_ptr<scalar_t>();
      auto* bp = s.buf[i].data_ptr<scalar_t>();
      const scalar_t mom = s.started ? momentum : 0, slr = lr;
      for (int64_t r = 0; r < R; ++r) {
        if (!flags[r]) continue;
        for (int64_t j = r * n; j < (r + 1) * n; ++j) {
          bp[j] = mom * bp[j] + gp[j];
          pp[j] -= slr * bp[j];
        }
      }
    });
  }
  s.started = true;
}

void enter_baseline_thread(int threads) {
  const int n = threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  enter_job(n, n);
}

}  // namespace ipcae
