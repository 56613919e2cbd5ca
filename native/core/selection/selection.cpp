#include "selection.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "errors.h"
#include "isa.h"
#include "parallel.h"

namespace ipcae {

namespace {

// The float log/exp and the Gumbel transform live in noise_math.h (shared with the CUDA kernel).
template <typename T>
using Math = NoiseMath<T>;

// z[d] = (L[d] + G[d]) / T for one (replica, sample, node); returns max_d z[d].
template <typename T>
IPCAE_INLINE T noisy_logits(const T* Lk, T inv_t, bool with_noise, uint32_t base, NoiseKey key,
                      int64_t D, T* z) {
  T mx = -std::numeric_limits<T>::infinity();
  if (with_noise) {
#pragma omp simd reduction(max : mx)
    for (int64_t d = 0; d < D; ++d) {
      const uint32_t h = noise_hash(base + static_cast<uint32_t>(d), key);
      const T v = (Lk[d] + gumbel_from_hash<T>(h)) * inv_t;
      z[d] = v;
      mx = v > mx ? v : mx;
    }
  } else {
#pragma omp simd reduction(max : mx)
    for (int64_t d = 0; d < D; ++d) {
      const T v = Lk[d] * inv_t;
      z[d] = v;
      mx = v > mx ? v : mx;
    }
  }
  return mx;
}

// Rows are copied into buffers padded to a multiple of 16 (logit padding -inf, input padding 0), so
// every loop over D runs in full vectors: with D = 77, say, a scalar remainder loop would otherwise
// cost as much as the vector body.
constexpr int64_t kPad = 16;
inline int64_t padded(int64_t D) { return (D + kPad - 1) / kPad * kPad; }

template <typename T>
void load_logits(const T* src, int64_t D, int64_t Dp, T* dst) {
  std::copy(src, src + D, dst);
  std::fill(dst + D, dst + Dp, -std::numeric_limits<T>::infinity());
}
template <typename T>
void load_input(const T* src, int64_t D, int64_t Dp, T* dst) {
  std::copy(src, src + D, dst);
  std::fill(dst + D, dst + Dp, T(0));
}

// Rows of a [rows, D] matrix padded to Dp (logits with -inf, inputs with 0), copied once per call
// rather than once per (replica, sample, node); without padding, the matrix itself.
template <typename T>
struct Padded {
  const T* data;
  int64_t stride;
  std::vector<T> copy;
  Padded(const T* src, int64_t rows, int64_t D, bool logits) : data(src), stride(D) {
    const int64_t Dp = padded(D);
    if (Dp == D) return;
    copy.resize(rows * Dp);
    for (int64_t i = 0; i < rows; ++i) {
      if (logits) {
        load_logits(src + i * D, D, Dp, copy.data() + i * Dp);
      } else {
        load_input(src + i * D, D, Dp, copy.data() + i * Dp);
      }
    }
    data = copy.data();
    stride = Dp;
  }
  const T* row(int64_t i) const { return data + i * stride; }
};

template <typename T>
struct ForwardArgs {
  const T* L;  // logits rows (padded to Dp when Dp != D)
  int64_t Lstride;
  const T* X;  // input rows (likewise)
  int64_t Xstride;
  T *U, *stats, *cache;
  int64_t B, K, D, Dp;
  T inv_t;
  const NoiseKey* keys;
  bool with_noise;
};

// Rows [begin, end) of the R*B*K (replica, sample, node) rows.
template <typename T>
IPCAE_INLINE void forward_rows(const ForwardArgs<T>& c, int64_t begin, int64_t end) {
  const int64_t B = c.B, K = c.K, D = c.D, Dp = c.Dp;
  T* U = c.U;
  T* stats = c.stats;
  T* cache = c.cache;
  std::vector<T> z(Dp);
  // (r, b, k) advanced by increments: no integer division per row
  int64_t k = begin % K, b = (begin / K) % B, r = begin / (K * B);
  for (int64_t i = begin; i < end; ++i, ++k) {
    if (k == K) {
      k = 0;
      if (++b == B) {
        b = 0;
        ++r;
      }
    }
    const T* Lrow = c.L + (r * K + k) * c.Lstride;
    const T* xx = c.X + b * c.Xstride;
    const int64_t o = (r * B + b) * K + k;
    // With a cache the unnormalised weights are kept for the backward pass (small problems).
    T* zz = cache ? cache + o * Dp : z.data();
    const uint32_t base = static_cast<uint32_t>((b * K + k) * D);
    const T mx = noisy_logits<T>(Lrow, c.inv_t, c.with_noise, base, c.keys[r], Dp, zz);
    T s = 0, a = 0;
#pragma omp simd reduction(+ : s, a)
    for (int64_t d = 0; d < Dp; ++d) {
      const T e = Math<T>::exp_nonpos(zz[d] - mx);
      zz[d] = e;
      s += e;
      a += e * xx[d];
    }
    U[o] = a / s;
    stats[2 * o] = mx;  // kept for the backward pass: softmax max and normaliser
    stats[2 * o + 1] = s;
  }
}
IPCAE_ISA_VARIANTS(forward_rows, ForwardArgs)

template <typename T>
void forward_kernel(const T* L, const T* X, T* U, T* stats, T* cache, int64_t R, int64_t B, int64_t K,
                    int64_t D, T temperature, const std::vector<NoiseKey>& keys, bool with_noise) {
  const int64_t Dp = padded(D);
  const Padded<T> Lp(L, R * K, D, true), Xp(X, B, D, false);
  const ForwardArgs<T> c{Lp.data, Lp.stride, Xp.data, Xp.stride, U, stats, cache, B, K, D, Dp, T(1) / temperature, keys.data(), with_noise};
  const auto rows = forward_rows_for_isa<T>();
  const int64_t grain = std::max<int64_t>(1, 32768 / Dp);  // rows per thread, at least
  parallel_chunks(0, R * B * K, grain, [&](int64_t begin, int64_t end) { rows(c, begin, end); });
}

// g[d] += coef * exp(z_d - mx) * (x_d - u): one backward row. Two simple passes (regenerate z into
// an L1-resident buffer, then accumulate) vectorise better than one fused pass.
template <typename T>
IPCAE_INLINE void accumulate_row(const T* __restrict Lk, const T* __restrict xb, T* __restrict g,
                                 T* __restrict z, int64_t D, T inv_t, T mx, T coef, T u, bool with_noise,
                                 uint32_t base, NoiseKey key) {
  if (with_noise) {
#pragma omp simd
    for (int64_t d = 0; d < D; ++d) {
      const uint32_t h = noise_hash(base + static_cast<uint32_t>(d), key);
      z[d] = (Lk[d] + gumbel_from_hash<T>(h)) * inv_t - mx;
    }
  } else {
#pragma omp simd
    for (int64_t d = 0; d < D; ++d) z[d] = Lk[d] * inv_t - mx;
  }
#pragma omp simd
  for (int64_t d = 0; d < D; ++d) g[d] += coef * Math<T>::exp_nonpos(z[d]) * (xb[d] - u);
}

template <typename T>
struct BackwardArgs {
  const T* L;
  int64_t Lstride;
  const T* X;
  int64_t Xstride;
  const T *U, *stats, *cache, *dU;
  T* dL;
  int64_t B, K, D, Dp;
  T inv_t;
  const NoiseKey* keys;
  bool with_noise;
};

// (replica, node) pairs [begin, end): each owns its row of dL, so the sum over b has a fixed order
// whatever the thread count (bit-identical results). The noise is regenerated; the forward's
// softmax max and normaliser are reused.
template <typename T>
IPCAE_INLINE void backward_rows(const BackwardArgs<T>& c, int64_t begin, int64_t end) {
  const int64_t B = c.B, K = c.K, D = c.D, Dp = c.Dp;
  const T inv_t = c.inv_t;
  std::vector<T> z(Dp), g(Dp);
  for (int64_t i = begin; i < end; ++i) {
    const int64_t k = i % K;
    const int64_t r = i / K;
    const T* Lrow = c.L + (r * K + k) * c.Lstride;
    std::fill(g.begin(), g.end(), T(0));
    const NoiseKey key = c.keys[r];
    for (int64_t b = 0; b < B; ++b) {
      const int64_t o = (r * B + b) * K + k;
      const T u = c.U[o], mx = c.stats[2 * o];
      // dU/dz_d = M_d (x_d - u), M_d = exp(z_d - mx) / s, dz/dL = 1/T.
      const T coef = c.dU[o] * inv_t / c.stats[2 * o + 1];
      const T* xx = c.X + b * c.Xstride;
      if (c.cache) {
        const T* e = c.cache + o * Dp;
        T* gg = g.data();
#pragma omp simd
        for (int64_t d = 0; d < Dp; ++d) gg[d] += coef * e[d] * (xx[d] - u);
        continue;
      }
      const uint32_t base = static_cast<uint32_t>((b * K + k) * D);
      accumulate_row<T>(Lrow, xx, g.data(), z.data(), Dp, inv_t, mx, coef, u, c.with_noise, base, key);
    }
    std::copy(g.begin(), g.begin() + D, c.dL + (r * K + k) * D);
  }
}
IPCAE_ISA_VARIANTS(backward_rows, BackwardArgs)

template <typename T>
void backward_kernel(const T* L, const T* X, const T* U, const T* stats, const T* cache, const T* dU, T* dL,
                     int64_t R, int64_t B, int64_t K, int64_t D, T temperature,
                     const std::vector<NoiseKey>& keys, bool with_noise) {
  const int64_t Dp = padded(D);
  const Padded<T> Lp(L, R * K, D, true), Xp(X, B, D, false);
  const BackwardArgs<T> c{Lp.data, Lp.stride, Xp.data, Xp.stride, U, stats, cache, dU, dL, B, K, D, Dp, T(1) / temperature, keys.data(), with_noise};
  const auto rows = backward_rows_for_isa<T>();
  parallel_chunks(0, R * K, std::max<int64_t>(1, 32768 / (B * Dp)), [&](int64_t begin, int64_t end) { rows(c, begin, end); });
}

void check_shapes(const torch::Tensor& L, const torch::Tensor& x, size_t nkeys) {
  IPCAE_CHECK(L.dim() == 3 && x.dim() == 2 && L.size(2) == x.size(1), "ERR_INVALID_ARGUMENT",
              "selection: expected L [R,K,D] and x [B,D] with the same D");
  IPCAE_CHECK(static_cast<int64_t>(nkeys) == L.size(0), "ERR_INVALID_ARGUMENT",
              "selection: expected one noise key per replica");
  IPCAE_CHECK(x.size(0) * L.size(1) * L.size(2) < (int64_t{1} << 32), "ERR_INVALID_ARGUMENT",
              "batch size x K x D must stay below 2^32 (the noise counter is 32-bit)");
}

}  // namespace

int64_t selection_cache_bytes(int64_t R, int64_t B, int64_t K, int64_t D, int64_t elementSize) {
  return R * B * K * padded(D) * elementSize;
}

void selection_forward(const torch::Tensor& L, const torch::Tensor& x, double temperature,
                       const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& U,
                       torch::Tensor& stats, torch::Tensor* cache) {
  check_shapes(L, x, keys.size());
  const int64_t R = L.size(0), K = L.size(1), D = L.size(2), B = x.size(0);
  if (L.is_cuda()) {
    IPCAE_CHECK(cache == nullptr && U.sizes() == torch::IntArrayRef({R, B, K}), "ERR_INTERNAL",
                "selection_forward (CUDA): expected U [R,B,K] and no weights cache");
    selection_forward_cuda(L, x, temperature, keys, with_noise, U, stats);
    return;
  }
  IPCAE_CHECK(L.is_cpu() && L.is_contiguous() && x.is_contiguous() && U.is_contiguous() &&
                  U.sizes() == torch::IntArrayRef({R, B, K}),
              "ERR_INTERNAL", "selection_forward: expected contiguous CPU tensors");
  if (!stats.defined() || stats.sizes() != torch::IntArrayRef({R, B, K, 2}) || stats.scalar_type() != L.scalar_type())
    stats = torch::empty({R, B, K, 2}, L.options());
  if (cache && (!cache->defined() || cache->numel() != R * B * K * padded(D) || cache->scalar_type() != L.scalar_type()))
    *cache = torch::empty({R * B * K * padded(D)}, L.options());
  AT_DISPATCH_FLOATING_TYPES(L.scalar_type(), "selection_forward", [&] {
    forward_kernel<scalar_t>(L.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(),
                             U.data_ptr<scalar_t>(), stats.data_ptr<scalar_t>(),
                             cache ? cache->data_ptr<scalar_t>() : nullptr, R, B, K, D,
                             static_cast<scalar_t>(temperature), keys, with_noise);
  });
}

void selection_backward(const torch::Tensor& L, const torch::Tensor& x, const torch::Tensor& U,
                        const torch::Tensor& stats, const torch::Tensor& dU, double temperature,
                        const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& dL,
                        const torch::Tensor* cache) {
  check_shapes(L, x, keys.size());
  const int64_t R = L.size(0), K = L.size(1), D = L.size(2), B = x.size(0);
  if (L.is_cuda()) {
    IPCAE_CHECK(!(cache && cache->defined()) && dL.sizes() == L.sizes() && stats.defined() && stats.numel() == 2 * R * B * K,
                "ERR_INTERNAL", "selection_backward (CUDA): expected dL shaped as L, the forward's stats, no weights cache");
    selection_backward_cuda(L, x, U, stats, dU, temperature, keys, with_noise, dL);
    return;
  }
  IPCAE_CHECK(L.is_cpu() && L.is_contiguous() && x.is_contiguous() && U.is_contiguous() &&
                  dU.is_contiguous() && dL.is_contiguous() && dL.sizes() == L.sizes() &&
                  stats.defined() && stats.numel() == 2 * R * B * K,
              "ERR_INTERNAL", "selection_backward: expected contiguous CPU tensors");
  AT_DISPATCH_FLOATING_TYPES(L.scalar_type(), "selection_backward", [&] {
    backward_kernel<scalar_t>(L.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(),
                              U.data_ptr<scalar_t>(), stats.data_ptr<scalar_t>(),
                              cache && cache->defined() ? cache->data_ptr<scalar_t>() : nullptr,
                              dU.data_ptr<scalar_t>(),
                              dL.data_ptr<scalar_t>(), R, B, K, D,
                              static_cast<scalar_t>(temperature), keys, with_noise);
  });
}

}  // namespace ipcae
