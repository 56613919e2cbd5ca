#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/version.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "capabilities.h"
#include "denormals.h"
#include "isa.h"
#include "selection.h"

#include <torch/cuda.h>

namespace ipcae {

namespace {
// The BLAS library mapped into this process (Debian picks it through alternatives: reference
// BLAS is about 13x slower than OpenBLAS for this workload, so it is worth telling).
std::string loadedBlas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto pos = line.find('/');
    if (pos == std::string::npos) continue;
    const std::string path = line.substr(pos);
    const auto slash = path.rfind('/');
    const std::string file = path.substr(slash + 1);
    if (file.rfind("libopenblas", 0) == 0 || file.rfind("libblas", 0) == 0 || file.rfind("libmkl", 0) == 0 ||
        file.rfind("libblis", 0) == 0) {
      // Resolve the alternatives symlink chain to the real file.
      return path;
    }
  }
  return "";
}
}  // namespace

Capabilities capabilities() {
  Capabilities c;
  c.torchVersion = TORCH_VERSION;
  c.cudaAvailable = torch::cuda::is_available();
  c.cudaDeviceCount = c.cudaAvailable ? static_cast<int64_t>(torch::cuda::device_count()) : 0;
  for (int64_t i = 0; i < c.cudaDeviceCount; ++i) c.cudaDevices.push_back("cuda:" + std::to_string(i));
  c.cudaKernels = cuda_selection_built();
  const std::string cfg = at::show_config();
  const auto pos = cfg.find("BLAS_INFO=");
  if (pos != std::string::npos) {
    const auto end = cfg.find_first_of(", \n", pos);
    c.blas = cfg.substr(pos + 10, end == std::string::npos ? std::string::npos : end - pos - 10);
  }
  c.blasLibrary = loadedBlas();
  c.threads = at::get_num_threads();
  c.hardwareThreads = static_cast<int>(std::thread::hardware_concurrency());
  c.parallelInfo = at::get_parallel_info();
  c.isa = kernel_variant();
  c.supportedIsa = isa_name(best_supported_isa());
  c.denormalsFlushed = training_flushes_denormals(std::max(2, c.threads));
  return c;
}

}  // namespace ipcae
