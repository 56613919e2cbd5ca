#include "baseline_wrap.h"

#include <cstring>
#include <string>
#include <vector>

#include "convert.h"
#include "error_mapping.h"
#include "hier_prox.h"
#include "job.h"
#include "state_bytes.h"
#include "retrain.h"

namespace ipcae_addon {

namespace {

[[noreturn]] void invalid(Napi::Env env, const std::string& message) { throwError(env, "ERR_INVALID_ARGUMENT", message); }

ipcae::BaselineData splits(const Napi::CallbackInfo& info, size_t first, int64_t D) {
  for (size_t i = first; i < first + 3; ++i)
    if (info.Length() <= i || !info[i].IsObject()) invalid(info.Env(), "Expected (options, train, val, test)");
  return ipcae::BaselineData{parseSplit(info[first].As<Napi::Object>(), "train", D),
                             parseSplit(info[first + 1].As<Napi::Object>(), "val", D),
                             parseSplit(info[first + 2].As<Napi::Object>(), "test", D)};
}

Napi::Array doubles(Napi::Env env, const std::vector<double>& v) {
  auto a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, v[i]));
  return a;
}
Napi::Array ints(Napi::Env env, const std::vector<int64_t>& v) {
  auto a = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(v[i])));
  return a;
}

// A baseline model from (options, train, val, test); core errors become coded JS errors.
template <class T>
std::shared_ptr<T> construct(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) invalid(env, "Expected an options object");
  const auto o = parseBaselineOptions(info[0].As<Napi::Object>());
  auto data = splits(info, 1, o.inputDim);
  std::shared_ptr<T> model;
  guardedOrThrow(env, [&] { model = std::make_shared<T>(o, std::move(data)); });
  return model;
}
}  // namespace


// ---------------------------------------------------------------------------------------------

Napi::Function StgWrap::Init(Napi::Env env) {
  return DefineClass(env, "Stg",
                     {InstanceMethod("runEpochs", &StgWrap::RunEpochs), InstanceMethod("mu", &StgWrap::Mu),
                      InstanceMethod("objective", &StgWrap::Objective), InstanceMethod("parameters", &StgWrap::Parameters),
                      InstanceMethod("setParameters", &StgWrap::SetParameters)});
}

StgWrap::StgWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<StgWrap>(info), stg_(construct<ipcae::Stg>(info)) {}

Napi::Value StgWrap::RunEpochs(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) invalid(env, "Expected runEpochs(n)");
  const int64_t n = info[0].As<Napi::Number>().Int64Value();
  auto stg = stg_;
  auto out = std::make_shared<std::vector<ipcae::StgEpoch>>();
  return queueJob(
      env, nullptr,
      [stg, n, out](ipcae::Trainer*) {
        for (int64_t i = 0; i < n; ++i) out->push_back(stg->runEpoch());
      },
      [out](Napi::Env env) -> Napi::Value {
        auto arr = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); ++i) {
          const auto& e = (*out)[i];
          auto o = Napi::Object::New(env);
          o.Set("epoch", Napi::Number::New(env, static_cast<double>(e.epoch)));
          o.Set("seconds", Napi::Number::New(env, e.seconds));
          o.Set("trainLoss", doubles(env, e.trainLoss));
          o.Set("valLoss", doubles(env, e.valLoss));
          o.Set("valMetric", doubles(env, e.valMetric));
          o.Set("open", ints(env, e.open));
          arr.Set(static_cast<uint32_t>(i), o);
        }
        return arr;
      });
}

Napi::Value StgWrap::Mu(const Napi::CallbackInfo& info) { return toFloat64(info.Env(), stg_->mu()); }

Napi::Value StgWrap::Objective(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const int64_t step = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int64Value() : 0;
  auto o = Napi::Object::New(env);
  guardedOrThrow(env, [&] {
    torch::Tensor dMu, dW1;
    auto obj = stg_->objective(step, &dMu, &dW1);
    o.Set("objective", toFloat64(env, obj));
    o.Set("dMu", toFloat64(env, dMu));
    o.Set("dW1", toFloat64(env, dW1));
  });
  return o;
}

Napi::Value StgWrap::Parameters(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = Napi::Object::New(env);
  o.Set("mu", toFloat64(env, stg_->muParam()));
  o.Set("W1", toFloat64(env, stg_->params().W1));
  return o;
}

// setParameters(name: 'mu' | 'W1', values: Float64Array)
Napi::Value StgWrap::SetParameters(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    invalid(env, "Expected setParameters(name, Float64Array)");
  const auto name = info[0].As<Napi::String>().Utf8Value();
  auto a = info[1].As<Napi::Float64Array>();
  torch::Tensor& t = name == "mu" ? stg_->muParam() : stg_->params().W1;
  if (name != "mu" && name != "W1") invalid(env, "Expected 'mu' or 'W1'");
  if (static_cast<int64_t>(a.ElementLength()) != t.numel()) invalid(env, "Expected " + std::to_string(t.numel()) + " values");
  t.copy_(torch::from_blob(a.Data(), t.sizes(), torch::kDouble).to(t.scalar_type()));
  return env.Undefined();
}

// ---------------------------------------------------------------------------------------------

Napi::Function LassoNetWrap::Init(Napi::Env env) {
  return DefineClass(env, "LassoNet",
                     {InstanceMethod("advance", &LassoNetWrap::Advance), InstanceMethod("saveState", &LassoNetWrap::SaveState),
                      InstanceMethod("loadState", &LassoNetWrap::LoadState)});
}

LassoNetWrap::LassoNetWrap(const Napi::CallbackInfo& info)
    : Napi::ObjectWrap<LassoNetWrap>(info), net_(construct<ipcae::LassoNet>(info)) {}

Napi::Value LassoNetWrap::Advance(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) invalid(env, "Expected advance(epochs)");
  const int64_t n = info[0].As<Napi::Number>().Int64Value();
  auto net = net_;
  auto pts = std::make_shared<std::vector<ipcae::LassoNetPoint>>();
  return queueJob(
      env, nullptr, [net, n, pts](ipcae::Trainer*) { *pts = net->advance(n); },
      [net, pts](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        auto arr = Napi::Array::New(env, pts->size());
        for (size_t i = 0; i < pts->size(); ++i) {
          const auto& p = (*pts)[i];
          auto q = Napi::Object::New(env);
          q.Set("replica", Napi::Number::New(env, static_cast<double>(p.replica)));
          q.Set("dense", Napi::Boolean::New(env, p.dense));
          q.Set("lambda", Napi::Number::New(env, p.lambda));
          q.Set("epochs", Napi::Number::New(env, static_cast<double>(p.epochs)));
          q.Set("valLoss", Napi::Number::New(env, p.valLoss));
          q.Set("valObjective", Napi::Number::New(env, p.valObjective));
          auto norms = Napi::Float64Array::New(env, p.thetaNorm.size());
          std::memcpy(norms.Data(), p.thetaNorm.data(), p.thetaNorm.size() * sizeof(double));
          q.Set("thetaNorm", norms);
          arr.Set(static_cast<uint32_t>(i), q);
        }
        o.Set("points", arr);
        o.Set("done", Napi::Boolean::New(env, net->done()));
        o.Set("epochs", Napi::Number::New(env, static_cast<double>(net->epochsRun())));
        o.Set("counts", ints(env, net->selectedCounts()));
        return o;
      });
}

// Serialising a large state (COIL-20 reconstruction: a 1024 x 1024 skip layer and its moments per
// replica) takes a noticeable time: off the JS thread, like training. As the trainer's: an array of
// Buffers out, a Buffer or an array of Buffers in.
Napi::Value LassoNetWrap::SaveState(const Napi::CallbackInfo& info) {
  auto net = net_;
  auto chunks = std::make_shared<ChunkCollector>();
  return queueJob(
      info.Env(), nullptr, [net, chunks](ipcae::Trainer*) { net->saveState(chunks->sink()); },
      [chunks](Napi::Env env) -> Napi::Value { return chunks->toJs(env); });
}

Napi::Value LassoNetWrap::LoadState(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1) invalid(env, "Expected loadState(Buffer | Buffer[])");
  auto held = holdChunks(env, info[0], "loadState");
  auto net = net_;
  return queueJob(env, nullptr, [net, held](ipcae::Trainer*) { net->loadState(held->bytes); });
}

// ---------------------------------------------------------------------------------------------

Napi::Value Retrain(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 7 || !info[0].IsObject() || !info[4].IsTypedArray() ||
      info[4].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array || !info[5].IsNumber() || !info[6].IsNumber())
    invalid(env, "Expected retrain(options, train, val, test, indices: Int32Array, k, epochs)");
  const auto o = parseBaselineOptions(info[0].As<Napi::Object>());
  auto data = std::make_shared<ipcae::BaselineData>(splits(info, 1, o.inputDim));
  auto a = info[4].As<Napi::Int32Array>();
  const int64_t k = info[5].As<Napi::Number>().Int64Value();
  const int64_t epochs = info[6].As<Napi::Number>().Int64Value();
  const int64_t R = static_cast<int64_t>(o.seeds.size());
  if (k < 1 || static_cast<int64_t>(a.ElementLength()) != R * k)
    invalid(env, "Expected " + std::to_string(R) + " x k selected indices");
  auto idx = torch::from_blob(a.Data(), {R, k}, torch::kInt).to(torch::kLong);
  auto res = std::make_shared<ipcae::RetrainResult>();
  return queueJob(
      env, nullptr, [o, data, idx, epochs, res](ipcae::Trainer*) { *res = ipcae::retrain(o, *data, idx, epochs); },
      [res](Napi::Env env) -> Napi::Value {
        auto r = Napi::Object::New(env);
        r.Set("testLoss", doubles(env, res->testLoss));
        r.Set("testMetric", doubles(env, res->testMetric));
        r.Set("bestValLoss", doubles(env, res->bestValLoss));
        r.Set("bestEpoch", ints(env, res->bestEpoch));
        return r;
      });
}

Napi::Value HierProx(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 8) invalid(env, "Expected hierProx(theta, W, lambda, R, O, D, H, M)");
  auto arr = [&](size_t i) {
    if (!info[i].IsTypedArray() || info[i].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      invalid(env, "Expected Float64Arrays");
    auto a = info[i].As<Napi::Float64Array>();
    return torch::from_blob(a.Data(), {static_cast<int64_t>(a.ElementLength())}, torch::kDouble).clone();
  };
  auto theta = arr(0), W = arr(1), lambda = arr(2);
  const int64_t R = info[3].As<Napi::Number>().Int64Value(), O = info[4].As<Napi::Number>().Int64Value();
  const int64_t D = info[5].As<Napi::Number>().Int64Value(), H = info[6].As<Napi::Number>().Int64Value();
  const double M = info[7].As<Napi::Number>().DoubleValue();
  if (theta.numel() != R * O * D || W.numel() != R * D * H || lambda.numel() != R) invalid(env, "Expected matching sizes");
  auto t = theta.view({R, O, D}), w = W.view({R, D, H});
  guardedOrThrow(env, [&] { ipcae::hier_prox(t, w, lambda, M); });
  auto o = Napi::Object::New(env);
  o.Set("theta", toFloat64(env, t));
  o.Set("W", toFloat64(env, w));
  return o;
}

}  // namespace ipcae_addon

namespace ipcae_addon {

// hierProxStart(theta Float64Array [O*D], W Float64Array [D*H], O, D, H, M) -> number (for the tests)
Napi::Value HierProxStart(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 6 || !info[0].IsTypedArray() || !info[1].IsTypedArray()) invalid(env, "Expected hierProxStart(theta, W, O, D, H, M)");
  auto t = info[0].As<Napi::Float64Array>(), w = info[1].As<Napi::Float64Array>();
  const int64_t O = info[2].As<Napi::Number>().Int64Value(), D = info[3].As<Napi::Number>().Int64Value();
  const int64_t H = info[4].As<Napi::Number>().Int64Value();
  const double M = info[5].As<Napi::Number>().DoubleValue();
  if (static_cast<int64_t>(t.ElementLength()) != O * D || static_cast<int64_t>(w.ElementLength()) != D * H) invalid(env, "Expected matching sizes");
  auto theta = torch::from_blob(t.Data(), {O, D}, torch::kDouble).clone();
  auto W = torch::from_blob(w.Data(), {D, H}, torch::kDouble).clone();
  double start = 0;
  guardedOrThrow(env, [&] { start = ipcae::hier_prox_sparsity_start(theta, W, M); });
  return Napi::Number::New(env, start);
}

}  // namespace ipcae_addon
