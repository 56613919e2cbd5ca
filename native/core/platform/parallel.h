// Parallel loops for ipcae's own kernels, with an explicit thread count: LibTorch's ops may run
// single-threaded on small problems (where fork/join costs more than it saves) while the kernels
// that carry the work still use every core.
#pragma once

#include <omp.h>

#include <algorithm>
#include <cstdint>

namespace ipcae {

// Threads for ipcae's kernels on the calling thread (set by the trainer at the start of each job).
int kernel_threads();
void set_kernel_threads(int n);

// The start of every job on the calling thread: LibTorch's ops on `opsThreads`, ipcae's kernels on
// `kernelThreads`, denormal floats flushed on all of them (denormals.h).
void enter_job(int opsThreads, int kernelThreads);

// f(begin, end) over contiguous chunks; at least `grain` items per thread; each item is handled
// by exactly one call, so results never depend on the thread count.
template <typename F>
void parallel_chunks(int64_t begin, int64_t end, int64_t grain, const F& f) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  const int64_t want = std::min<int64_t>(kernel_threads(), std::max<int64_t>(1, n / std::max<int64_t>(grain, 1)));
  if (want <= 1) {
    f(begin, end);
    return;
  }
#pragma omp parallel num_threads(static_cast<int>(want))
  {
    const int64_t t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int64_t chunk = (n + nt - 1) / nt;
    const int64_t b = begin + t * chunk, e = std::min(end, b + chunk);
    if (b < e) f(b, e);
  }
}

}  // namespace ipcae
