// Values between JS and the core: trainer and baseline options (exactly the keys of
// lib/train/options.ts and lib/baselines/options.ts),
// data splits (copied out of JS typed arrays on the JS thread) and results.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "baseline.h"
#include "capabilities.h"
#include "selection_check.h"
#include "trainer.h"

namespace ipcae_addon {

// The option keys the native trainer takes; every one must be given, no other is accepted.
const std::vector<std::string>& trainerOptionKeys();
ipcae::TrainerOptions parseOptions(const Napi::Object& o);
// The baselines' option keys and parser, in the same style (every key given, no other accepted).
const std::vector<std::string>& baselineOptionKeys();
ipcae::BaselineOptions parseBaselineOptions(const Napi::Object& o);
ipcae::SelectionCheckOptions parseSelectionCheckOptions(const Napi::Object& o);
ipcae::SplitData parseSplit(const Napi::Object& s, const std::string& name, int64_t D);

Napi::Value toJs(Napi::Env env, const ipcae::Capabilities& c);
Napi::Value toJs(Napi::Env env, const ipcae::EpochReport& r);
Napi::Value toJs(Napi::Env env, const ipcae::EvalResult& r);
Napi::Value toJs(Napi::Env env, const ipcae::Selection& s);
Napi::Value toJs(Napi::Env env, const ipcae::SelectionCheckResult& r);
Napi::Float64Array toFloat64(Napi::Env env, const torch::Tensor& t);

}  // namespace ipcae_addon
