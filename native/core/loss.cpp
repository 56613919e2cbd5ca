#include "loss.h"

#include <cmath>

#include "errors.h"
#include "parallel.h"

namespace ipcae {

namespace {

template <typename T>
void cross_entropy_kernel(const T* out, const int64_t* y, T* loss, T* d, int64_t R, int64_t B, int64_t C) {
  const T invB = T(1) / static_cast<T>(B);
  for (int64_t r = 0; r < R; ++r) {
    T acc = 0;
    for (int64_t b = 0; b < B; ++b) {
      const T* z = out + (r * B + b) * C;
      T* g = d + (r * B + b) * C;
      T mx = z[0];
      for (int64_t c = 1; c < C; ++c) mx = z[c] > mx ? z[c] : mx;
      T s = 0;
      for (int64_t c = 0; c < C; ++c) {
        const T e = std::exp(z[c] - mx);
        g[c] = e;
        s += e;
      }
      const T lse = mx + std::log(s);
      acc += lse - z[y[b]];
      const T inv = invB / s;
      for (int64_t c = 0; c < C; ++c) g[c] *= inv;
      g[y[b]] -= invB;
    }
    loss[r] = acc * invB;
  }
}

template <typename T>
void mse_kernel(const T* out, const T* target, T* loss, T* d, int64_t R, int64_t B, int64_t O) {
  const T inv = T(1) / static_cast<T>(B * O);
  for (int64_t r = 0; r < R; ++r) {
    T acc = 0;
    const T* o = out + r * B * O;
    T* g = d + r * B * O;
#pragma omp simd reduction(+ : acc)
    for (int64_t i = 0; i < B * O; ++i) {
      const T diff = o[i] - target[i];
      acc += diff * diff;
      g[i] = 2 * inv * diff;
    }
    loss[r] = acc * inv;
  }
}

}  // namespace

void cross_entropy_fused(const torch::Tensor& out, const torch::Tensor& y, torch::Tensor& loss, torch::Tensor& dOut) {
  const int64_t R = out.size(0), B = out.size(1), C = out.size(2);
  auto o = out.contiguous();
  auto labels = y.contiguous();
  loss = torch::empty({R}, out.options());
  dOut = torch::empty_like(o);
  AT_DISPATCH_FLOATING_TYPES(o.scalar_type(), "cross_entropy_fused", [&] {
    cross_entropy_kernel<scalar_t>(o.data_ptr<scalar_t>(), labels.data_ptr<int64_t>(), loss.data_ptr<scalar_t>(),
                                   dOut.data_ptr<scalar_t>(), R, B, C);
  });
}

void mse_fused(const torch::Tensor& out, const torch::Tensor& target, torch::Tensor& loss, torch::Tensor& dOut) {
  const int64_t R = out.size(0), B = out.size(1), O = out.size(2);
  auto o = out.contiguous();
  auto t = target.contiguous();
  loss = torch::empty({R}, out.options());
  dOut = torch::empty_like(o);
  AT_DISPATCH_FLOATING_TYPES(o.scalar_type(), "mse_fused", [&] {
    mse_kernel<scalar_t>(o.data_ptr<scalar_t>(), t.data_ptr<scalar_t>(), loss.data_ptr<scalar_t>(), dOut.data_ptr<scalar_t>(), R,
                         B, O);
  });
}

}  // namespace ipcae
