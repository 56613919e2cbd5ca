#include "isa.h"

#include <cstdlib>

#include "errors.h"

namespace ipcae {

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512:
      return "avx512";
    case Isa::Avx2:
      return "avx2";
    default:
      return "baseline";
  }
}

std::string kernel_variant() {
#if IPCAE_ISA_VARIANTS_BUILT
  return isa_name(active_isa());
#else
  return "native";
#endif
}

Isa best_supported_isa() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("x86-64-v4")) return Isa::Avx512;
  if (__builtin_cpu_supports("x86-64-v3")) return Isa::Avx2;
#endif
  return Isa::Baseline;
}

Isa active_isa() {
  static const Isa isa = [] {
    const Isa best = best_supported_isa();
    const char* env = std::getenv("IPCAE_ISA");
    if (!env || !*env) return best;
    const std::string want(env);
    Isa asked;
    if (want == "baseline") asked = Isa::Baseline;
    else if (want == "avx2") asked = Isa::Avx2;
    else if (want == "avx512") asked = Isa::Avx512;
    else throw Error("ERR_INVALID_ARGUMENT", "Expected 'baseline', 'avx2' or 'avx512' for IPCAE_ISA but received '" + want + "'");
    if (static_cast<int>(asked) > static_cast<int>(best))
      throw Error("ERR_DEVICE", std::string("IPCAE_ISA=") + env + " asks for instructions this CPU does not have (it supports up to " + isa_name(best) + ")");
    return asked;
  }();
  return isa;
}

}  // namespace ipcae
