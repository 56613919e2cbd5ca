// A selector: the parameters that produce the K×D selection logits L of each replica, and their
// backward pass. CAE learns L directly; IP-CAE computes it from an embedding (selector_ip.cpp).
// A new selector is a new file implementing this interface plus one line in make_selector.
#pragma once

#include <torch/types.h>

#include <memory>

#include "layout.h"
#include "options.h"

namespace ipcae {

class Selector {
 public:
  virtual ~Selector() = default;
  // L [R,K,D] from the selector's parameters.
  virtual torch::Tensor logits(const Views& params) const = 0;
  // dLoss/dL [R,K,D] -> the selector's gradients (written, not accumulated).
  virtual void backward(const Views& params, const torch::Tensor& dL, Views& grads) const = 0;
  // Draws one replica's initial values (the order of draws is part of the results' definition).
  virtual void init(ReplicaInit& init) const = 0;
  // Multiply-adds of one logits forward and backward per replica (for the threading heuristic).
  virtual int64_t macs() const = 0;
};

// Registers the selector's parameters in `layout` (first, before the decoder's).
std::unique_ptr<Selector> make_selector(const TrainerOptions& o, ParameterLayout& layout);

std::unique_ptr<Selector> make_cae_selector(int64_t K, int64_t D, ParameterLayout& layout);
std::unique_ptr<Selector> make_ip_selector(const TrainerOptions& o, ParameterLayout& layout);

}  // namespace ipcae
