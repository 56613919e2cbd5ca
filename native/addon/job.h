// The one lifecycle of an asynchronous call: created on the JS thread (taking the trainer, which
// must be idle), run on a worker thread (every exception becomes a Failure), settled on the JS
// thread (the trainer is released first, then the promise resolves or rejects with a coded Error).
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <vector>

#include "error_mapping.h"
#include "trainer_wrap.h"

namespace ipcae_addon {

// A trainer held by one job; keeps its JS object alive until released.
class Lease {
 public:
  Lease(Napi::Env env, TrainerWrap* owner);
  ipcae::Trainer& trainer() { return *trainer_; }
  TrainerWrap* owner() const { return owner_; }
  void release();

 private:
  TrainerWrap* owner_;
  std::shared_ptr<ipcae::Trainer> trainer_;
  Napi::ObjectReference ownerRef_;
};

using Work = std::function<void(ipcae::Trainer*)>;
using Result = std::function<Napi::Value(Napi::Env)>;

// Queues `work` (given the trainer of `owner`, or nullptr when owner is nullptr) and returns a
// promise of `result` (undefined when result is empty).
Napi::Value queueJob(Napi::Env env, TrainerWrap* owner, Work work, Result result = nullptr);

// Training: every epoch's report reaches onEpoch on the JS thread, in order, while it runs.
Napi::Value queueTraining(Napi::Env env, TrainerWrap* owner, std::vector<double> temperatures, Napi::Function onEpoch);

}  // namespace ipcae_addon
