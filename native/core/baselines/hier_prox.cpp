#include "hier_prox.h"

#include <algorithm>
#include <functional>
#include <vector>

#include "errors.h"

namespace ipcae {

namespace {
// The feature's w*: the first m (0..H) with |u|_(m+1) <= w_m, where
//   w_m = (max(||v|| + M * sum_{i<m} |u|_(i) - lambda, 0) * M) / (m * M * M + 1),
// evaluated exactly as the tensor formula did (same operations, same order, float64; the sum
// taken in decreasing order from 0), so the parameters keep their bits. The 8 largest |u| are
// selected first (enough when W_j is not yet capped); the rest is sorted only when m gets there.
double hier_prox_wstar(std::vector<double>& u, double vnorm, double lambda, double M, bool isSorted) {
  const int64_t H = static_cast<int64_t>(u.size());
  auto wOf = [&](double cum, int64_t m) {
    double x = (vnorm + cum * M) - lambda;
    x = x < 0 ? 0.0 : x;  // clamp_min(0): -0.0 and NaN pass through unchanged
    return x * M / (static_cast<double>(m) * M * M + 1);
  };
  const double w0 = wOf(0.0, 0);
  double cum = 0;
  int64_t sorted = isSorted ? H : 0;
  for (int64_t m = 0; m <= H; ++m) {
    if (m < H && m >= sorted) {
      // the first 8, then (after a capped W_j, whose many equal entries push m far) the rest at once
      if (sorted == 0 && H > 16) {
        std::partial_sort(u.begin(), u.begin() + 8, u.end(), std::greater<double>());
        sorted = 8;
      } else {
        std::sort(u.begin() + sorted, u.end(), std::greater<double>());
        sorted = H;
      }
    }
    const double w = m == 0 ? w0 : wOf(cum, m);
    const double following = m < H ? u[m] : 0.0;
    if (following <= w) return w;
    if (m < H) cum += u[m];
  }
  return w0;  // no m qualified (NaN weights): the tensor version's argmax fell back to m = 0
}
}  // namespace

void hier_prox(torch::Tensor& theta, torch::Tensor& W, const torch::Tensor& lambda, double M,
               const std::vector<uint8_t>* active, std::vector<int32_t>* order) {
  torch::NoGradGuard noGrad;
  const int64_t R = W.size(0), D = W.size(1), H = W.size(2), O = theta.size(1);
  require(theta.is_contiguous() && W.is_contiguous() && theta.scalar_type() == W.scalar_type(),
          "Expected contiguous skip and first-layer weights of one dtype");
  require(!active || static_cast<int64_t>(active->size()) == R, "Expected one active flag per replica");
  if (order && static_cast<int64_t>(order->size()) != R * D * H) {
    order->resize(static_cast<size_t>(R * D * H));
    for (int64_t i = 0; i < R * D * H; ++i) (*order)[i] = static_cast<int32_t>(i % H);
  }
  // ||theta_j|| as before (a tensor reduction: its summation order is LibTorch's).
  const auto vnorm = theta.to(torch::kDouble).pow(2).sum(1).sqrt().contiguous();  // [R,D]
  const auto lam = lambda.to(torch::kDouble).contiguous();
  const double* vn = vnorm.data_ptr<double>();
  const double* lp = lam.data_ptr<double>();
  std::vector<double> u(static_cast<size_t>(H)), scale(static_cast<size_t>(D));
  AT_DISPATCH_FLOATING_TYPES(theta.scalar_type(), "hier_prox", [&] {
    scalar_t* th = theta.data_ptr<scalar_t>();
    scalar_t* w = W.data_ptr<scalar_t>();
    for (int64_t r = 0; r < R; ++r) {
      if (active && !(*active)[r]) continue;
      for (int64_t j = 0; j < D; ++j) {
        scalar_t* row = w + (r * D + j) * H;
        if (order) {
          // |W_j| in last step's decreasing order, re-sorted by insertion: a step moves few entries
          // past each other, so this costs about H instead of H log H (same sorted values)
          int32_t* ord = order->data() + (r * D + j) * H;
          for (int64_t h = 0; h < H; ++h) u[h] = std::abs(static_cast<double>(row[ord[h]]));
          for (int64_t i = 1; i < H; ++i) {
            const double key = u[i];
            const int32_t k = ord[i];
            int64_t p = i - 1;
            for (; p >= 0 && u[p] < key; --p) {
              u[p + 1] = u[p];
              ord[p + 1] = ord[p];
            }
            u[p + 1] = key;
            ord[p + 1] = k;
          }
        } else {
          for (int64_t h = 0; h < H; ++h) u[h] = std::abs(static_cast<double>(row[h]));
        }
        const double norm = vn[r * D + j];
        // A feature whose skip column is exactly zero stays dropped (b has no direction to grow in).
        const double wstar = hier_prox_wstar(u, norm, lp[r], M, order != nullptr) * (norm > 0 ? 1.0 : 0.0);
        scale[j] = norm > 0 ? wstar / (norm * M) : 0.0;
        for (int64_t h = 0; h < H; ++h) {
          const double a = static_cast<double>(row[h]);
          const double sign = static_cast<double>((0 < a) - (a < 0));
          const double capped = std::abs(a);
          row[h] = static_cast<scalar_t>(sign * (wstar < capped ? wstar : capped));
        }
      }
      scalar_t* t = th + r * O * D;
      for (int64_t o = 0; o < O; ++o)
        for (int64_t j = 0; j < D; ++j) t[o * D + j] = static_cast<scalar_t>(static_cast<double>(t[o * D + j]) * scale[j]);
    }
  });
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
