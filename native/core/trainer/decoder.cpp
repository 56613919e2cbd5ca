#include "decoder.h"

#include <algorithm>
#include <cmath>

#include "noise.h"
#include "norm_act.h"

namespace ipcae {

namespace {
constexpr double kLayerNormEps = 1e-5;
constexpr double kLeakySlope = 0.2;
}  // namespace

Decoder::Decoder(const TrainerOptions& o, int64_t outputs, ParameterLayout& layout, torch::Device device,
                 torch::Dtype dtype)
    : seeds_(o.seeds), dropout_(o.dropout), device_(device), dtype_(dtype) {
  int64_t in = o.k;
  for (size_t i = 0; i < o.hidden.size(); ++i) {
    Layer l;
    const std::string p = "decoder." + std::to_string(i) + ".";
    l.in = in;
    l.out = o.hidden[i];
    l.W = layout.add(p + "weight_t", {in, l.out});
    l.b = layout.add(p + "bias", {1, l.out});
    l.gamma = layout.add(p + "norm.weight", {1, l.out});
    l.beta = layout.add(p + "norm.bias", {1, l.out});
    layers_.push_back(l);
    in = l.out;
  }
  Layer l;
  l.in = in;
  l.out = outputs;
  l.W = layout.add("decoder.out.weight_t", {in, outputs});
  l.b = layout.add("decoder.out.bias", {1, outputs});
  layers_.push_back(l);
}

// nn.Linear's initialisation, U(-1/sqrt(in), 1/sqrt(in)) for weight and bias (weights stored
// transposed); LayerNorm starts as the identity.
void Decoder::init(ReplicaInit& init) const {
  for (const auto& l : layers_) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(l.in));
    init.set(l.W, init.uniform({l.out, l.in}, -bound, bound).t().contiguous());
    init.set(l.b, init.uniform({1, l.out}, -bound, bound));
    if (l.gamma >= 0) {
      init.fill(l.gamma, 1.0);
      init.fill(l.beta, 0.0);
    }
  }
}

int64_t Decoder::macsPerSample() const {
  int64_t macs = 0;
  for (const auto& l : layers_) macs += l.in * l.out;
  return macs;
}

torch::Tensor Decoder::dropoutMask(int64_t layer, int64_t B, int64_t H, int64_t r0, int64_t n, int64_t step) const {
  // Counter-based like the Gumbel noise: a pure function of (seed, step, layer, element).
  auto mask = torch::empty({n, B, H}, torch::TensorOptions().dtype(dtype_));
  const double keep = 1.0 - dropout_;
  const uint32_t threshold = static_cast<uint32_t>(std::min(4294967295.0, keep * 4294967296.0));
  AT_DISPATCH_FLOATING_TYPES(mask.scalar_type(), "dropout_mask", [&] {
    auto* m = mask.data_ptr<scalar_t>();
    const scalar_t scale = static_cast<scalar_t>(1.0 / keep);
    for (int64_t r = 0; r < n; ++r) {
      const NoiseKey key = make_key(seeds_[r0 + r], Stream::Dropout, static_cast<uint64_t>(step) * 256 + layer);
      for (int64_t i = 0; i < B * H; ++i) {
        m[r * B * H + i] = noise_hash(static_cast<uint32_t>(i), key) < threshold ? scale : scalar_t(0);
      }
    }
  });
  return mask.to(device_);
}

torch::Tensor Decoder::forward(const torch::Tensor& U, const Views& params, bool train, Cache* cache, int64_t r0,
                               int64_t step) const {
  torch::Tensor h = U;
  const int64_t R = U.size(0), B = U.size(1);
  if (cache) cache->layers.assign(layers_.size() - 1, Cache::Layer{});
  for (size_t i = 0; i + 1 < layers_.size(); ++i) {
    const auto& l = layers_[i];
    auto a = torch::baddbmm(params[l.b], h, params[l.W]);  // [R,B,H]
    torch::Tensor act, xhat, mean, rstd, y;
    if (device_.is_cpu()) {
      // fused LayerNorm → affine → LeakyReLU (one pass); y is not kept: sign(y) = sign(act)
      norm_act_forward(a, params[l.gamma], params[l.beta], kLayerNormEps, kLeakySlope, act, xhat, rstd);
      y = act;
    } else {
      auto ln = torch::native_layer_norm(a.view({R * B, l.out}), {l.out}, {}, {}, kLayerNormEps);
      xhat = std::get<0>(ln).view({R, B, l.out});
      mean = std::get<1>(ln);
      rstd = std::get<2>(ln);
      y = torch::addcmul(params[l.beta], xhat, params[l.gamma]);
      act = torch::leaky_relu(y, kLeakySlope);
    }
    torch::Tensor mask;
    if (train && dropout_ > 0) {
      mask = dropoutMask(static_cast<int64_t>(i), B, l.out, r0, R, step);
      act = act * mask;
    }
    if (cache) {
      auto& c = cache->layers[i];
      c.in = h;
      c.a = a;
      c.xhat = xhat;
      c.mean = mean;
      c.rstd = rstd;
      c.y = y;
      c.mask = mask;
    }
    h = act;
  }
  if (cache) cache->lastHidden = h;
  const auto& o = layers_.back();
  return torch::baddbmm(params[o.b], h, params[o.W]);
}

torch::Tensor Decoder::backward(const torch::Tensor& dOut, const Views& params, Views& grads, Cache& cache) const {
  const auto& o = layers_.back();
  torch::bmm_out(grads[o.W], cache.lastHidden.transpose(1, 2), dOut);
  torch::sum_out(grads[o.b], dOut, {1}, true);
  torch::Tensor dh = torch::bmm(dOut, params[o.W].transpose(1, 2));
  for (int64_t i = static_cast<int64_t>(layers_.size()) - 2; i >= 0; --i) {
    const auto& l = layers_[i];
    auto& c = cache.layers[i];
    const int64_t R = dh.size(0), B = dh.size(1);
    if (c.mask.defined()) dh = dh * c.mask;
    torch::Tensor da;
    if (device_.is_cpu()) {
      norm_act_backward(dh.contiguous(), c.y, c.xhat, c.rstd, params[l.gamma], kLeakySlope, da, grads[l.gamma],
                        grads[l.beta]);
    } else {
      auto dy = torch::leaky_relu_backward(dh, c.y, kLeakySlope, false);
      torch::sum_out(grads[l.gamma], dy * c.xhat, {1}, true);
      torch::sum_out(grads[l.beta], dy, {1}, true);
      auto dxhat = dy * params[l.gamma];
      da = std::get<0>(torch::native_layer_norm_backward(dxhat.view({R * B, l.out}), c.a.view({R * B, l.out}),
                                                         {l.out}, c.mean, c.rstd, {}, {}, {true, false, false}))
               .view({R, B, l.out});
    }
    torch::bmm_out(grads[l.W], c.in.transpose(1, 2), da);
    torch::sum_out(grads[l.b], da, {1}, true);
    dh = torch::bmm(da, params[l.W].transpose(1, 2));
  }
  return dh;  // dLoss/dU [R,B,K]
}

}  // namespace ipcae
