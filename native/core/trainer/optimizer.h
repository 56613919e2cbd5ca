// Adam (PyTorch's formulation, no weight decay) over the flat parameter buffer.
#pragma once

#include <torch/types.h>

#include "layout.h"

namespace ipcae {

struct AdamOptions {
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
};

// Step t (1-based) over all replicas, or over the blocks of replicas [r0, r0 + n) only (CPU): the
// same arithmetic per element, so the result does not depend on how the group is split.
void adam_step(const AdamOptions& o, int64_t t, const ParameterLayout& layout, torch::Tensor& params,
               const torch::Tensor& grads, torch::Tensor& m, torch::Tensor& v, int64_t r0, int64_t n);

}  // namespace ipcae
