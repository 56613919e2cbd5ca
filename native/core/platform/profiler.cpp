#include "profiler.h"

#include <cstdio>
#include <cstdlib>

namespace ipcae {

void PhaseTimer::mark(const char* name) {
  if (!on) return;
  auto now = std::chrono::steady_clock::now();
  const double dt = std::chrono::duration<double>(now - t).count();
  t = now;
  for (auto& a : acc)
    if (a.first == name) {
      a.second += dt;
      return;
    }
  acc.emplace_back(name, dt);
}

void PhaseTimer::dump() {
  if (!on) return;
  for (auto& a : acc) fprintf(stderr, "%s=%.3f ", a.first, a.second);
  fprintf(stderr, "\n");
  acc.clear();
}

PhaseTimer& profiler() {
  static thread_local PhaseTimer p = [] {
    PhaseTimer t;
    t.on = std::getenv("IPCAE_PROFILE") != nullptr;
    return t;
  }();
  return p;
}

PhaseTimer& silent_timer() {
  static thread_local PhaseTimer p;
  p.on = false;
  return p;
}

}  // namespace ipcae
