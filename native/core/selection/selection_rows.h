// The per-row maths of the CUDA selection kernel (native/core/selection/cuda/selection_kernels.cu), written once
// for the device and the host: nvcc compiles it into the kernel, g++ into the host emulation
// (selection_emulation.cpp) that the tests compare with the CPU kernel and the float64 reference
// on machines without a GPU. The emulation follows the device's order of operations exactly (the
// lanes of a warp, the butterfly of the warp reduction, the chunks of the backward sum), so in
// float32 the GPU must reproduce it bit for bit (scripts/gpu-check.sh checks that).
//
// Forward, one warp per (replica r, sample b, node k): lane l visits d = l, l+32, ..., keeping an
// online softmax (running max m, sum s of exp(z - m), and sum a of exp(z - m) x_d); the 32 partial
// results are merged by a butterfly (xor 16, 8, 4, 2, 1). U = a / s; (m, s) are kept for the
// backward pass, which regenerates the noise instead of storing R*B*K*D weights.
// Backward, one thread per (r, k, d): dL = sum over b of dU/(T s) exp(z - m) (x_d - U), summed in
// b order within each of `chunks` fixed slices of the batch, then over the slices in order.
#pragma once

#include <cstdint>

#include "noise_math.h"

namespace ipcae {

constexpr int kWarpLanes = 32;

template <typename T>
struct SoftmaxDot {
  T m;  // running max of z
  T s;  // sum of exp(z - m)
  T a;  // sum of exp(z - m) * x
};

template <typename T>
IPCAE_HD_INLINE SoftmaxDot<T> softmax_dot_empty() {
  return SoftmaxDot<T>{static_cast<T>(-HUGE_VAL), T(0), T(0)};
}

// z = (L + G) / T, with G the Gumbel noise of this element's counter (or none: per-batch noise is
// already in L).
template <typename T>
IPCAE_HD_INLINE T relaxed_logit(T logit, T inv_t, bool with_noise, uint32_t counter, NoiseKey key) {
  return with_noise ? (logit + gumbel_from_hash<T>(noise_hash(counter, key))) * inv_t : logit * inv_t;
}

template <typename T>
IPCAE_HD_INLINE void softmax_dot_push(SoftmaxDot<T>& acc, T z, T x) {
  if (z > acc.m) {
    const T c = NoiseMath<T>::exp_nonpos(acc.m - z);
    acc.s = acc.s * c + T(1);
    acc.a = acc.a * c + x;
    acc.m = z;
  } else {
    const T e = NoiseMath<T>::exp_nonpos(z - acc.m);
    acc.s = acc.s + e;
    acc.a = acc.a + e * x;
  }
}

// Symmetric in p and q bit for bit (IEEE + and * commute), so every lane of the butterfly ends
// with the same value.
template <typename T>
IPCAE_HD_INLINE SoftmaxDot<T> softmax_dot_merge(const SoftmaxDot<T>& p, const SoftmaxDot<T>& q) {
  const T m = p.m > q.m ? p.m : q.m;
  if (p.m == -HUGE_VAL && q.m == -HUGE_VAL) return p;  // both empty (a NaN still propagates)
  const T cp = NoiseMath<T>::exp_nonpos(p.m - m), cq = NoiseMath<T>::exp_nonpos(q.m - m);
  return SoftmaxDot<T>{m, p.s * cp + q.s * cq, p.a * cp + q.a * cq};
}

// One lane's share of a row: d = lane, lane + lanes, ...
template <typename T>
IPCAE_HD_INLINE SoftmaxDot<T> softmax_dot_lane(const T* Lrow, const T* xrow, int64_t D, T inv_t, bool with_noise,
                                               uint32_t base, NoiseKey key, int lane, int lanes) {
  SoftmaxDot<T> acc = softmax_dot_empty<T>();
  for (int64_t d = lane; d < D; d += lanes)
    softmax_dot_push(acc, relaxed_logit(Lrow[d], inv_t, with_noise, base + static_cast<uint32_t>(d), key), xrow[d]);
  return acc;
}

// The backward pass's term of one (b, d): dU/(T s) exp(z - m) (x_d - U).
template <typename T>
IPCAE_HD_INLINE T selection_grad_term(T z, T x, T mx, T coef, T u) {
  return coef * NoiseMath<T>::exp_nonpos(z - mx) * (x - u);
}
template <typename T>
IPCAE_HD_INLINE T selection_grad_coef(T dU, T inv_t, T s) {
  return dU * inv_t / s;
}

// Slices of the batch summed separately in the backward pass, so that small problems still give
// every streaming multiprocessor work: enough (r, k, d, slice) threads for a large GPU, at least 8
// samples per slice. A function of the shape only, so every GPU sums in the same order.
IPCAE_HD_INLINE int64_t selection_backward_chunks(int64_t R, int64_t B, int64_t K, int64_t D) {
  const int64_t target = int64_t{1} << 18;
  const int64_t outputs = R * K * D;
  int64_t chunks = outputs >= target ? 1 : (target + outputs - 1) / outputs;
  const int64_t most = B / 8 > 1 ? B / 8 : 1;
  return chunks < most ? chunks : most;
}
IPCAE_HD_INLINE int64_t selection_chunk_length(int64_t B, int64_t chunks) { return (B + chunks - 1) / chunks; }

}  // namespace ipcae
