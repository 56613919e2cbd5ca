#include "hier_prox.h"

namespace ipcae {

void hier_prox(torch::Tensor& theta, torch::Tensor& W, const torch::Tensor& lambda, double M) {
  torch::NoGradGuard noGrad;
  const int64_t R = W.size(0), D = W.size(1), H = W.size(2);
  // Computed in float64: the thresholds compare sums of many weights.
  auto v = theta.to(torch::kDouble);                       // [R,O,D]
  auto u = W.to(torch::kDouble);                           // [R,D,H]
  auto vnorm = v.pow(2).sum(1).sqrt();                     // [R,D]
  auto usorted = std::get<0>(u.abs().sort(-1, true));      // [R,D,H], decreasing
  auto cum = torch::cat({torch::zeros({R, D, 1}, usorted.options()), usorted.cumsum(-1)}, -1);  // [R,D,H+1]
  auto m = torch::arange(H + 1, usorted.options()).view({1, 1, H + 1});
  auto lam = lambda.to(torch::kDouble).view({R, 1, 1});
  auto w = (vnorm.unsqueeze(-1) + cum * M - lam).clamp_min(0) * M / (1 + m * M * M);  // [R,D,H+1]
  // |u|_(m+1) for m = 0..H (0 past the last)
  auto next = torch::cat({usorted, torch::zeros({R, D, 1}, usorted.options())}, -1);
  // The first m where the next-largest |u| falls to w_m or below; always exists at m = H.
  auto ok = next.le(w);
  auto first = ok.to(torch::kLong).argmax(-1, true);     // first true (argmax of a 0/1 tensor returns the first max)
  // A feature whose skip column is exactly zero stays dropped (b has no direction to grow in).
  auto wstar = w.gather(-1, first).squeeze(-1).mul(vnorm.gt(0));  // [R,D]
  auto scale = torch::where(vnorm.gt(0), wstar / (vnorm * M), torch::zeros_like(wstar));  // [R,D]
  auto newTheta = v * scale.unsqueeze(1);
  auto newW = u.sign() * torch::minimum(u.abs(), wstar.unsqueeze(-1));
  theta.copy_(newTheta);
  W.copy_(newW);
}

}  // namespace ipcae

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace ipcae {

namespace {

// One feature under repeated Hier-Prox: b = t * direction (t = ||b||), |W| sorted decreasing and
// capped at `cap` (every entry above it equals it).
struct ProxFeature {
  double t0 = 0, a = 0;    // starting norm; max |direction| (the largest entry change per unit of t)
  std::vector<double> u;   // |W_j| sorted decreasing
  std::vector<double> pre; // pre[m] = sum of u[0..m)
};

bool sparse_after_repeats(const std::vector<ProxFeature>& fs, double lambda, double M) {
  const size_t F = fs.size();
  std::vector<double> t(F), cap(F, std::numeric_limits<double>::infinity());
  std::vector<int64_t> nc(F, 0);  // entries at the cap
  for (size_t j = 0; j < F; ++j) t[j] = fs[j].t0;
  std::vector<double> tn(F), wn(F);
  for (int it = 0; it < 10000; ++it) {
    double maxChange = 0;
    for (size_t j = 0; j < F; ++j) {
      const auto& f = fs[j];
      const int64_t H = static_cast<int64_t>(f.u.size());
      if (t[j] == 0) {
        tn[j] = 0;
        wn[j] = 0;
        continue;
      }
      auto entry = [&](int64_t m) { return m < nc[j] ? cap[j] : (m < H ? f.u[m] : 0.0); };
      // (nc = 0 while the cap is still infinite: never multiply it by 0)
      auto sumTop = [&](int64_t m) {
        return m <= nc[j] ? (m ? m * cap[j] : 0.0) : (nc[j] ? nc[j] * cap[j] : 0.0) + f.pre[m] - f.pre[nc[j]];
      };
      auto wOf = [&](int64_t m) {
        return M / (1 + static_cast<double>(m) * M * M) * std::max(t[j] + M * sumTop(m) - lambda, 0.0);
      };
      double w = wOf(0);
      if (!(entry(0) <= w)) {
        // For 0 < m < nc the test reduces to m = 0's (all those entries equal the cap): start at nc.
        for (int64_t m = std::max<int64_t>(1, nc[j]); m <= H; ++m) {
          w = wOf(m);
          if (entry(m) <= w) break;
        }
      }
      tn[j] = w / M;
      wn[j] = w;
      maxChange = std::max(maxChange, std::abs(t[j] - tn[j]) * f.a);
    }
    // W is updated even on the last application; b only when it still changed (as the reference loop).
    for (size_t j = 0; j < F; ++j) {
      if (t[j] == 0) continue;
      if (wn[j] < cap[j]) {
        cap[j] = wn[j];
        while (nc[j] < static_cast<int64_t>(fs[j].u.size()) && fs[j].u[nc[j]] >= cap[j]) ++nc[j];
      }
    }
    if (maxChange < 1e-5) break;
    t = tn;
  }
  for (size_t j = 0; j < F; ++j)
    if (t[j] == 0) return true;
  return false;
}

}  // namespace

double hier_prox_sparsity_start(const torch::Tensor& theta, const torch::Tensor& W, double M) {
  auto v = theta.to(torch::kDouble).contiguous();  // [O,D]
  auto u = W.to(torch::kDouble).abs().contiguous();  // [D,H]
  const int64_t O = v.size(0), D = v.size(1), H = u.size(1);
  std::vector<ProxFeature> fs(D);
  auto norms = v.pow(2).sum(0).sqrt();
  auto vmax = v.abs().amax(0);
  auto sorted = std::get<0>(u.sort(-1, true)).contiguous();
  for (int64_t j = 0; j < D; ++j) {
    auto& f = fs[j];
    f.t0 = norms[j].item<double>();
    f.a = f.t0 > 0 ? vmax[j].item<double>() / f.t0 : 0;
    const double* s = sorted.data_ptr<double>() + j * H;
    f.u.assign(s, s + H);
    f.pre.assign(H + 1, 0.0);
    for (int64_t m = 0; m < H; ++m) f.pre[m + 1] = f.pre[m] + f.u[m];
  }
  (void)O;
  double start = 1e-6;
  while (!sparse_after_repeats(fs, 2 * start, M)) {
    start *= 2;
    if (start > 1e12) break;  // nothing ever sparsifies (all-zero weights): give up, the path's own stop applies
  }
  return start;
}

}  // namespace ipcae
