// The CUDA selection kernel's maths run on the host, in the device's order (selection_rows.h):
// how machines without a GPU check what the GPU computes. Single-threaded; for tests only.
#include <algorithm>
#include <vector>

#include "errors.h"
#include "selection.h"
#include "selection_rows.h"

namespace ipcae {

namespace {

void check_cpu(const torch::Tensor& L, const torch::Tensor& x, size_t nkeys) {
  IPCAE_CHECK(L.is_cpu() && x.is_cpu() && L.dim() == 3 && x.dim() == 2 && L.size(2) == x.size(1) &&
                  L.is_contiguous() && x.is_contiguous() && static_cast<int64_t>(nkeys) == L.size(0),
              "ERR_INTERNAL", "selection emulation: expected contiguous CPU tensors L [R,K,D], x [B,D], a key per replica");
}

template <typename T>
void forward_emulated(const T* L, const T* x, T inv_t, const std::vector<NoiseKey>& keys, bool with_noise, T* U,
                      T* stats, int64_t R, int64_t B, int64_t K, int64_t D) {
  std::vector<SoftmaxDot<T>> lanes(kWarpLanes), next(kWarpLanes);
  for (int64_t row = 0; row < R * B * K; ++row) {
    const int64_t k = row % K, b = (row / K) % B, r = row / (K * B);
    const uint32_t base = static_cast<uint32_t>((b * K + k) * D);
    for (int l = 0; l < kWarpLanes; ++l)
      lanes[l] = softmax_dot_lane<T>(L + (r * K + k) * D, x + b * D, D, inv_t, with_noise, base, keys[r], l, kWarpLanes);
    for (int offset = kWarpLanes / 2; offset > 0; offset /= 2) {  // the warp's butterfly
      for (int l = 0; l < kWarpLanes; ++l) next[l] = softmax_dot_merge(lanes[l], lanes[l ^ offset]);
      lanes.swap(next);
    }
    U[row] = lanes[0].a / lanes[0].s;
    stats[2 * row] = lanes[0].m;
    stats[2 * row + 1] = lanes[0].s;
  }
}

template <typename T>
void backward_emulated(const T* L, const T* x, const T* U, const T* stats, const T* dU, T inv_t,
                       const std::vector<NoiseKey>& keys, bool with_noise, T* dL, int64_t R, int64_t B, int64_t K,
                       int64_t D) {
  const int64_t chunks = B == 0 ? 1 : selection_backward_chunks(R, B, K, D);
  const int64_t length = selection_chunk_length(B, chunks);
  std::vector<T> slice(chunks);
  for (int64_t rk = 0; rk < R * K; ++rk) {
    const int64_t r = rk / K, k = rk % K;
    for (int64_t d = 0; d < D; ++d) {
      const T logit = L[rk * D + d];
      for (int64_t c = 0; c < chunks; ++c) {
        T g = T(0);
        for (int64_t b = c * length; b < std::min(B, (c + 1) * length); ++b) {
          const int64_t o = (r * B + b) * K + k;
          const T coef = selection_grad_coef<T>(dU[o], inv_t, stats[2 * o + 1]);
          const T z = relaxed_logit<T>(logit, inv_t, with_noise, static_cast<uint32_t>((b * K + k) * D + d), keys[r]);
          g = g + selection_grad_term<T>(z, x[b * D + d], stats[2 * o], coef, U[o]);
        }
        slice[c] = g;
      }
      T g = slice[0];
      for (int64_t c = 1; c < chunks; ++c) g = g + slice[c];
      dL[rk * D + d] = g;
    }
  }
}

}  // namespace

void selection_forward_emulated(const torch::Tensor& L, const torch::Tensor& x, double temperature,
                                const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& U,
                                torch::Tensor& stats) {
  check_cpu(L, x, keys.size());
  const int64_t R = L.size(0), K = L.size(1), D = L.size(2), B = x.size(0);
  U = torch::empty({R, B, K}, L.options());
  stats = torch::empty({R, B, K, 2}, L.options());
  AT_DISPATCH_FLOATING_TYPES(L.scalar_type(), "selection_forward_emulated", [&] {
    const scalar_t inv_t = scalar_t(1) / static_cast<scalar_t>(temperature);
    forward_emulated<scalar_t>(L.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), inv_t, keys, with_noise,
                               U.data_ptr<scalar_t>(), stats.data_ptr<scalar_t>(), R, B, K, D);
  });
}

void selection_backward_emulated(const torch::Tensor& L, const torch::Tensor& x, const torch::Tensor& U,
                                 const torch::Tensor& stats, const torch::Tensor& dU, double temperature,
                                 const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& dL) {
  check_cpu(L, x, keys.size());
  const int64_t R = L.size(0), K = L.size(1), D = L.size(2), B = x.size(0);
  dL = torch::empty({R, K, D}, L.options());
  const auto Uc = U.contiguous(), sc = stats.contiguous(), dUc = dU.contiguous();
  AT_DISPATCH_FLOATING_TYPES(L.scalar_type(), "selection_backward_emulated", [&] {
    const scalar_t inv_t = scalar_t(1) / static_cast<scalar_t>(temperature);
    backward_emulated<scalar_t>(L.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), Uc.data_ptr<scalar_t>(),
                                sc.data_ptr<scalar_t>(), dUc.data_ptr<scalar_t>(), inv_t, keys, with_noise,
                                dL.data_ptr<scalar_t>(), R, B, K, D);
  });
}

NoiseProbe selection_noise_probe_host(NoiseKey key, int64_t n) {
  NoiseProbe p;
  p.hash = torch::empty({n}, torch::kLong);
  p.gumbel = torch::empty({n}, torch::kFloat);
  auto* h = p.hash.data_ptr<int64_t>();
  auto* g = p.gumbel.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t v = noise_hash(static_cast<uint32_t>(i), key);
    h[i] = v;
    g[i] = gumbel_from_hash<float>(v);
  }
  return p;
}

}  // namespace ipcae
