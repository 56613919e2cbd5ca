// The module: the Trainer class, the baselines' models (Stg, LassoNet), retrain, Hier-Prox and its
// start, capabilities(), the list of trainer option keys, and the asynchronous self-check of the
// selection kernels (for the tests).
#include <napi.h>

#include "baseline_wrap.h"
#include "capabilities.h"
#include "convert.h"
#include "error_mapping.h"
#include "job.h"
#include "selection_check.h"
#include "trainer_wrap.h"

namespace ipcae_addon {

namespace {

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  ipcae::Capabilities c;
  guardedOrThrow(env, [&] { c = ipcae::capabilities(); });
  return toJs(env, c);
}

Napi::Value SelectionCheck(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected an options object");
  const auto opts = parseSelectionCheckOptions(info[0].As<Napi::Object>());
  auto res = std::make_shared<ipcae::SelectionCheckResult>();
  return queueJob(
      env, nullptr, [res, opts](ipcae::Trainer*) { *res = ipcae::selection_check(opts); },
      [res](Napi::Env env) { return toJs(env, *res); });
}

}  // namespace

}  // namespace ipcae_addon

// NODE_API_MODULE pastes the function's name into an identifier: it must be unqualified.
static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  using namespace ipcae_addon;
  exports.Set("Trainer", TrainerWrap::Init(env));
  exports.Set("capabilities", Napi::Function::New(env, Capabilities, "capabilities"));
  exports.Set("selectionCheck", Napi::Function::New(env, SelectionCheck, "selectionCheck"));
  exports.Set("Stg", StgWrap::Init(env));
  exports.Set("LassoNet", LassoNetWrap::Init(env));
  exports.Set("retrain", Napi::Function::New(env, Retrain, "retrain"));
  exports.Set("hierProx", Napi::Function::New(env, HierProx, "hierProx"));
  exports.Set("hierProxStart", Napi::Function::New(env, HierProxStart, "hierProxStart"));
  const auto list = [&](const std::vector<std::string>& keys) {
    auto arr = Napi::Array::New(env, keys.size());
    for (size_t i = 0; i < keys.size(); ++i) arr.Set(i, keys[i]);
    return arr;
  };
  exports.Set("trainerOptionKeys", list(trainerOptionKeys()));
  exports.Set("baselineOptionKeys", list(baselineOptionKeys()));
  return exports;
}

NODE_API_MODULE(ipcae, InitAddon)
