// The baselines' Node-API surface: classes Stg and LassoNet (created with options and the three
// splits; each training call runs on a worker thread and resolves to its reports), and retrain().
// JS (lib/baselines/native.ts) serialises the calls on one object.
#pragma once

#include <napi.h>

#include <memory>

#include "baseline.h"
#include "lassonet.h"
#include "stg.h"

namespace ipcae_addon {

class StgWrap : public Napi::ObjectWrap<StgWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit StgWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value RunEpochs(const Napi::CallbackInfo& info);  // (n) -> Promise<epoch reports>
  Napi::Value Mu(const Napi::CallbackInfo& info);         // Float64Array [R*D]
  Napi::Value Objective(const Napi::CallbackInfo& info);  // (step) -> { objective, dMu, dW1 } (checks)
  Napi::Value Parameters(const Napi::CallbackInfo& info); // { mu, W1 } as Float64Array (checks)
  Napi::Value SetParameters(const Napi::CallbackInfo& info);
  std::shared_ptr<ipcae::Stg> stg_;
};

class LassoNetWrap : public Napi::ObjectWrap<LassoNetWrap> {
 public:
  static Napi::Function Init(Napi::Env env);
  explicit LassoNetWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value Advance(const Napi::CallbackInfo& info);  // (epochs) -> Promise<{ points, done, epochs, counts }>
  Napi::Value SaveState(const Napi::CallbackInfo& info);  // -> Promise<Buffer>
  Napi::Value LoadState(const Napi::CallbackInfo& info);  // (Buffer) -> Promise
  std::shared_ptr<ipcae::LassoNet> net_;
};

// retrain(options, train, val, test, indices: Int32Array [R*K], k, epochs) -> Promise<result>
Napi::Value Retrain(const Napi::CallbackInfo& info);
// hierProx(theta Float64Array [R*O*D], W Float64Array [R*D*H], lambda Float64Array [R], R, O, D, H, M)
// -> { theta, W } (for the tests)
Napi::Value HierProx(const Napi::CallbackInfo& info);
// hierProxStart(theta [O*D], W [D*H], O, D, H, M) -> lassonet's automatic start before / lr / 10 (for the tests)
Napi::Value HierProxStart(const Napi::CallbackInfo& info);

}  // namespace ipcae_addon
