#include "optimizer.h"

#include <cmath>

#include "isa.h"
#include "parallel.h"

namespace ipcae {

namespace {

template <typename T>
struct AdamArgs {
  T* p;
  const T* g;
  T* m;
  T* v;
  T b1, b2, ob1, ob2, ss, bs, eps;
};

template <typename T>
IPCAE_INLINE void adam_rows(const AdamArgs<T>& a, int64_t begin, int64_t end) {
  T* p = a.p;
  const T* g = a.g;
  T* m = a.m;
  T* v = a.v;
#pragma omp simd
  for (int64_t i = begin; i < end; ++i) {
    const T gi = g[i];
    const T mi = a.b1 * m[i] + a.ob1 * gi;
    const T vi = a.b2 * v[i] + a.ob2 * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= a.ss * mi / (std::sqrt(vi) / a.bs + a.eps);
  }
}
IPCAE_ISA_VARIANTS(adam_rows, AdamArgs)

template <typename T>
void adam_kernel(T* p, const T* g, T* m, T* v, int64_t n, double beta1, double beta2, double stepSize,
                 double bc2Sqrt, double epsilon) {
  const AdamArgs<T> a{p, g, m, v, T(beta1), T(beta2), T(1 - beta1), T(1 - beta2), T(stepSize), T(bc2Sqrt), T(epsilon)};
  const auto rows = adam_rows_for_isa<T>();
  parallel_chunks(0, n, 65536, [&](int64_t begin, int64_t end) { rows(a, begin, end); });
}

}  // namespace

void adam_step(const AdamOptions& o, int64_t t, const ParameterLayout& layout, torch::Tensor& params,
               const torch::Tensor& grads, torch::Tensor& m, torch::Tensor& v, int64_t r0, int64_t n) {
  const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(t));
  const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(t));
  const double stepSize = o.lr / bc1;
  const double bc2Sqrt = std::sqrt(bc2);
  if (params.is_cpu()) {
    AT_DISPATCH_FLOATING_TYPES(params.scalar_type(), "adam", [&] {
      auto* p = params.data_ptr<scalar_t>();
      auto* g = grads.data_ptr<scalar_t>();
      auto* mp = m.data_ptr<scalar_t>();
      auto* vp = v.data_ptr<scalar_t>();
      if (r0 == 0 && n == layout.replicas()) {
        adam_kernel<scalar_t>(p, g, mp, vp, params.numel(), o.beta1, o.beta2, stepSize, bc2Sqrt, o.eps);
        return;
      }
      for (const auto& q : layout.blocks()) {
        const int64_t off = q.offset + r0 * q.numel;
        adam_kernel<scalar_t>(p + off, g + off, mp + off, vp + off, n * q.numel, o.beta1, o.beta2, stepSize, bc2Sqrt,
                              o.eps);
      }
    });
  } else {
    m.mul_(o.beta1).add_(grads, 1 - o.beta1);
    v.mul_(o.beta2).addcmul_(grads, grads, 1 - o.beta2);
    params.addcdiv_(m, (v.sqrt() / bc2Sqrt).add_(o.eps), -stepSize);
  }
}

}  // namespace ipcae
