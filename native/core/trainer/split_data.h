// One data split as the trainer and the baselines take it.
#pragma once

#include <torch/types.h>

namespace ipcae {

// x [N,D] float32 on the CPU; y: int64 [N] (classes), float32 [N,T] (regression) or undefined
// (reconstruction).
struct SplitData {
  torch::Tensor x;
  torch::Tensor y;
};

}  // namespace ipcae
