// Denormal floats. At low temperatures the relaxed selection's probabilities and their gradients
// fall below FLT_MIN; x86 CPUs handle each such number in microcode, about 100 times slower
// (measured: the selector backward of a 10,000-feature table went from 3 s to 144 s an epoch at
// T = 0.1). Training flushes them to zero, as PyTorch's set_flush_denormal does: a value below
// 1.2e-38 (float32) becomes 0, deterministically, at any thread count.
#pragma once

namespace ipcae {

// Flush-to-zero and denormals-are-zero on the calling thread and on the threads that run its
// parallel work (its OpenMP team of up to `threads`, which OpenBLAS shares, and LibTorch's
// intra-op threads). A no-op where the CPU has no such mode, or when IPCAE_DENORMALS=keep.
void flush_denormals(int threads);

// Whether training on `threads` threads flushes denormals on every one of them: set up by
// enter_job (parallel.h) as every job is, on a thread of its own, then each thread multiplies two tiny floats (capabilities()).
bool training_flushes_denormals(int threads);

// Keeps the calling thread's floating-point control as it was: saved on construction, restored on
// destruction (a job runs on a thread Node lends; the lender's mode comes back to it).
class FloatModeGuard {
 public:
  FloatModeGuard();
  ~FloatModeGuard();
  FloatModeGuard(const FloatModeGuard&) = delete;
  FloatModeGuard& operator=(const FloatModeGuard&) = delete;

 private:
  unsigned long long saved_ = 0;
};

}  // namespace ipcae
