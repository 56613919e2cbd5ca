// The counter-based noise of training: Gumbel noise for the relaxed selection and dropout masks.
// Every value is a pure function of (seed, stream, step, element index), so a backward pass can
// regenerate what its forward pass drew, and results never depend on threads or the device.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

#include "noise_math.h"  // NoiseKey, noise_hash, gumbel_from_hash: shared with the CUDA kernel

namespace ipcae {

// Streams that draw from the counter-based generator. Each has its own key space.
enum class Stream : uint64_t { Gumbel = 1, Dropout = 2, StgGate = 3 };

uint64_t splitmix64(uint64_t x);
// key = splitmix64(splitmix64(seed) ^ (stream << 56) ^ counter), split into two 32-bit words.
NoiseKey make_key(uint64_t seed, Stream stream, uint64_t counter);

// Materialised standard Gumbel noise of shape [R, rows, K, D] (rows = B for per-sample noise,
// 1 for per-batch), computed with tensor ops on `device`: the reference the fused kernel must match.
torch::Tensor gumbel_noise(const std::vector<NoiseKey>& keys, int64_t rows, int64_t K, int64_t D,
                           torch::Dtype dtype, const torch::Device& device);

}  // namespace ipcae
