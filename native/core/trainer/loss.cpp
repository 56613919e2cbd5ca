#include "loss.h"

#include <cmath>

#include "errors.h"
#include "isa.h"

namespace ipcae {

namespace {

template <typename T>
struct CrossEntropyArgs {
  const T* out;
  const int64_t* y;
  T *loss, *d;
  int64_t B, C;
};

// Replicas [begin, end).
template <typename T>
IPCAE_INLINE void cross_entropy_replicas(const CrossEntropyArgs<T>& a, int64_t begin, int64_t end) {
  const T* out = a.out;
  const int64_t* y = a.y;
  T *loss = a.loss, *d = a.d;
  const int64_t B = a.B, C = a.C;
  const T invB = T(1) / static_cast<T>(B);
  for (int64_t r = begin; r < end; ++r) {
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
struct MseArgs {
  const T *out, *target;
  T *loss, *d;
  int64_t B, O;
};

template <typename T>
IPCAE_INLINE void mse_replicas(const MseArgs<T>& a, int64_t begin, int64_t end) {
  const T *out = a.out, *target = a.target;
  T *loss = a.loss, *d = a.d;
  const int64_t B = a.B, O = a.O;
  const T inv = T(1) / static_cast<T>(B * O);
  for (int64_t r = begin; r < end; ++r) {
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

IPCAE_ISA_VARIANTS(cross_entropy_replicas, CrossEntropyArgs)
IPCAE_ISA_VARIANTS(mse_replicas, MseArgs)

}  // namespace

void cross_entropy_fused(const torch::Tensor& out, const torch::Tensor& y, torch::Tensor& loss, torch::Tensor& dOut) {
  const int64_t R = out.size(0), B = out.size(1), C = out.size(2);
  auto o = out.contiguous();
  auto labels = y.contiguous();
  loss = torch::empty({R}, out.options());
  dOut = torch::empty_like(o);
  AT_DISPATCH_FLOATING_TYPES(o.scalar_type(), "cross_entropy_fused", [&] {
    const CrossEntropyArgs<scalar_t> a{o.data_ptr<scalar_t>(), labels.data_ptr<int64_t>(), loss.data_ptr<scalar_t>(),
                                       dOut.data_ptr<scalar_t>(), B, C};
    cross_entropy_replicas_for_isa<scalar_t>()(a, 0, R);
  });
}

void mse_fused(const torch::Tensor& out, const torch::Tensor& target, torch::Tensor& loss, torch::Tensor& dOut) {
  const int64_t R = out.size(0), B = out.size(1), O = out.size(2);
  auto o = out.contiguous();
  auto t = target.contiguous();
  loss = torch::empty({R}, out.options());
  dOut = torch::empty_like(o);
  AT_DISPATCH_FLOATING_TYPES(o.scalar_type(), "mse_fused", [&] {
    const MseArgs<scalar_t> a{o.data_ptr<scalar_t>(), t.data_ptr<scalar_t>(), loss.data_ptr<scalar_t>(), dOut.data_ptr<scalar_t>(), B, O};
    mse_replicas_for_isa<scalar_t>()(a, 0, R);
  });
}

}  // namespace ipcae
