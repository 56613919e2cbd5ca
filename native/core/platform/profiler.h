// IPCAE_PROFILE=1 prints the time spent per phase of the training step after each epoch (stderr).
#pragma once

#include <chrono>
#include <utility>
#include <vector>

namespace ipcae {

struct PhaseTimer {
  bool on = false;
  std::vector<std::pair<const char*, double>> acc;
  std::chrono::steady_clock::time_point t = std::chrono::steady_clock::now();
  // Adds the time since the last mark to phase `name`.
  void mark(const char* name);
  // Prints and clears the phases.
  void dump();
};

// This thread's timer, on when IPCAE_PROFILE is set.
PhaseTimer& profiler();
// A timer that records nothing (the parts of a split step other than the first).
PhaseTimer& silent_timer();

}  // namespace ipcae
