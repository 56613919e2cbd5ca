// The process around the trainer: which device a name means, and malloc settings that suit it.
#pragma once

#include <torch/cuda.h>
#include <torch/types.h>

#include <string>

namespace ipcae {

// 'cpu' | 'cuda' | 'cuda:N' | 'auto' -> a device this LibTorch can use (ERR_DEVICE otherwise).
torch::Device parse_device(const std::string& device);

// Keeps freed memory in the process instead of returning it after every op (once per process;
// IPCAE_MALLOC_TUNING=0 leaves malloc alone).
void tune_allocator_once();

}  // namespace ipcae
