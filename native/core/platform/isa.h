// Instruction sets for ipcae's own CPU kernels, chosen at run time. The addon is built for the
// x86-64-v2 baseline so that one build runs on every x86-64 machine of a cluster; each hot loop is
// also compiled for x86-64-v3 (AVX2, FMA) and x86-64-v4 (AVX-512), and the best variant the CPU
// supports is called. IPCAE_ISA=baseline|avx2|avx512 forces one (for tests and comparisons).
//
// The variants round differently (FMA contraction, vector width in reductions), so results differ
// in the last bits between them, as they already do between CPUs through BLAS: bit-identical results
// hold for one machine (and one IPCAE_ISA), not across instruction sets.
#pragma once

#include <string>

namespace ipcae {

enum class Isa { Baseline = 0, Avx2 = 1, Avx512 = 2 };

// The variant in use (decided once per process).
Isa active_isa();
// The best variant this CPU supports.
Isa best_supported_isa();
const char* isa_name(Isa isa);
// "baseline" | "avx2" | "avx512", or "native" in a -march=native build (one variant, IPCAE_ISA ignored).
std::string kernel_variant();

}  // namespace ipcae

// Variants exist in the portable x86-64 build; a -march=native build (IPCAE_NATIVE_ARCH) and
// other architectures have one variant, compiled for the build's target.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(IPCAE_NATIVE_ARCH)
#define IPCAE_ISA_VARIANTS_BUILT 1
#define IPCAE_TARGET_AVX512 __attribute__((target("arch=x86-64-v4")))
#define IPCAE_TARGET_AVX2 __attribute__((target("arch=x86-64-v3")))
#else
#define IPCAE_ISA_VARIANTS_BUILT 0
#define IPCAE_TARGET_AVX512
#define IPCAE_TARGET_AVX2
#endif

#define IPCAE_INLINE inline __attribute__((always_inline))

// Defines NAME_for_isa<T>(): a pointer to NAME<T> (a static always-inline template taking
// (const CTX<T>&, int64_t begin, int64_t end)) compiled for the active instruction set.
#define IPCAE_ISA_VARIANTS(NAME, CTX)                                                                    \
  template <typename T>                                                                                  \
  IPCAE_TARGET_AVX512 void NAME##_avx512(const CTX<T>& c, int64_t begin, int64_t end) {                \
    NAME<T>(c, begin, end);                                                                              \
  }                                                                                                      \
  template <typename T>                                                                                  \
  IPCAE_TARGET_AVX2 void NAME##_avx2(const CTX<T>& c, int64_t begin, int64_t end) {                    \
    NAME<T>(c, begin, end);                                                                              \
  }                                                                                                      \
  template <typename T>                                                                                  \
  void NAME##_baseline(const CTX<T>& c, int64_t begin, int64_t end) {                                   \
    NAME<T>(c, begin, end);                                                                              \
  }                                                                                                      \
  template <typename T>                                                                                  \
  auto NAME##_for_isa() -> void (*)(const CTX<T>&, int64_t, int64_t) {                                  \
    if (!IPCAE_ISA_VARIANTS_BUILT) return &NAME##_baseline<T>;                                          \
    switch (::ipcae::active_isa()) {                                                                     \
      case ::ipcae::Isa::Avx512:                                                                         \
        return &NAME##_avx512<T>;                                                                        \
      case ::ipcae::Isa::Avx2:                                                                           \
        return &NAME##_avx2<T>;                                                                          \
      default:                                                                                           \
        return &NAME##_baseline<T>;                                                                      \
    }                                                                                                    \
  }
