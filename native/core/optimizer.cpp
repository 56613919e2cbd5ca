#include "optimizer.h"

#include <cmath>

#include "parallel.h"

namespace ipcae {

namespace {

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
