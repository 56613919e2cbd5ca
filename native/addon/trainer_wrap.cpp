#include "trainer_wrap.h"

#include <cstring>
#include <string>
#include <vector>

#include "convert.h"
#include "error_mapping.h"
#include "job.h"
#include "state_bytes.h"

namespace ipcae_addon {

using ipcae::Trainer;

Napi::Function TrainerWrap::Init(Napi::Env env) {
  return DefineClass(env, "Trainer",
                     {
                         InstanceMethod("setData", &TrainerWrap::SetData),
                         InstanceMethod("train", &TrainerWrap::Train),
                         InstanceMethod("cancel", &TrainerWrap::Cancel),
                         InstanceMethod("evaluate", &TrainerWrap::Evaluate),
                         InstanceMethod("selection", &TrainerWrap::GetSelection),
                         InstanceMethod("predict", &TrainerWrap::Predict),
                         InstanceMethod("finetune", &TrainerWrap::Finetune),
                         InstanceMethod("saveState", &TrainerWrap::SaveState),
                         InstanceMethod("loadState", &TrainerWrap::LoadState),
                         InstanceMethod("fingerprint", &TrainerWrap::Fingerprint),
                         InstanceMethod("lossAndGradient", &TrainerWrap::LossAndGradient),
                         InstanceMethod("getParameters", &TrainerWrap::GetParameters),
                         InstanceMethod("getReplicaParameters", &TrainerWrap::GetReplicaParameters),
                         InstanceMethod("setParameters", &TrainerWrap::SetParameters),
                         InstanceMethod("parameterLayout", &TrainerWrap::ParameterLayout),
                         InstanceMethod("info", &TrainerWrap::Info),
                         InstanceMethod("dispose", &TrainerWrap::Dispose),
                     });
}

TrainerWrap::TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
  auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected an options object");
  ipcae::TrainerOptions opts = parseOptions(info[0].As<Napi::Object>());
  guardedOrThrow(env, [&] { trainer_ = std::make_shared<Trainer>(opts); });
}

std::shared_ptr<Trainer> TrainerWrap::acquire(Napi::Env env) {
  if (!trainer_) throwError(env, "ERR_DISPOSED", "this trainer was disposed");
  bool expected = false;
  if (!busy.compare_exchange_strong(expected, true))
    throwError(env, "ERR_BUSY", "this trainer is already running a job; await it first");
  return trainer_;
}

Trainer& TrainerWrap::idleTrainer(Napi::Env env) {
  auto t = acquire(env);
  busy.store(false);
  return *t;
}

Napi::Value TrainerWrap::SetData(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!trainer_) throwError(env, "ERR_DISPOSED", "this trainer was disposed");
  if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsObject())
    throwError(env, "ERR_INVALID_ARGUMENT", "Expected (train, val, test) split objects for setData");
  const int64_t D = trainer_->options().inputDim;
  auto train = std::make_shared<ipcae::SplitData>(parseSplit(info[0].As<Napi::Object>(), "train", D));
  auto val = std::make_shared<ipcae::SplitData>(parseSplit(info[1].As<Napi::Object>(), "val", D));
  auto test = std::make_shared<ipcae::SplitData>(parseSplit(info[2].As<Napi::Object>(), "test", D));
  return queueJob(env, this, [train, val, test](Trainer* t) { t->setData(*train, *val, *test); });
}

Napi::Value TrainerWrap::Train(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected an array of temperatures");
  auto a = info[0].As<Napi::Array>();
  std::vector<double> temps;
  for (uint32_t i = 0; i < a.Length(); ++i) {
    auto v = a.Get(i);
    if (!v.IsNumber()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected numbers in temperatures");
    temps.push_back(v.As<Napi::Number>().DoubleValue());
  }
  Napi::Function cb;
  if (info.Length() > 1 && info[1].IsFunction()) cb = info[1].As<Napi::Function>();
  return queueTraining(env, this, std::move(temps), cb);
}

Napi::Value TrainerWrap::Cancel(const Napi::CallbackInfo& info) {
  cancel.store(true);
  return info.Env().Undefined();
}

Napi::Value TrainerWrap::Evaluate(const Napi::CallbackInfo& info) {
  const std::string split = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "test";
  const bool best = info.Length() > 1 && info[1].IsBoolean() ? info[1].As<Napi::Boolean>().Value() : true;
  // An optional selection to evaluate the decoder on (R*K indices, Int32Array), copied now.
  torch::Tensor indices;
  if (info.Length() > 2 && !info[2].IsUndefined()) {
    if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      Napi::TypeError::New(info.Env(), "Expected an Int32Array of R*K indices for the selection").ThrowAsJavaScriptException();
      return info.Env().Undefined();
    }
    auto a = info[2].As<Napi::Int32Array>();
    indices = torch::from_blob(a.Data(), {static_cast<int64_t>(a.ElementLength())}, torch::kInt).clone();
  }
  auto res = std::make_shared<ipcae::EvalResult>();
  return queueJob(
      info.Env(), this, [res, split, best, indices](Trainer* t) { *res = t->evaluate(split, best, indices); },
      [res](Napi::Env env) { return toJs(env, *res); });
}

// predict(x: Float32Array, rows, best, indices?: Int32Array) -> Float32Array [R * rows * O]
Napi::Value TrainerWrap::Predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
      !info[1].IsNumber()) {
    Napi::TypeError::New(env, "Expected predict(x: Float32Array, rows: number, best?, indices?)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto xa = info[0].As<Napi::Float32Array>();
  const int64_t rows = info[1].As<Napi::Number>().Int64Value();
  if (rows < 0 || (rows > 0 && static_cast<int64_t>(xa.ElementLength()) % rows != 0)) {
    Napi::TypeError::New(env, "Expected x to hold rows × D values").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int64_t cols = rows ? static_cast<int64_t>(xa.ElementLength()) / rows : 0;
  auto x = torch::from_blob(xa.Data(), {rows, cols}, torch::kFloat).clone();
  const bool best = info.Length() > 2 && info[2].IsBoolean() ? info[2].As<Napi::Boolean>().Value() : true;
  torch::Tensor indices;
  if (info.Length() > 3 && !info[3].IsUndefined()) {
    if (!info[3].IsTypedArray() || info[3].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
      Napi::TypeError::New(env, "Expected an Int32Array of R*K indices for the selection").ThrowAsJavaScriptException();
      return env.Undefined();
    }
    auto a = info[3].As<Napi::Int32Array>();
    indices = torch::from_blob(a.Data(), {static_cast<int64_t>(a.ElementLength())}, torch::kInt).clone();
  }
  auto out = std::make_shared<torch::Tensor>();
  return queueJob(
      env, this, [out, x, best, indices](Trainer* t) { *out = t->predict(x, best, indices); },
      [out](Napi::Env env) {
        auto arr = Napi::Float32Array::New(env, static_cast<size_t>(out->numel()));
        std::memcpy(arr.Data(), out->data_ptr<float>(), static_cast<size_t>(out->numel()) * sizeof(float));
        return Napi::Value(arr);
      });
}

// finetune(epochs, indices: Int32Array of R*K) -> best validation loss per replica
Napi::Value TrainerWrap::Finetune(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsTypedArray() ||
      info[1].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    Napi::TypeError::New(env, "Expected finetune(epochs: number, indices: Int32Array)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int64_t epochs = info[0].As<Napi::Number>().Int64Value();
  auto a = info[1].As<Napi::Int32Array>();
  auto indices = torch::from_blob(a.Data(), {static_cast<int64_t>(a.ElementLength())}, torch::kInt).clone();
  auto res = std::make_shared<std::vector<double>>();
  return queueJob(
      env, this, [res, epochs, indices](Trainer* t) { *res = t->finetune(epochs, indices); },
      [res](Napi::Env env) {
        auto arr = Napi::Array::New(env, res->size());
        for (size_t i = 0; i < res->size(); ++i) arr.Set(static_cast<uint32_t>(i), Napi::Number::New(env, (*res)[i]));
        return Napi::Value(arr);
      });
}

Napi::Value TrainerWrap::GetSelection(const Napi::CallbackInfo& info) {
  const bool best = info.Length() > 0 && info[0].IsBoolean() ? info[0].As<Napi::Boolean>().Value() : true;
  auto sel = std::make_shared<ipcae::Selection>();
  return queueJob(
      info.Env(), this, [sel, best](Trainer* t) { *sel = t->selection(best); },
      [sel](Napi::Env env) { return toJs(env, *sel); });
}

// The state as an array of Buffers (chunks): a state of any size, never one Buffer.
Napi::Value TrainerWrap::SaveState(const Napi::CallbackInfo& info) {
  auto chunks = std::make_shared<ChunkCollector>();
  return queueJob(
      info.Env(), this, [chunks](Trainer* t) { t->saveState(chunks->sink()); },
      [chunks](Napi::Env env) -> Napi::Value { return chunks->toJs(env); });
}

// A Buffer or an array of Buffers (as SaveState gives them), read in place.
Napi::Value TrainerWrap::LoadState(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1) throwError(env, "ERR_INVALID_ARGUMENT", "Expected a Buffer or an array of Buffers for state");
  auto held = holdChunks(env, info[0], "state");
  return queueJob(env, this, [held](Trainer* t) { t->loadState(held->bytes); });
}

Napi::Value TrainerWrap::Fingerprint(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), idleTrainer(info.Env()).fingerprint());
}

Napi::Value TrainerWrap::LossAndGradient(const Napi::CallbackInfo& info) {
  const double T = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 1.0;
  auto out = std::make_shared<std::pair<torch::Tensor, torch::Tensor>>();
  return queueJob(
      info.Env(), this, [out, T](Trainer* t) { *out = t->lossAndGradient(T); },
      [out](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("loss", toFloat64(env, out->first));
        o.Set("gradient", toFloat64(env, out->second));
        return o;
      });
}

Napi::Value TrainerWrap::GetParameters(const Napi::CallbackInfo& info) {
  auto& t = idleTrainer(info.Env());
  const bool best = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
  return toFloat64(info.Env(), t.flatParameters(best));
}

Napi::Value TrainerWrap::GetReplicaParameters(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto& t = idleTrainer(env);
  if (info.Length() < 1 || !info[0].IsNumber()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected a replica index");
  const int64_t r = info[0].As<Napi::Number>().Int64Value();
  const bool best = info.Length() > 1 && info[1].IsBoolean() && info[1].As<Napi::Boolean>().Value();
  torch::Tensor values;
  guardedOrThrow(env, [&] { values = t.replicaParameters(r, best).contiguous(); });
  auto out = Napi::Float32Array::New(env, static_cast<size_t>(values.numel()));
  std::memcpy(out.Data(), values.data_ptr<float>(), static_cast<size_t>(values.numel()) * sizeof(float));
  return out;
}

Napi::Value TrainerWrap::SetParameters(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto& t = idleTrainer(env);
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throwError(env, "ERR_INVALID_ARGUMENT", "Expected a Float64Array for parameters");
  auto a = info[0].As<Napi::Float64Array>();
  auto copy = torch::from_blob(a.Data(), {static_cast<int64_t>(a.ElementLength())}, torch::kDouble).clone();
  guardedOrThrow(env, [&] { t.setFlatParameters(copy); });
  return env.Undefined();
}

Napi::Value TrainerWrap::ParameterLayout(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!trainer_) throwError(env, "ERR_DISPOSED", "this trainer was disposed");
  auto layout = trainer_->parameterLayout();
  auto arr = Napi::Array::New(env, layout.size());
  for (size_t i = 0; i < layout.size(); ++i) {
    auto o = Napi::Object::New(env);
    o.Set("name", layout[i].first);
    auto shape = Napi::Array::New(env, layout[i].second.size());
    for (size_t j = 0; j < layout[i].second.size(); ++j) shape.Set(j, Napi::Number::New(env, static_cast<double>(layout[i].second[j])));
    o.Set("shape", shape);
    arr.Set(i, o);
  }
  return arr;
}

Napi::Value TrainerWrap::Info(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!trainer_) throwError(env, "ERR_DISPOSED", "this trainer was disposed");
  auto o = Napi::Object::New(env);
  o.Set("epoch", Napi::Number::New(env, static_cast<double>(trainer_->epoch())));
  o.Set("step", Napi::Number::New(env, static_cast<double>(trainer_->step())));
  o.Set("replicas", Napi::Number::New(env, static_cast<double>(trainer_->replicas())));
  o.Set("device", trainer_->deviceName());
  o.Set("selectionPath", trainer_->selectionPath());
  o.Set("hasData", trainer_->hasData());
  o.Set("busy", busy.load());
  auto be = Napi::Array::New(env), bl = Napi::Array::New(env), de = Napi::Array::New(env);
  for (size_t i = 0; i < trainer_->bestEpoch().size(); ++i) {
    be.Set(i, Napi::Number::New(env, static_cast<double>(trainer_->bestEpoch()[i])));
    bl.Set(i, Napi::Number::New(env, trainer_->bestValLoss()[i]));
    de.Set(i, Napi::Number::New(env, static_cast<double>(trainer_->divergedEpoch()[i])));
  }
  o.Set("bestEpoch", be);
  o.Set("bestValLoss", bl);
  o.Set("divergedEpoch", de);
  return o;
}

Napi::Value TrainerWrap::Dispose(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (busy.load()) throwError(env, "ERR_BUSY", "cannot dispose a trainer while a job runs; cancel and await it first");
  trainer_.reset();
  return env.Undefined();
}

}  // namespace ipcae_addon
