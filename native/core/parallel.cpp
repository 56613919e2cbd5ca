#include "parallel.h"

namespace ipcae {

namespace {
thread_local int tlsKernelThreads = 1;
}
int kernel_threads() { return tlsKernelThreads; }
void set_kernel_threads(int n) { tlsKernelThreads = std::max(1, n); }

}  // namespace ipcae
