#include "noise.h"

namespace ipcae {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

NoiseKey make_key(uint64_t seed, Stream stream, uint64_t counter) {
  const uint64_t z =
      splitmix64(splitmix64(seed) ^ (static_cast<uint64_t>(stream) << 56) ^ counter);
  return NoiseKey{static_cast<uint32_t>(z), static_cast<uint32_t>(z >> 32)};
}

torch::Tensor gumbel_noise(const std::vector<NoiseKey>& keys, int64_t rows, int64_t K, int64_t D,
                           torch::Dtype dtype, const torch::Device& device) {
  const int64_t R = static_cast<int64_t>(keys.size());
  const int64_t n = rows * K * D;
  const int64_t mask = 0xffffffffLL;
  auto i64 = torch::TensorOptions().dtype(torch::kLong).device(device);
  std::vector<int64_t> k0(R), k1(R);
  for (int64_t r = 0; r < R; ++r) {
    k0[r] = keys[r].k0;
    k1[r] = keys[r].k1;
  }
  auto kt0 = torch::tensor(k0, torch::kLong).to(device).view({R, 1});
  auto kt1 = torch::tensor(k1, torch::kLong).to(device).view({R, 1});
  auto lowbias = [&](torch::Tensor v) {
    v = torch::bitwise_xor(v, torch::bitwise_right_shift(v, 16));
    v = torch::bitwise_and(v * static_cast<int64_t>(0x7feb352dLL), mask);
    v = torch::bitwise_xor(v, torch::bitwise_right_shift(v, 15));
    v = torch::bitwise_and(v * static_cast<int64_t>(0x846ca68bLL), mask);
    v = torch::bitwise_xor(v, torch::bitwise_right_shift(v, 16));
    return v;
  };
  auto c = torch::arange(n, i64).view({1, n}).expand({R, n});
  auto h = lowbias(torch::bitwise_xor(c, kt0));
  h = lowbias(torch::bitwise_and(h + kt1, mask));
  auto u = (torch::bitwise_right_shift(h, 9).to(dtype) + 0.5) * static_cast<double>(kUniformScale);
  return (-torch::log(-torch::log(u))).view({R, rows, K, D});
}

}  // namespace ipcae
