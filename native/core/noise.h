// The counter-based noise of training: Gumbel noise for the relaxed selection and dropout masks.
// Every value is a pure function of (seed, stream, step, element index), so a backward pass can
// regenerate what its forward pass drew, and results never depend on threads or the device.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace ipcae {

// Key of one noise stream (one replica, one training step). Derived from the run seed.
struct NoiseKey {
  uint32_t k0 = 0;
  uint32_t k1 = 0;
};

// Streams that draw from the counter-based generator. Each has its own key space.
enum class Stream : uint64_t { Gumbel = 1, Dropout = 2, StgGate = 3 };

uint64_t splitmix64(uint64_t x);
// key = splitmix64(splitmix64(seed) ^ (stream << 56) ^ counter), split into two 32-bit words.
NoiseKey make_key(uint64_t seed, Stream stream, uint64_t counter);

// The generator itself: a 32-bit hash of the element counter under the key (two rounds of
// Wellons' lowbias32). Uniform in (0,1): ((h >> 9) + 0.5) * 2^-23, never 0 or 1.
inline __attribute__((always_inline)) uint32_t lowbias32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}
inline __attribute__((always_inline)) uint32_t noise_hash(uint32_t counter, NoiseKey key) {
  return lowbias32(lowbias32(counter ^ key.k0) + key.k1);
}

constexpr float kUniformScale = 1.0f / 8388608.0f;  // 2^-23

// Materialised standard Gumbel noise of shape [R, rows, K, D] (rows = B for per-sample noise,
// 1 for per-batch), computed with tensor ops on `device`: the reference the fused kernel must match.
torch::Tensor gumbel_noise(const std::vector<NoiseKey>& keys, int64_t rows, int64_t K, int64_t D,
                           torch::Dtype dtype, const torch::Device& device);

}  // namespace ipcae
