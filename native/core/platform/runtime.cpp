#include "runtime.h"

#include <ATen/Context.h>
#include <malloc.h>

#include <algorithm>
#include <cstdlib>

#include "errors.h"

namespace ipcae {

namespace {
// IPCAE_CUDA_DETERMINISTIC=1: LibTorch's deterministic algorithms, warning (on stderr) by name for
// every op that has no deterministic CUDA implementation (scripts/gpu-check.sh lists them).
void cuda_determinism_once() {
  static const bool done = [] {
    const char* env = std::getenv("IPCAE_CUDA_DETERMINISTIC");
    if (!env || std::string(env) != "1") return false;
    at::globalContext().setDeterministicAlgorithms(true, /*warn_only=*/true);
    return true;
  }();
  (void)done;
}
}  // namespace

torch::Device parse_device(const std::string& device) {
  if (device == "cpu") return torch::Device(torch::kCPU);
  if (device == "auto") {
    if (!torch::cuda::is_available()) return torch::Device(torch::kCPU);
    cuda_determinism_once();
    return torch::Device(torch::kCUDA, 0);
  }
  if (device == "cuda" || device.rfind("cuda:", 0) == 0) {
    int64_t index = 0;
    if (device.size() > 5) {
      const std::string n = device.substr(5);
      require(!n.empty() && std::all_of(n.begin(), n.end(), ::isdigit),
              "Expected 'cpu', 'cuda', 'cuda:N' or 'auto' for device but received '" + device + "'");
      index = std::stoll(n);
    }
    if (!torch::cuda::is_available()) {
      throw Error("ERR_DEVICE", "device '" + device +
                                    "' was requested but this LibTorch build sees no CUDA device "
                                    "(use device 'cpu' or 'auto')");
    }
    const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
    if (index >= count) {
      throw Error("ERR_DEVICE", "device '" + device + "' was requested but only " +
                                    std::to_string(count) + " CUDA device(s) exist");
    }
    cuda_determinism_once();
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  require(false, "Expected 'cpu', 'cuda', 'cuda:N' or 'auto' for device but received '" + device + "'");
  return torch::Device(torch::kCPU);
}

// Each op of a small model allocates and frees MB-sized tensors. With glibc's defaults those come
// from fresh mmap()s or a heap that is trimmed after every free, so every op pays page faults
// (measured here: a 432k-element addcmul took 2.7 ms instead of 0.08 ms). Keep freed memory instead.
void tune_allocator_once() {
  static const bool done = [] {
    const char* env = std::getenv("IPCAE_MALLOC_TUNING");
    if (env && std::string(env) == "0") return false;
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
    mallopt(M_TOP_PAD, 16 * 1024 * 1024);
    return true;
  }();
  (void)done;
}

}  // namespace ipcae
