// The fused relaxed selection on CUDA, forward and backward, for float and double: raw device
// pointers and a stream, no LibTorch (nvcc compiles this without LibTorch's headers). The maths is
// native/core/selection/selection_rows.h; native/core/selection/selection_cuda.cpp passes tensors in.
//
// Layouts (contiguous, row-major): L [R,K,D], x [B,D], U [R,B,K], stats [R,B,K,2] (softmax max and
// normaliser), dU [R,B,K], dL [R,K,D]; keys [R,2] (uint32 k0, k1 per replica) in device memory.
// Every call returns nullptr on success, or the CUDA error's text.
#pragma once

#include <cstdint>

namespace ipcae {
namespace cuda_kernels {

struct SelectionShape {
  int64_t R, B, K, D;
};

template <typename T>
const char* selection_forward(const T* L, const T* x, T inv_t, const uint32_t* keys, bool with_noise, T* U,
                              T* stats, SelectionShape shape, void* stream);

// Elements of T the backward pass needs as workspace (0 when the batch is summed in one slice).
int64_t selection_backward_workspace(SelectionShape shape);

template <typename T>
const char* selection_backward(const T* L, const T* x, const T* U, const T* stats, const T* dU, T inv_t,
                               const uint32_t* keys, bool with_noise, T* dL, T* workspace, SelectionShape shape,
                               void* stream);

// The noise exactly as the kernels draw it, for checks: hash[i] and gumbel[i] for counters
// 0..n-1 under key (k0, k1).
const char* selection_noise_probe(uint32_t k0, uint32_t k1, int64_t n, uint32_t* hash, float* gumbel, void* stream);

}  // namespace cuda_kernels
}  // namespace ipcae
