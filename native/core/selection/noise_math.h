// The arithmetic of the counter-based noise and of the relaxed selection's softmax, shared by the
// CPU kernels (g++), the CUDA kernel (nvcc, native/core/selection/cuda) and the host emulation of that kernel. No
// LibTorch here: nvcc compiles this header for the device, g++ for the host.
//
// Everything is plain IEEE arithmetic (no libm calls for float), so one expression gives the same
// bits wherever it is evaluated without contraction: the x86-64-v2 build never fuses a*b+c, and the
// CUDA kernel is compiled with --fmad=false. (The AVX2/AVX-512 variants of the CPU kernels may fuse:
// they differ from the others in the last bits, as isa.h says.)
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define IPCAE_HD __host__ __device__
#define IPCAE_HD_INLINE __host__ __device__ __forceinline__
#else
#define IPCAE_HD
#define IPCAE_HD_INLINE inline __attribute__((always_inline))
#endif

namespace ipcae {

// Key of one noise stream (one replica, one training step). Derived from the run seed (noise.h).
struct NoiseKey {
  uint32_t k0 = 0;
  uint32_t k1 = 0;
};

// The generator itself: a 32-bit hash of the element counter under the key (two rounds of
// Wellons' lowbias32). Uniform in (0,1): ((h >> 9) + 0.5) * 2^-23, never 0 or 1.
IPCAE_HD_INLINE uint32_t lowbias32(uint32_t x) {
  x ^= x >> 16;
  x *= 0x7feb352dU;
  x ^= x >> 15;
  x *= 0x846ca68bU;
  x ^= x >> 16;
  return x;
}
IPCAE_HD_INLINE uint32_t noise_hash(uint32_t counter, NoiseKey key) {
  return lowbias32(lowbias32(counter ^ key.k0) + key.k1);
}

constexpr float kUniformScale = 1.0f / 8388608.0f;  // 2^-23

IPCAE_HD_INLINE uint32_t float_bits(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
#endif
}
IPCAE_HD_INLINE float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float x;
  std::memcpy(&x, &u, 4);
  return x;
#endif
}

// Branch-free float log and exp, so that the CPU loops over D vectorise (libm calls do not) and the
// device computes the same bits as the host.
// logf: argument reduction to [sqrt(1/2), sqrt(2)) and the classic odd series in s = f/(2+f)
// (about 1 ulp); valid for positive normal inputs, which is all the Gumbel transform produces.
IPCAE_HD_INLINE float fast_log(float x) {
  uint32_t ix = float_bits(x);
  ix += 0x3f800000U - 0x3f3504f3U;
  const int e = static_cast<int>(ix >> 23) - 0x7f;
  ix = (ix & 0x007fffffU) + 0x3f3504f3U;
  const float m = bits_float(ix);
  const float f = m - 1.0f;
  const float s = f / (2.0f + f);
  const float z = s * s;
  const float w = z * z;
  const float t1 = w * (0.40000972152f + w * 0.24279078841f);
  const float t2 = z * (0.66666662693f + w * 0.28498786688f);
  const float r = t2 + t1;
  const float hfsq = 0.5f * f * f;
  const float k = static_cast<float>(e);
  return s * (hfsq + r) + k * 9.0580006145e-06f - hfsq + f + k * 6.9313812256e-01f;
}

// expf for x <= 0 (softmax after the max is subtracted); flushes below e^-87 to about 1e-38.
IPCAE_HD_INLINE float fast_exp_nonpos(float x) {
  x = x < -87.0f ? -87.0f : x;
  const float t = x * 1.44269504089f;
  const float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest
  const float r = (x - n * 0.693145751953125f) - n * 1.428606765330187e-06f;
  const float p =
      1.0f + r * (1.0f + r * (0.5f + r * (0.16666667f + r * (0.041666668f +
                                                          r * (0.0083333338f + r * 0.0013888889f)))));
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  return p * bits_float(static_cast<uint32_t>(bits));
}

template <typename T>
struct NoiseMath;
template <>
struct NoiseMath<float> {
  static IPCAE_HD_INLINE float log(float x) { return fast_log(x); }
  static IPCAE_HD_INLINE float exp_nonpos(float x) { return fast_exp_nonpos(x); }
};
template <>
struct NoiseMath<double> {
  // libm on the host, libdevice on the GPU: equal to within an ulp or so, not bit for bit.
  static IPCAE_HD_INLINE double log(double x) { return ::log(x); }
  static IPCAE_HD_INLINE double exp_nonpos(double x) { return ::exp(x); }
};

template <typename T>
IPCAE_HD_INLINE T uniform_from_hash(uint32_t h) {
  return (static_cast<T>(static_cast<int32_t>(h >> 9)) + T(0.5)) * T(kUniformScale);
}
// Standard Gumbel noise: -log(-log(u)).
template <typename T>
IPCAE_HD_INLINE T gumbel_from_hash(uint32_t h) {
  return -NoiseMath<T>::log(-NoiseMath<T>::log(uniform_from_hash<T>(h)));
}

}  // namespace ipcae
