// What this build and machine offer: LibTorch version, CUDA devices, BLAS, threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ipcae {

struct Capabilities {
  std::string torchVersion;
  bool cudaAvailable = false;
  int64_t cudaDeviceCount = 0;
  std::vector<std::string> cudaDevices;
  bool cudaKernels = false;  // this build has the fused CUDA selection kernel (native/core/selection/cuda)
  std::string blas;          // BLAS named in LibTorch's build configuration
  std::string blasLibrary;   // the BLAS shared library actually loaded in this process
  int threads = 0;
  int hardwareThreads = 0;
  std::string parallelInfo;
  std::string isa;           // the variant of ipcae's kernels in use: baseline | avx2 | avx512 | native
  std::string supportedIsa;  // the best variant this CPU supports
  bool denormalsFlushed = false;  // training flushes denormal floats to zero on all its threads
};

Capabilities capabilities();

}  // namespace ipcae
