// The JS class Trainer: one native trainer, at most one job at a time, every job off the JS thread.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>

#include "trainer.h"

namespace ipcae_addon {

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit TrainerWrap(const Napi::CallbackInfo& info);

  // On the JS thread, before a job starts: the trainer must exist and be idle; marks it busy.
  std::shared_ptr<ipcae::Trainer> acquire(Napi::Env env);
  // The trainer, for synchronous calls that must not overlap a job.
  ipcae::Trainer& idleTrainer(Napi::Env env);

  std::atomic<bool> busy{false};
  std::atomic<bool> cancel{false};

 private:
  Napi::Value SetData(const Napi::CallbackInfo& info);
  Napi::Value Train(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info);
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value GetSelection(const Napi::CallbackInfo& info);
  Napi::Value Predict(const Napi::CallbackInfo& info);
  Napi::Value Finetune(const Napi::CallbackInfo& info);
  Napi::Value SaveState(const Napi::CallbackInfo& info);
  Napi::Value LoadState(const Napi::CallbackInfo& info);
  Napi::Value Fingerprint(const Napi::CallbackInfo& info);
  Napi::Value LossAndGradient(const Napi::CallbackInfo& info);
  Napi::Value GetParameters(const Napi::CallbackInfo& info);
  Napi::Value GetReplicaParameters(const Napi::CallbackInfo& info);
  Napi::Value SetParameters(const Napi::CallbackInfo& info);
  Napi::Value ParameterLayout(const Napi::CallbackInfo& info);
  Napi::Value Info(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);

  std::shared_ptr<ipcae::Trainer> trainer_;
};

}  // namespace ipcae_addon
