#include "norm_act.h"

#include <cmath>

#include "errors.h"
#include "isa.h"
#include "parallel.h"

#include <vector>

namespace ipcae {

namespace {

template <typename T>
struct ForwardArgs {
  const T *a, *gamma, *beta;
  T eps, slope;
  T *act, *xhat, *rstd;
  int64_t B, H;
};

template <typename T>
IPCAE_INLINE void forward_rows(const ForwardArgs<T>& c, int64_t begin, int64_t end) {
  const T *a = c.a, *gamma = c.gamma, *beta = c.beta;
  const T eps = c.eps, slope = c.slope;
  T *act = c.act, *xhat = c.xhat, *rstd = c.rstd;
  const int64_t B = c.B, H = c.H;
  for (int64_t row = begin; row < end; ++row) {
    const int64_t r = row / B;
    const T* x = a + row * H;
    const T* g = gamma + r * H;
    const T* bt = beta + r * H;
    T mean = 0;
#pragma omp simd reduction(+ : mean)
    for (int64_t h = 0; h < H; ++h) mean += x[h];
    mean /= static_cast<T>(H);
    T var = 0;
#pragma omp simd reduction(+ : var)
    for (int64_t h = 0; h < H; ++h) var += (x[h] - mean) * (x[h] - mean);
    var /= static_cast<T>(H);
    const T rs = T(1) / std::sqrt(var + eps);
    rstd[row] = rs;
    T* xh = xhat + row * H;
    T* out = act + row * H;
#pragma omp simd
    for (int64_t h = 0; h < H; ++h) {
      const T n = (x[h] - mean) * rs;
      xh[h] = n;
      const T y = n * g[h] + bt[h];
      out[h] = y > 0 ? y : slope * y;
    }
  }
}

template <typename T>
IPCAE_INLINE void backward_replica(const T* dact, const T* act, const T* xhat, const T* rstd, const T* gamma, T slope, T* da,
                      T* dgamma, T* dbeta, int64_t B, int64_t H, int64_t r, T* dy) {
  const T* g = gamma + r * H;
  T* dg = dgamma + r * H;
  T* db = dbeta + r * H;
  std::fill(dg, dg + H, T(0));
  std::fill(db, db + H, T(0));
  for (int64_t b = 0; b < B; ++b) {
    const int64_t row = r * B + b;
    const T* d = dact + row * H;
    const T* o = act + row * H;
    const T* xh = xhat + row * H;
    T m1 = 0, m2 = 0;
#pragma omp simd reduction(+ : m1, m2)
    for (int64_t h = 0; h < H; ++h) {
      const T v = o[h] > 0 ? d[h] : slope * d[h];  // LeakyReLU'
      dy[h] = v;
      dg[h] += v * xh[h];
      db[h] += v;
      const T dx = v * g[h];
      m1 += dx;
      m2 += dx * xh[h];
    }
    m1 /= static_cast<T>(H);
    m2 /= static_cast<T>(H);
    const T rs = rstd[row];
    T* out = da + row * H;
#pragma omp simd
    for (int64_t h = 0; h < H; ++h) out[h] = rs * (dy[h] * g[h] - m1 - xh[h] * m2);
  }
}

template <typename T>
struct BackwardArgs {
  const T *dact, *act, *xhat, *rstd, *gamma;
  T slope;
  T *da, *dgamma, *dbeta;
  int64_t B, H;
};

// Replicas [begin, end): each owns its dgamma/dbeta rows, so the sum over b has a fixed order.
template <typename T>
IPCAE_INLINE void backward_replicas(const BackwardArgs<T>& c, int64_t begin, int64_t end) {
  std::vector<T> dy(c.H);
  for (int64_t r = begin; r < end; ++r)
    backward_replica<T>(c.dact, c.act, c.xhat, c.rstd, c.gamma, c.slope, c.da, c.dgamma, c.dbeta, c.B, c.H, r, dy.data());
}

IPCAE_ISA_VARIANTS(forward_rows, ForwardArgs)
IPCAE_ISA_VARIANTS(backward_replicas, BackwardArgs)

}  // namespace

void norm_act_forward(const torch::Tensor& a, const torch::Tensor& gamma, const torch::Tensor& beta,
                      double eps, double slope, torch::Tensor& act, torch::Tensor& xhat, torch::Tensor& rstd) {
  IPCAE_CHECK(a.is_cpu() && a.dim() == 3 && a.is_contiguous() && gamma.is_contiguous() && beta.is_contiguous(),
              "ERR_INTERNAL", "norm_act_forward: expected contiguous CPU tensors");
  const int64_t R = a.size(0), B = a.size(1), H = a.size(2);
  act = torch::empty_like(a);
  xhat = torch::empty_like(a);
  rstd = torch::empty({R, B}, a.options());
  AT_DISPATCH_FLOATING_TYPES(a.scalar_type(), "norm_act_forward", [&] {
    const scalar_t* pa = a.data_ptr<scalar_t>();
    const scalar_t* pg = gamma.data_ptr<scalar_t>();
    const scalar_t* pb = beta.data_ptr<scalar_t>();
    scalar_t* po = act.data_ptr<scalar_t>();
    scalar_t* px = xhat.data_ptr<scalar_t>();
    scalar_t* pr = rstd.data_ptr<scalar_t>();
    const ForwardArgs<scalar_t> c{pa, pg, pb, static_cast<scalar_t>(eps), static_cast<scalar_t>(slope), po, px, pr, B, H};
    const auto rows = forward_rows_for_isa<scalar_t>();
    parallel_chunks(0, R * B, std::max<int64_t>(1, 32768 / H), [&](int64_t begin, int64_t end) { rows(c, begin, end); });
  });
}

void norm_act_backward(const torch::Tensor& dact, const torch::Tensor& act, const torch::Tensor& xhat,
                       const torch::Tensor& rstd, const torch::Tensor& gamma, double slope, torch::Tensor& da,
                       torch::Tensor& dgamma, torch::Tensor& dbeta) {
  IPCAE_CHECK(dact.is_cpu() && dact.is_contiguous() && dgamma.is_contiguous() && dbeta.is_contiguous(),
              "ERR_INTERNAL", "norm_act_backward: expected contiguous CPU tensors");
  const int64_t R = dact.size(0), B = dact.size(1), H = dact.size(2);
  da = torch::empty_like(dact);
  AT_DISPATCH_FLOATING_TYPES(dact.scalar_type(), "norm_act_backward", [&] {
    const BackwardArgs<scalar_t> c{dact.data_ptr<scalar_t>(), act.data_ptr<scalar_t>(), xhat.data_ptr<scalar_t>(),
                                   rstd.data_ptr<scalar_t>(), gamma.data_ptr<scalar_t>(), static_cast<scalar_t>(slope),
                                   da.data_ptr<scalar_t>(), dgamma.data_ptr<scalar_t>(), dbeta.data_ptr<scalar_t>(), B, H};
    const auto replicas = backward_replicas_for_isa<scalar_t>();
    parallel_chunks(0, R, std::max<int64_t>(1, 32768 / (B * H)), [&](int64_t begin, int64_t end) { replicas(c, begin, end); });
  });
}

}  // namespace ipcae
