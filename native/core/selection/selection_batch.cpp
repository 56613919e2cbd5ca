#include "selection_batch.h"

#include <ATen/Dispatch.h>

#include <limits>

#include "isa.h"
#include "parallel.h"

namespace ipcae {

namespace {

template <typename T>
struct SoftmaxArgs {
  const T* L;
  T* S;
  const NoiseKey* keys;
  int64_t K, D;
  T invT;
};

template <typename T>
IPCAE_INLINE void batch_softmax_rows(const SoftmaxArgs<T>& a, int64_t begin, int64_t end) {
  const int64_t D = a.D;
  for (int64_t row = begin; row < end; ++row) {
    const NoiseKey key = a.keys[row / a.K];
    const uint32_t base = static_cast<uint32_t>((row % a.K) * D);
    const T* l = a.L + row * D;
    T* s = a.S + row * D;
    T mx = -std::numeric_limits<T>::infinity();
#pragma omp simd reduction(max : mx)
    for (int64_t d = 0; d < D; ++d) {
      const T z = (l[d] + gumbel_from_hash<T>(noise_hash(base + static_cast<uint32_t>(d), key))) * a.invT;
      s[d] = z;
      mx = z > mx ? z : mx;
    }
    T sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t d = 0; d < D; ++d) {
      const T e = NoiseMath<T>::exp_nonpos(s[d] - mx);
      s[d] = e;
      sum += e;
    }
    const T inv = T(1) / sum;
#pragma omp simd
    for (int64_t d = 0; d < D; ++d) s[d] *= inv;
  }
}

template <typename T>
struct SoftmaxBackwardArgs {
  const T* S;
  T* dS;
  int64_t D;
  T invT;
};

template <typename T>
IPCAE_INLINE void batch_softmax_backward_rows(const SoftmaxBackwardArgs<T>& a, int64_t begin, int64_t end) {
  const int64_t D = a.D;
  for (int64_t row = begin; row < end; ++row) {
    const T* s = a.S + row * D;
    T* g = a.dS + row * D;
    T dot = 0;
#pragma omp simd reduction(+ : dot)
    for (int64_t d = 0; d < D; ++d) dot += s[d] * g[d];
#pragma omp simd
    for (int64_t d = 0; d < D; ++d) g[d] = s[d] * (g[d] - dot) * a.invT;
  }
}

IPCAE_ISA_VARIANTS(batch_softmax_rows, SoftmaxArgs)
IPCAE_ISA_VARIANTS(batch_softmax_backward_rows, SoftmaxBackwardArgs)

}  // namespace

void batch_softmax_host(const torch::Tensor& L, const std::vector<NoiseKey>& keys, double temperature, torch::Tensor& S) {
  const int64_t R = L.size(0), K = L.size(1), D = L.size(2);
  auto l = L.contiguous();
  S = torch::empty_like(l);
  AT_DISPATCH_FLOATING_TYPES(l.scalar_type(), "batch_softmax_host", [&] {
    const SoftmaxArgs<scalar_t> a{l.data_ptr<scalar_t>(), S.data_ptr<scalar_t>(), keys.data(), K, D,
                                  static_cast<scalar_t>(1.0 / temperature)};
    auto f = batch_softmax_rows_for_isa<scalar_t>();
    // rows are independent and each is done in one order: the same bits at any thread count
    parallel_chunks(0, R * K, 4, [&](int64_t b, int64_t e) { f(a, b, e); });
  });
}

void batch_softmax_backward_host(const torch::Tensor& S, torch::Tensor& dS, double temperature) {
  const int64_t R = S.size(0), K = S.size(1), D = S.size(2);
  if (!dS.is_contiguous()) dS = dS.contiguous();
  AT_DISPATCH_FLOATING_TYPES(S.scalar_type(), "batch_softmax_backward_host", [&] {
    const SoftmaxBackwardArgs<scalar_t> a{S.data_ptr<scalar_t>(), dS.data_ptr<scalar_t>(), D, static_cast<scalar_t>(1.0 / temperature)};
    auto f = batch_softmax_backward_rows_for_isa<scalar_t>();
    parallel_chunks(0, R * K, 4, [&](int64_t b, int64_t e) { f(a, b, e); });
  });
}

}  // namespace ipcae
