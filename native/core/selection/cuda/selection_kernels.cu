// The fused relaxed selection on CUDA (see selection_kernels.h for the layouts, and
// native/core/selection/selection_rows.h for the maths, shared with the host emulation). Nothing of size
// R*B*K*D is stored: the forward pass keeps (max, normaliser) per (r, b, k), and the backward pass
// regenerates the counter-based noise.
//
// Compiled with --fmad=false (CMakeLists.txt): no a*b+c is fused, so in float32 the results are
// those of the host emulation bit for bit, and the noise is the CPU's.
#include "selection_kernels.h"

#include <cuda_runtime.h>

#include "selection_rows.h"

namespace ipcae {
namespace cuda_kernels {

namespace {

constexpr int kThreads = 256;
constexpr int kWarpsPerBlock = kThreads / kWarpLanes;

const char* launch_status() {
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}

// One warp per (r, b, k) row; rows = (r * B + b) * K + k, as the CPU kernel lays out U.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    forward_kernel(const T* __restrict__ L, const T* __restrict__ x, T inv_t, const uint32_t* __restrict__ keys,
                   bool with_noise, T* __restrict__ U, T* __restrict__ stats, int64_t R, int64_t B, int64_t K,
                   int64_t D) {
  const int lane = threadIdx.x % kWarpLanes;
  const int64_t rows = R * B * K;
  const int64_t stride = static_cast<int64_t>(gridDim.x) * kWarpsPerBlock;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarpLanes; row < rows;
       row += stride) {
    const int64_t k = row % K, b = (row / K) % B, r = row / (K * B);
    const NoiseKey key{keys[2 * r], keys[2 * r + 1]};
    const uint32_t base = static_cast<uint32_t>((b * K + k) * D);
    SoftmaxDot<T> acc =
        softmax_dot_lane<T>(L + (r * K + k) * D, x + b * D, D, inv_t, with_noise, base, key, lane, kWarpLanes);
    for (int offset = kWarpLanes / 2; offset > 0; offset /= 2) {
      const SoftmaxDot<T> other{__shfl_xor_sync(0xffffffffu, acc.m, offset),
                                __shfl_xor_sync(0xffffffffu, acc.s, offset),
                                __shfl_xor_sync(0xffffffffu, acc.a, offset)};
      acc = softmax_dot_merge(acc, other);
    }
    if (lane == 0) {
      U[row] = acc.a / acc.s;
      stats[2 * row] = acc.m;
      stats[2 * row + 1] = acc.s;
    }
  }
}

// One thread per (r, k, d) and batch slice; block x = (r*K + k, tile of d), block y = slice. The
// per-sample factors of a tile of the batch are staged in shared memory (the same for every d).
template <typename T>
__global__ void __launch_bounds__(kThreads)
    backward_kernel(const T* __restrict__ L, const T* __restrict__ x, const T* __restrict__ U,
                    const T* __restrict__ stats, const T* __restrict__ dU, T inv_t, const uint32_t* __restrict__ keys,
                    bool with_noise, T* __restrict__ out, int64_t R, int64_t B, int64_t K, int64_t D,
                    int64_t chunkLength) {
  __shared__ T maxes[kThreads], coefs[kThreads], us[kThreads];
  const int64_t tiles = (D + kThreads - 1) / kThreads;
  const int64_t rk = blockIdx.x / tiles;
  const int64_t d = (blockIdx.x % tiles) * kThreads + threadIdx.x;
  const int64_t r = rk / K, k = rk % K;
  const int64_t chunk = blockIdx.y;
  const int64_t b0 = chunk * chunkLength;
  const int64_t b1 = b0 + chunkLength < B ? b0 + chunkLength : B;
  const NoiseKey key{keys[2 * r], keys[2 * r + 1]};
  const bool active = d < D;
  const T logit = active ? L[rk * D + d] : T(0);
  T g = T(0);
  for (int64_t bt = b0; bt < b1; bt += kThreads) {
    const int n = static_cast<int>(b1 - bt < kThreads ? b1 - bt : kThreads);
    __syncthreads();
    if (threadIdx.x < n) {
      const int64_t o = (r * B + bt + threadIdx.x) * K + k;
      maxes[threadIdx.x] = stats[2 * o];
      coefs[threadIdx.x] = selection_grad_coef<T>(dU[o], inv_t, stats[2 * o + 1]);
      us[threadIdx.x] = U[o];
    }
    __syncthreads();
    if (!active) continue;
    for (int j = 0; j < n; ++j) {
      const int64_t b = bt + j;
      const T z = relaxed_logit<T>(logit, inv_t, with_noise, static_cast<uint32_t>((b * K + k) * D + d), key);
      g = g + selection_grad_term<T>(z, x[b * D + d], maxes[j], coefs[j], us[j]);
    }
  }
  if (active) out[(chunk * R * K + rk) * D + d] = g;
}

// dL = the slices' sums added in slice order.
template <typename T>
__global__ void __launch_bounds__(kThreads)
    sum_slices_kernel(const T* __restrict__ slices, T* __restrict__ dL, int64_t n, int64_t chunks) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    T g = slices[i];
    for (int64_t c = 1; c < chunks; ++c) g = g + slices[c * n + i];
    dL[i] = g;
  }
}

__global__ void noise_probe_kernel(NoiseKey key, int64_t n, uint32_t* hash, float* gumbel) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const uint32_t h = noise_hash(static_cast<uint32_t>(i), key);
    hash[i] = h;
    gumbel[i] = gumbel_from_hash<float>(h);
  }
}

unsigned int grid_for(int64_t items, int64_t perBlock) {
  const int64_t blocks = (items + perBlock - 1) / perBlock;
  return static_cast<unsigned int>(blocks < (int64_t{1} << 20) ? blocks : (int64_t{1} << 20));
}

}  // namespace

template <typename T>
const char* selection_forward(const T* L, const T* x, T inv_t, const uint32_t* keys, bool with_noise, T* U,
                              T* stats, SelectionShape s, void* stream) {
  const int64_t rows = s.R * s.B * s.K;
  if (rows == 0 || s.D == 0) return nullptr;
  forward_kernel<T><<<grid_for(rows, kWarpsPerBlock), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      L, x, inv_t, keys, with_noise, U, stats, s.R, s.B, s.K, s.D);
  return launch_status();
}

int64_t selection_backward_workspace(SelectionShape s) {
  const int64_t chunks = selection_backward_chunks(s.R, s.B, s.K, s.D);
  return chunks > 1 ? chunks * s.R * s.K * s.D : 0;
}

template <typename T>
const char* selection_backward(const T* L, const T* x, const T* U, const T* stats, const T* dU, T inv_t,
                               const uint32_t* keys, bool with_noise, T* dL, T* workspace, SelectionShape s,
                               void* stream) {
  const int64_t n = s.R * s.K * s.D;
  if (n == 0) return nullptr;
  const auto st = static_cast<cudaStream_t>(stream);
  const int64_t chunks = s.B == 0 ? 1 : selection_backward_chunks(s.R, s.B, s.K, s.D);
  const int64_t tiles = (s.D + kThreads - 1) / kThreads;
  if (s.R * s.K * tiles >= (int64_t{1} << 31) || chunks > 65535) return "selection_backward: problem too large for one launch";
  T* out = chunks > 1 ? workspace : dL;
  if (chunks > 1 && workspace == nullptr) return "selection_backward: the workspace is missing";
  const dim3 grid(static_cast<unsigned int>(s.R * s.K * tiles), static_cast<unsigned int>(chunks));
  backward_kernel<T><<<grid, kThreads, 0, st>>>(L, x, U, stats, dU, inv_t, keys, with_noise, out, s.R, s.B, s.K, s.D,
                                                selection_chunk_length(s.B, chunks));
  if (const char* e = launch_status()) return e;
  if (chunks > 1) {
    sum_slices_kernel<T><<<grid_for(n, kThreads), kThreads, 0, st>>>(workspace, dL, n, chunks);
    return launch_status();
  }
  return nullptr;
}

const char* selection_noise_probe(uint32_t k0, uint32_t k1, int64_t n, uint32_t* hash, float* gumbel, void* stream) {
  if (n == 0) return nullptr;
  noise_probe_kernel<<<grid_for(n, kThreads), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(NoiseKey{k0, k1}, n,
                                                                                               hash, gumbel);
  return launch_status();
}

template const char* selection_forward<float>(const float*, const float*, float, const uint32_t*, bool, float*, float*,
                                              SelectionShape, void*);
template const char* selection_forward<double>(const double*, const double*, double, const uint32_t*, bool, double*,
                                               double*, SelectionShape, void*);
template const char* selection_backward<float>(const float*, const float*, const float*, const float*, const float*,
                                               float, const uint32_t*, bool, float*, float*, SelectionShape, void*);
template const char* selection_backward<double>(const double*, const double*, const double*, const double*,
                                                const double*, double, const uint32_t*, bool, double*, double*,
                                                SelectionShape, void*);

}  // namespace cuda_kernels
}  // namespace ipcae
