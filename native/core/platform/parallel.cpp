#include "parallel.h"

#include <ATen/Parallel.h>

#include "denormals.h"

namespace ipcae {

namespace {
thread_local int tlsKernelThreads = 1;
}
int kernel_threads() { return tlsKernelThreads; }
void set_kernel_threads(int n) { tlsKernelThreads = std::max(1, n); }

void enter_job(int opsThreads, int kernelThreads) {
  // set_num_threads also rebuilds LibTorch's thread pool: only call it when the count differs.
  if (at::get_num_threads() != opsThreads) at::set_num_threads(opsThreads);
  set_kernel_threads(kernelThreads);
  flush_denormals(std::max(opsThreads, kernelThreads));
}

}  // namespace ipcae
