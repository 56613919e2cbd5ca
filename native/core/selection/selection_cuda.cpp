// Tensors in, raw pointers out: the fused CUDA selection kernel (native/core/selection/cuda) called on the current
// CUDA stream of the tensors' device. Compiled with IPCAE_CUDA_KERNELS=1 only when CMake found a
// CUDA LibTorch and nvcc; otherwise every entry point says the kernel is not in this build.
#include "errors.h"
#include "selection.h"

#if IPCAE_CUDA_KERNELS
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "selection_kernels.h"
#endif

namespace ipcae {

bool cuda_selection_built() { return IPCAE_CUDA_KERNELS != 0; }

#if IPCAE_CUDA_KERNELS
namespace {

// The keys through pinned memory and an asynchronous copy: a copy from pageable memory would make
// the host wait for the GPU twice per training step (LibTorch's host allocator keeps the pinned
// block alive until the copy has run).
torch::Tensor device_keys(const std::vector<NoiseKey>& keys, const torch::Device& device) {
  auto k = torch::empty({static_cast<int64_t>(keys.size()), 2}, torch::TensorOptions().dtype(torch::kInt).pinned_memory(true));
  auto* p = k.data_ptr<int32_t>();
  for (size_t r = 0; r < keys.size(); ++r) {
    p[2 * r] = static_cast<int32_t>(keys[r].k0);
    p[2 * r + 1] = static_cast<int32_t>(keys[r].k1);
  }
  return k.to(device, /*non_blocking=*/true);
}

const uint32_t* key_ptr(const torch::Tensor& k) { return reinterpret_cast<const uint32_t*>(k.data_ptr<int32_t>()); }

void check_launch(const char* error, const char* what) {
  IPCAE_CHECK(error == nullptr, "ERR_TORCH", std::string(what) + ": CUDA error: " + (error ? error : ""));
}

void check_cuda_tensors(std::initializer_list<const torch::Tensor*> ts, const torch::Tensor& L) {
  for (const auto* t : ts)
    IPCAE_CHECK(t->is_cuda() && t->device() == L.device() && t->is_contiguous() && t->scalar_type() == L.scalar_type(),
                "ERR_INTERNAL", "selection (CUDA): expected contiguous tensors of one dtype on " + L.device().str());
}

}  // namespace

void selection_forward_cuda(const torch::Tensor& L, const torch::Tensor& x, double temperature,
                            const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& U,
                            torch::Tensor& stats) {
  const int64_t R = L.size(0), K = L.size(1), D = L.size(2), B = x.size(0);
  const c10::cuda::CUDAGuard guard(L.device());
  if (!stats.defined() || stats.sizes() != torch::IntArrayRef({R, B, K, 2}) || stats.scalar_type() != L.scalar_type() ||
      stats.device() != L.device())
    stats = torch::empty({R, B, K, 2}, L.options());
  check_cuda_tensors({&L, &x, &U, &stats}, L);
  const auto k = device_keys(keys, L.device());
  void* stream = c10::cuda::getCurrentCUDAStream(L.device().index()).stream();
  const cuda_kernels::SelectionShape shape{R, B, K, D};
  AT_DISPATCH_FLOATING_TYPES(L.scalar_type(), "selection_forward_cuda", [&] {
    check_launch(cuda_kernels::selection_forward<scalar_t>(
                     L.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), scalar_t(1) / static_cast<scalar_t>(temperature),
                     key_ptr(k), with_noise, U.data_ptr<scalar_t>(), stats.data_ptr<scalar_t>(), shape, stream),
                 "selection_forward");
  });
}

void selection_backward_cuda(const torch::Tensor& L, const torch::Tensor& x, const torch::Tensor& U,
                             const torch::Tensor& stats, const torch::Tensor& dU, double temperature,
                             const std::vector<NoiseKey>& keys, bool with_noise, torch::Tensor& dL) {
  const int64_t R = L.size(0), K = L.size(1), D = L.size(2), B = x.size(0);
  const c10::cuda::CUDAGuard guard(L.device());
  check_cuda_tensors({&L, &x, &U, &stats, &dU, &dL}, L);
  const auto k = device_keys(keys, L.device());
  void* stream = c10::cuda::getCurrentCUDAStream(L.device().index()).stream();
  const cuda_kernels::SelectionShape shape{R, B, K, D};
  const int64_t work = cuda_kernels::selection_backward_workspace(shape);
  torch::Tensor workspace = work > 0 ? torch::empty({work}, L.options()) : torch::Tensor();
  AT_DISPATCH_FLOATING_TYPES(L.scalar_type(), "selection_backward_cuda", [&] {
    check_launch(cuda_kernels::selection_backward<scalar_t>(
                     L.data_ptr<scalar_t>(), x.data_ptr<scalar_t>(), U.data_ptr<scalar_t>(), stats.data_ptr<scalar_t>(),
                     dU.data_ptr<scalar_t>(), scalar_t(1) / static_cast<scalar_t>(temperature), key_ptr(k), with_noise,
                     dL.data_ptr<scalar_t>(), work > 0 ? workspace.data_ptr<scalar_t>() : nullptr, shape, stream),
                 "selection_backward");
  });
}

NoiseProbe selection_noise_probe_cuda(NoiseKey key, int64_t n, const torch::Device& device) {
  const c10::cuda::CUDAGuard guard(device);
  auto hash = torch::empty({n}, torch::TensorOptions().dtype(torch::kInt).device(device));
  auto gumbel = torch::empty({n}, torch::TensorOptions().dtype(torch::kFloat).device(device));
  void* stream = c10::cuda::getCurrentCUDAStream(device.index()).stream();
  check_launch(cuda_kernels::selection_noise_probe(key.k0, key.k1, n, reinterpret_cast<uint32_t*>(hash.data_ptr<int32_t>()),
                                                   gumbel.data_ptr<float>(), stream),
               "selection_noise_probe");
  NoiseProbe p;
  // int32 bits -> the unsigned value, as the host probe gives it
  p.hash = hash.cpu().to(torch::kLong).bitwise_and(static_cast<int64_t>(0xffffffff));
  p.gumbel = gumbel.cpu();
  return p;
}

#else

namespace {
[[noreturn]] void not_built() {
  throw Error("ERR_DEVICE",
              "the fused CUDA selection kernel is not in this build (it is built when CMake finds a CUDA LibTorch "
              "and nvcc); set fusedSelection: false to use the tensor-op path");
}
}  // namespace

void selection_forward_cuda(const torch::Tensor&, const torch::Tensor&, double, const std::vector<NoiseKey>&, bool,
                            torch::Tensor&, torch::Tensor&) {
  not_built();
}
void selection_backward_cuda(const torch::Tensor&, const torch::Tensor&, const torch::Tensor&, const torch::Tensor&,
                             const torch::Tensor&, double, const std::vector<NoiseKey>&, bool, torch::Tensor&) {
  not_built();
}
NoiseProbe selection_noise_probe_cuda(NoiseKey, int64_t, const torch::Device&) { not_built(); }

#endif

}  // namespace ipcae
