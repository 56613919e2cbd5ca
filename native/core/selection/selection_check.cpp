#include "selection_check.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/utils.h>  // NoGradGuard

#include <algorithm>
#include <vector>

#include "errors.h"
#include "runtime.h"
#include "selection.h"

namespace ipcae {

SelectionCheckResult selection_check(const SelectionCheckOptions& o) {
  require(o.replicas >= 1 && o.batch >= 1 && o.k >= 1 && o.d >= 1, "Expected positive replicas, batch, k and d");
  require(o.temperature > 0, "Expected a positive temperature");
  const int64_t R = o.replicas, B = o.batch, K = o.k, D = o.d;
  torch::NoGradGuard ng;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  auto L = torch::empty({R, K, D}, torch::kFloat).normal_(0, 2, gen);
  auto x = torch::empty({B, D}, torch::kFloat).normal_(0, 1, gen);
  auto dU = torch::empty({R, B, K}, torch::kFloat).normal_(0, 1, gen);
  std::vector<NoiseKey> keys;
  for (int64_t r = 0; r < R; ++r) keys.push_back(make_key(o.seed + r, Stream::Gumbel, 7));
  SelectionCheckResult res;
  auto noise = gumbel_noise(keys, o.perSample ? B : 1, K, D, torch::kFloat, torch::kCPU);
  auto U = torch::empty({R, B, K}, torch::kFloat);
  auto dL = torch::empty({R, K, D}, torch::kFloat);
  torch::Tensor Lin = o.perSample ? L : (L + noise.squeeze(1)).contiguous();
  torch::Tensor stats, cache;
  require(o.kernel == "cpu" || o.kernel == "emulated" || o.kernel == "cuda",
          "Expected 'cpu', 'emulated' or 'cuda' for kernel but received '" + o.kernel + "'");
  require(!(o.cache && o.kernel != "cpu"), "Expected cache only with the cpu kernel");
  if (o.kernel == "cpu") {
    selection_forward(Lin, x, o.temperature, keys, o.perSample, U, stats, o.cache ? &cache : nullptr);
    selection_backward(Lin, x, U, stats, dU, o.temperature, keys, o.perSample, dL, o.cache ? &cache : nullptr);
  } else if (o.kernel == "emulated") {
    selection_forward_emulated(Lin, x, o.temperature, keys, o.perSample, U, stats);
    selection_backward_emulated(Lin, x, U, stats, dU, o.temperature, keys, o.perSample, dL);
  } else {
    const torch::Device dev = parse_device(o.device);
    require(dev.is_cuda(), "Expected a CUDA device for the cuda kernel but received '" + o.device + "'");
    auto Ld = Lin.to(dev), xd = x.to(dev), dUd = dU.to(dev);
    auto Ud = torch::empty({R, B, K}, Ld.options()), dLd = torch::empty({R, K, D}, Ld.options());
    torch::Tensor statsd;
    selection_forward(Ld, xd, o.temperature, keys, o.perSample, Ud, statsd);
    selection_backward(Ld, xd, Ud, statsd, dUd, o.temperature, keys, o.perSample, dLd);
    U = Ud.cpu();
    dL = dLd.cpu();
  }
  if (o.noiseProbe > 0) {
    const NoiseProbe p = o.kernel == "cuda" ? selection_noise_probe_cuda(keys[0], o.noiseProbe, parse_device(o.device))
                                            : selection_noise_probe_host(keys[0], o.noiseProbe);
    res.probeHash = p.hash;
    res.probeGumbel = p.gumbel;
  }
  auto L64 = L.to(torch::kDouble), x64 = x.to(torch::kDouble), noise64 = noise.to(torch::kDouble);
  auto Ur = selection_forward_reference(L64, x64, o.temperature, noise64);
  auto dLr = selection_backward_reference(L64, x64, Ur, dU.to(torch::kDouble), o.temperature, noise64);
  res.fusedU = U;
  res.referenceU = Ur;
  res.fusedGrad = dL;
  res.referenceGrad = dLr;
  auto gumbel = noise.flatten();
  res.noiseSample = gumbel.narrow(0, 0, std::min<int64_t>(gumbel.numel(), 100000));
  return res;
}

}  // namespace ipcae
