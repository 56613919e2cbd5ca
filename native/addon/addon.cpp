// Node-API glue for native/core: argument unpacking, one AsyncWorker per call (training never runs
// on the JS thread), and the mapping of C++ exceptions to JS Errors with a stable `code`.
#include <napi.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "trainer.h"

namespace {

using ipcae::Trainer;
using ipcae::TrainerOptions;

struct Failure {
  std::string code;
  std::string message;
};

// Every exception that can leave LibTorch or the core becomes a Failure; nothing escapes.
template <typename F>
bool guarded(F&& fn, Failure& failure) {
  try {
    fn();
    return true;
  } catch (const ipcae::Error& e) {
    failure = {e.code(), e.what()};
  } catch (const c10::OutOfMemoryError& e) {
    failure = {"ERR_OUT_OF_MEMORY", e.what_without_backtrace()};
  } catch (const c10::Error& e) {
    failure = {"ERR_TORCH", e.what_without_backtrace()};
  } catch (const std::bad_alloc&) {
    failure = {"ERR_OUT_OF_MEMORY", "out of host memory"};
  } catch (const std::exception& e) {
    failure = {"ERR_INTERNAL", e.what()};
  } catch (...) {
    failure = {"ERR_INTERNAL", "unknown native exception"};
  }
  return false;
}

Napi::Error makeError(Napi::Env env, const Failure& f) {
  auto err = Napi::Error::New(env, f.message);
  err.Set("code", Napi::String::New(env, f.code));
  return err;
}

[[noreturn]] void throwError(Napi::Env env, const std::string& code, const std::string& message) {
  throw makeError(env, {code, message});
}

// --- option unpacking (JS validates first; these are the last line of defence) --------------

std::string getString(const Napi::Object& o, const char* key, const std::string& dflt) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return dflt;
  auto v = o.Get(key);
  if (!v.IsString()) throwError(o.Env(), "ERR_INVALID_ARGUMENT", std::string("Expected a string for ") + key);
  return v.As<Napi::String>().Utf8Value();
}
double getNumber(const Napi::Object& o, const char* key, double dflt) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return dflt;
  auto v = o.Get(key);
  if (!v.IsNumber()) throwError(o.Env(), "ERR_INVALID_ARGUMENT", std::string("Expected a number for ") + key);
  return v.As<Napi::Number>().DoubleValue();
}
int64_t getInt(const Napi::Object& o, const char* key, int64_t dflt) {
  const double d = getNumber(o, key, static_cast<double>(dflt));
  if (d != static_cast<double>(static_cast<int64_t>(d)))
    throwError(o.Env(), "ERR_INVALID_ARGUMENT", std::string("Expected an integer for ") + key);
  return static_cast<int64_t>(d);
}
bool getBool(const Napi::Object& o, const char* key, bool dflt) {
  if (!o.Has(key) || o.Get(key).IsUndefined()) return dflt;
  auto v = o.Get(key);
  if (!v.IsBoolean()) throwError(o.Env(), "ERR_INVALID_ARGUMENT", std::string("Expected a boolean for ") + key);
  return v.As<Napi::Boolean>().Value();
}
std::vector<double> getNumbers(const Napi::Object& o, const char* key) {
  std::vector<double> out;
  if (!o.Has(key) || o.Get(key).IsUndefined()) return out;
  auto v = o.Get(key);
  if (!v.IsArray()) throwError(o.Env(), "ERR_INVALID_ARGUMENT", std::string("Expected an array of numbers for ") + key);
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    auto e = a.Get(i);
    if (!e.IsNumber()) throwError(o.Env(), "ERR_INVALID_ARGUMENT", std::string("Expected numbers in ") + key);
    out.push_back(e.As<Napi::Number>().DoubleValue());
  }
  return out;
}

TrainerOptions parseOptions(const Napi::Object& o) {
  TrainerOptions t;
  t.selector = getString(o, "selector", t.selector);
  t.ipWeights = getString(o, "ipWeights", t.ipWeights);
  t.embeddingDim = getInt(o, "embeddingDim", t.embeddingDim);
  t.ipBias = getBool(o, "ipBias", t.ipBias);
  t.noise = getString(o, "noise", t.noise);
  if (o.Has("hidden") && !o.Get("hidden").IsUndefined()) {
    t.hidden.clear();
    for (double h : getNumbers(o, "hidden")) t.hidden.push_back(static_cast<int64_t>(h));
  }
  t.dropout = getNumber(o, "dropout", t.dropout);
  t.task = getString(o, "task", t.task);
  t.inputDim = getInt(o, "inputDim", 0);
  t.k = getInt(o, "k", 0);
  t.outputDim = getInt(o, "outputDim", 0);
  t.lr = getNumber(o, "lr", t.lr);
  t.beta1 = getNumber(o, "beta1", t.beta1);
  t.beta2 = getNumber(o, "beta2", t.beta2);
  t.eps = getNumber(o, "eps", t.eps);
  t.gjsdLambda = getNumber(o, "gjsdLambda", t.gjsdLambda);
  t.batchSize = getInt(o, "batchSize", t.batchSize);
  t.shuffle = getBool(o, "shuffle", t.shuffle);
  t.shuffleSeed = static_cast<uint64_t>(getInt(o, "shuffleSeed", 0));
  for (double s : getNumbers(o, "seeds")) t.seeds.push_back(static_cast<uint64_t>(s));
  t.device = getString(o, "device", t.device);
  t.threads = static_cast<int>(getInt(o, "threads", 0));
  t.dtype = getString(o, "dtype", t.dtype);
  t.fusedSelection = getBool(o, "fusedSelection", t.fusedSelection);
  t.evalBatchSize = getInt(o, "evalBatchSize", t.evalBatchSize);
  t.selectionCacheMB = getNumber(o, "selectionCacheMB", t.selectionCacheMB);
  return t;
}

// Copies a split out of JS typed arrays once, on the JS thread; no JS memory is read afterwards.
ipcae::SplitData parseSplit(const Napi::Object& s, const std::string& name, int64_t D) {
  auto env = s.Env();
  if (!s.Get("x").IsTypedArray() || s.Get("x").As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    throwError(env, "ERR_INVALID_ARGUMENT", "Expected a Float32Array for " + name + ".x");
  auto x = s.Get("x").As<Napi::Float32Array>();
  const int64_t rows = getInt(s, "rows", -1);
  if (rows < 0 || static_cast<int64_t>(x.ElementLength()) != rows * D)
    throwError(env, "ERR_INVALID_ARGUMENT",
               "Expected " + name + ".x to hold rows x inputDim = " + std::to_string(rows) + " x " +
                   std::to_string(D) + " values but received " + std::to_string(x.ElementLength()));
  ipcae::SplitData d;
  d.x = torch::from_blob(x.Data(), {rows, D}, torch::kFloat).clone();
  if (s.Has("y") && !s.Get("y").IsUndefined() && !s.Get("y").IsNull()) {
    auto yv = s.Get("y");
    if (!yv.IsTypedArray()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected an Int32Array or Float32Array for " + name + ".y");
    auto ta = yv.As<Napi::TypedArray>();
    if (ta.TypedArrayType() == napi_int32_array) {
      auto y = yv.As<Napi::Int32Array>();
      if (static_cast<int64_t>(y.ElementLength()) != rows)
        throwError(env, "ERR_INVALID_ARGUMENT", "Expected " + std::to_string(rows) + " labels in " + name + ".y but received " + std::to_string(y.ElementLength()));
      d.y = torch::from_blob(y.Data(), {rows}, torch::kInt).to(torch::kLong);
    } else if (ta.TypedArrayType() == napi_float32_array) {
      auto y = yv.As<Napi::Float32Array>();
      if (rows == 0 || y.ElementLength() % static_cast<size_t>(rows) != 0)
        throwError(env, "ERR_INVALID_ARGUMENT", "Expected a multiple of " + std::to_string(rows) + " targets in " + name + ".y");
      d.y = torch::from_blob(y.Data(), {rows, static_cast<int64_t>(y.ElementLength()) / rows}, torch::kFloat).clone();
    } else {
      throwError(env, "ERR_INVALID_ARGUMENT", "Expected an Int32Array or Float32Array for " + name + ".y");
    }
  }
  return d;
}

Napi::Value capabilitiesToJs(Napi::Env env, const ipcae::Capabilities& c) {
  auto o = Napi::Object::New(env);
  o.Set("torchVersion", c.torchVersion);
  o.Set("cudaAvailable", c.cudaAvailable);
  o.Set("cudaDeviceCount", Napi::Number::New(env, static_cast<double>(c.cudaDeviceCount)));
  auto devs = Napi::Array::New(env, c.cudaDevices.size());
  for (size_t i = 0; i < c.cudaDevices.size(); ++i) devs.Set(i, c.cudaDevices[i]);
  o.Set("cudaDevices", devs);
  o.Set("blas", c.blas);
  o.Set("blasLibrary", c.blasLibrary);
  o.Set("threads", c.threads);
  o.Set("hardwareThreads", c.hardwareThreads);
  o.Set("parallelInfo", c.parallelInfo);
  return o;
}

Napi::Value reportToJs(Napi::Env env, const ipcae::EpochReport& r) {
  auto o = Napi::Object::New(env);
  o.Set("epoch", Napi::Number::New(env, static_cast<double>(r.epoch)));
  o.Set("temperature", r.temperature);
  o.Set("seconds", r.seconds);
  auto reps = Napi::Array::New(env, r.replicas.size());
  for (size_t i = 0; i < r.replicas.size(); ++i) {
    const auto& e = r.replicas[i];
    auto x = Napi::Object::New(env);
    x.Set("trainLoss", e.trainLoss);
    x.Set("valLoss", e.valLoss);
    x.Set("valMetric", e.valMetric);
    x.Set("uniquePct", e.uniquePct);
    x.Set("gjsd", e.gjsd);
    x.Set("meanMaxProb", e.meanMaxProb);
    x.Set("improved", e.improved);
    reps.Set(i, x);
  }
  o.Set("replicas", reps);
  return o;
}

Napi::Float64Array toFloat64(Napi::Env env, const torch::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kDouble).contiguous();
  auto out = Napi::Float64Array::New(env, static_cast<size_t>(c.numel()));
  std::memcpy(out.Data(), c.data_ptr<double>(), sizeof(double) * static_cast<size_t>(c.numel()));
  return out;
}

class TrainerWrap;

// Base for the per-call workers: runs `work` off the JS thread, settles a promise on the JS thread.
class Job : public Napi::AsyncWorker {
 public:
  Job(Napi::Env env, TrainerWrap* owner);
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error&) override;
  virtual void Work(Trainer& t) = 0;
  virtual Napi::Value Result(Napi::Env env) { return env.Undefined(); }
  void Release();

  Napi::Promise::Deferred deferred_;
  TrainerWrap* owner_;
  std::shared_ptr<Trainer> trainer_;
  Napi::ObjectReference ownerRef_;
  Failure failure_;
};

class TrainerWrap : public Napi::ObjectWrap<TrainerWrap> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "Trainer",
                       {
                           InstanceMethod("setData", &TrainerWrap::SetData),
                           InstanceMethod("train", &TrainerWrap::Train),
                           InstanceMethod("cancel", &TrainerWrap::Cancel),
                           InstanceMethod("evaluate", &TrainerWrap::Evaluate),
                           InstanceMethod("selection", &TrainerWrap::GetSelection),
                           InstanceMethod("saveState", &TrainerWrap::SaveState),
                           InstanceMethod("loadState", &TrainerWrap::LoadState),
                           InstanceMethod("lossAndGradient", &TrainerWrap::LossAndGradient),
                           InstanceMethod("getParameters", &TrainerWrap::GetParameters),
                           InstanceMethod("setParameters", &TrainerWrap::SetParameters),
                           InstanceMethod("parameterLayout", &TrainerWrap::ParameterLayout),
                           InstanceMethod("info", &TrainerWrap::Info),
                           InstanceMethod("dispose", &TrainerWrap::Dispose),
                       });
  }

  explicit TrainerWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TrainerWrap>(info) {
    auto env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected an options object");
    TrainerOptions opts = parseOptions(info[0].As<Napi::Object>());
    Failure f;
    if (!guarded([&] { trainer_ = std::make_shared<Trainer>(opts); }, f)) throw makeError(env, f);
  }

  std::atomic<bool> busy{false};
  std::atomic<bool> cancel{false};
  std::shared_ptr<Trainer> trainer_;

  // Called on the JS thread before a job starts: the trainer must exist and be idle.
  std::shared_ptr<Trainer> acquire(Napi::Env env) {
    if (!trainer_) throwError(env, "ERR_DISPOSED", "this trainer was disposed");
    bool expected = false;
    if (!busy.compare_exchange_strong(expected, true))
      throwError(env, "ERR_BUSY", "this trainer is already running a job; await it first");
    return trainer_;
  }

 private:
  Napi::Value SetData(const Napi::CallbackInfo& info);
  Napi::Value Train(const Napi::CallbackInfo& info);
  Napi::Value Cancel(const Napi::CallbackInfo& info) {
    cancel.store(true);
    return info.Env().Undefined();
  }
  Napi::Value Evaluate(const Napi::CallbackInfo& info);
  Napi::Value GetSelection(const Napi::CallbackInfo& info);
  Napi::Value SaveState(const Napi::CallbackInfo& info);
  Napi::Value LoadState(const Napi::CallbackInfo& info);
  Napi::Value LossAndGradient(const Napi::CallbackInfo& info);
  Napi::Value GetParameters(const Napi::CallbackInfo& info) {
    auto t = acquire(info.Env());
    busy.store(false);
    const bool best = info.Length() > 0 && info[0].IsBoolean() && info[0].As<Napi::Boolean>().Value();
    return toFloat64(info.Env(), t->flatParameters(best));
  }
  Napi::Value SetParameters(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    auto t = acquire(env);
    busy.store(false);
    if (info.Length() < 1 || !info[0].IsTypedArray() ||
        info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throwError(env, "ERR_INVALID_ARGUMENT", "Expected a Float64Array for parameters");
    auto a = info[0].As<Napi::Float64Array>();
    auto copy = torch::from_blob(a.Data(), {static_cast<int64_t>(a.ElementLength())}, torch::kDouble).clone();
    Failure f;
    if (!guarded([&] { t->setFlatParameters(copy); }, f)) throw makeError(env, f);
    return env.Undefined();
  }
  Napi::Value ParameterLayout(const Napi::CallbackInfo& info) {
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
  Napi::Value Info(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (!trainer_) throwError(env, "ERR_DISPOSED", "this trainer was disposed");
    auto o = Napi::Object::New(env);
    o.Set("epoch", Napi::Number::New(env, static_cast<double>(trainer_->epoch())));
    o.Set("step", Napi::Number::New(env, static_cast<double>(trainer_->step())));
    o.Set("replicas", Napi::Number::New(env, static_cast<double>(trainer_->replicas())));
    o.Set("device", trainer_->deviceName());
    o.Set("hasData", trainer_->hasData());
    o.Set("busy", busy.load());
    auto be = Napi::Array::New(env), bl = Napi::Array::New(env);
    for (size_t i = 0; i < trainer_->bestEpoch().size(); ++i) {
      be.Set(i, Napi::Number::New(env, static_cast<double>(trainer_->bestEpoch()[i])));
      bl.Set(i, Napi::Number::New(env, trainer_->bestValLoss()[i]));
    }
    o.Set("bestEpoch", be);
    o.Set("bestValLoss", bl);
    return o;
  }
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    auto env = info.Env();
    if (busy.load()) throwError(env, "ERR_BUSY", "cannot dispose a trainer while a job runs; cancel and await it first");
    trainer_.reset();
    return env.Undefined();
  }
};

Job::Job(Napi::Env env, TrainerWrap* owner)
    : Napi::AsyncWorker(env, "ipcae"), deferred_(Napi::Promise::Deferred::New(env)), owner_(owner) {
  trainer_ = owner->acquire(env);
  ownerRef_ = Napi::Persistent(owner->Value());  // keep the JS object alive while the job runs
}
void Job::Execute() {
  if (!guarded([&] { Work(*trainer_); }, failure_)) SetError(failure_.message);
}
void Job::Release() {
  owner_->busy.store(false);
  ownerRef_.Reset();
}
void Job::OnOK() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Release();
  Failure f;
  Napi::Value result;
  try {
    result = Result(env);
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
    return;
  }
  deferred_.Resolve(result);
}
void Job::OnError(const Napi::Error&) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  Release();
  deferred_.Reject(makeError(env, failure_).Value());
}

// --- jobs --------------------------------------------------------------------------------------

// Training: a progress-queue worker so that every epoch's report reaches JS, in order.
class TrainJob : public Napi::AsyncProgressQueueWorker<ipcae::EpochReport> {
 public:
  TrainJob(Napi::Env env, TrainerWrap* owner, std::vector<double> temps, Napi::Function onEpoch)
      : Napi::AsyncProgressQueueWorker<ipcae::EpochReport>(env, "ipcae.train"),
        deferred_(Napi::Promise::Deferred::New(env)),
        owner_(owner),
        temps_(std::move(temps)) {
    trainer_ = owner->acquire(env);
    owner->cancel.store(false);
    ownerRef_ = Napi::Persistent(owner->Value());
    if (!onEpoch.IsEmpty()) onEpoch_ = Napi::Persistent(onEpoch);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    if (!guarded(
            [&] {
              for (double T : temps_) {
                auto rep = trainer_->runEpoch(T, &owner_->cancel);
                ++done_;
                progress.Send(&rep, 1);
              }
            },
            failure_))
      SetError(failure_.message);
  }
  void OnProgress(const ipcae::EpochReport* data, size_t count) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (onEpoch_.IsEmpty()) return;
    for (size_t i = 0; i < count; ++i) {
      try {
        onEpoch_.Call({reportToJs(env, data[i])});
      } catch (const Napi::Error& e) {
        // A throwing callback must not kill the process: stop training and reject with it.
        if (callbackError_.IsEmpty()) callbackError_ = Napi::Reference<Napi::Value>::New(e.Value(), 1);
        owner_->cancel.store(true);
      }
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    release();
    if (!callbackError_.IsEmpty()) {
      deferred_.Reject(callbackError_.Value());
      return;
    }
    deferred_.Resolve(Napi::Number::New(env, static_cast<double>(done_)));
  }
  void OnError(const Napi::Error&) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    release();
    if (!callbackError_.IsEmpty()) {
      deferred_.Reject(callbackError_.Value());
      return;
    }
    auto err = makeError(env, failure_);
    err.Set("epochsCompleted", Napi::Number::New(env, static_cast<double>(done_)));
    deferred_.Reject(err.Value());
  }

 private:
  void release() {
    owner_->busy.store(false);
    owner_->cancel.store(false);
    ownerRef_.Reset();
    onEpoch_.Reset();
  }
  Napi::Promise::Deferred deferred_;
  TrainerWrap* owner_;
  std::shared_ptr<Trainer> trainer_;
  Napi::ObjectReference ownerRef_;
  Napi::FunctionReference onEpoch_;
  Napi::Reference<Napi::Value> callbackError_;
  std::vector<double> temps_;
  int64_t done_ = 0;
  Failure failure_;
};

class SimpleJob : public Job {
 public:
  using Fn = std::function<void(Trainer&)>;
  using ResultFn = std::function<Napi::Value(Napi::Env)>;
  SimpleJob(Napi::Env env, TrainerWrap* owner, Fn fn, ResultFn result)
      : Job(env, owner), fn_(std::move(fn)), result_(std::move(result)) {}

 protected:
  void Work(Trainer& t) override { fn_(t); }
  Napi::Value Result(Napi::Env env) override { return result_ ? result_(env) : env.Undefined(); }

 private:
  Fn fn_;
  ResultFn result_;
};

Napi::Value TrainerWrap::SetData(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (!trainer_) throwError(env, "ERR_DISPOSED", "this trainer was disposed");
  if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsObject())
    throwError(env, "ERR_INVALID_ARGUMENT", "Expected (train, val, test) split objects for setData");
  const int64_t D = trainer_->options().inputDim;
  auto train = std::make_shared<ipcae::SplitData>(parseSplit(info[0].As<Napi::Object>(), "train", D));
  auto val = std::make_shared<ipcae::SplitData>(parseSplit(info[1].As<Napi::Object>(), "val", D));
  auto test = std::make_shared<ipcae::SplitData>(parseSplit(info[2].As<Napi::Object>(), "test", D));
  auto* job = new SimpleJob(env, this, [train, val, test](Trainer& t) { t.setData(*train, *val, *test); }, nullptr);
  auto p = job->Promise();
  job->Queue();
  return p;
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
  auto* job = new TrainJob(env, this, std::move(temps), cb);
  auto p = job->Promise();
  job->Queue();
  return p;
}

Napi::Value TrainerWrap::Evaluate(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const std::string split = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "test";
  const bool best = info.Length() > 1 && info[1].IsBoolean() ? info[1].As<Napi::Boolean>().Value() : true;
  auto res = std::make_shared<ipcae::EvalResult>();
  auto* job = new SimpleJob(
      env, this, [res, split, best](Trainer& t) { *res = t.evaluate(split, best); },
      [res](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        auto l = Napi::Array::New(env, res->loss.size()), m = Napi::Array::New(env, res->metric.size());
        for (size_t i = 0; i < res->loss.size(); ++i) l.Set(i, res->loss[i]);
        for (size_t i = 0; i < res->metric.size(); ++i) m.Set(i, res->metric[i]);
        o.Set("loss", l);
        o.Set("metric", m);
        return o;
      });
  auto p = job->Promise();
  job->Queue();
  return p;
}

Napi::Value TrainerWrap::GetSelection(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const bool best = info.Length() > 0 && info[0].IsBoolean() ? info[0].As<Napi::Boolean>().Value() : true;
  auto sel = std::make_shared<ipcae::Selection>();
  auto* job = new SimpleJob(
      env, this, [sel, best](Trainer& t) { *sel = t.selection(best); },
      [sel](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        auto idx = sel->indices.to(torch::kInt).contiguous();
        auto ia = Napi::Int32Array::New(env, static_cast<size_t>(idx.numel()));
        std::memcpy(ia.Data(), idx.data_ptr<int32_t>(), sizeof(int32_t) * static_cast<size_t>(idx.numel()));
        auto pr = sel->probabilities;
        auto pa = Napi::Float32Array::New(env, static_cast<size_t>(pr.numel()));
        std::memcpy(pa.Data(), pr.data_ptr<float>(), sizeof(float) * static_cast<size_t>(pr.numel()));
        o.Set("indices", ia);
        o.Set("probabilities", pa);
        return o;
      });
  auto p = job->Promise();
  job->Queue();
  return p;
}

Napi::Value TrainerWrap::SaveState(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto bytes = std::make_shared<std::string>();
  auto* job = new SimpleJob(
      env, this, [bytes](Trainer& t) { *bytes = t.saveState(); },
      [bytes](Napi::Env env) -> Napi::Value { return Napi::Buffer<char>::Copy(env, bytes->data(), bytes->size()); });
  auto p = job->Promise();
  job->Queue();
  return p;
}

Napi::Value TrainerWrap::LoadState(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  if (info.Length() < 1 || !info[0].IsBuffer()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected a Buffer for state");
  auto b = info[0].As<Napi::Buffer<char>>();
  auto bytes = std::make_shared<std::string>(b.Data(), b.Length());
  auto* job = new SimpleJob(env, this, [bytes](Trainer& t) { t.loadState(*bytes); }, nullptr);
  auto p = job->Promise();
  job->Queue();
  return p;
}

Napi::Value TrainerWrap::LossAndGradient(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  const double T = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : 1.0;
  auto out = std::make_shared<std::pair<torch::Tensor, torch::Tensor>>();
  auto* job = new SimpleJob(
      env, this, [out, T](Trainer& t) { *out = t.lossAndGradient(T); },
      [out](Napi::Env env) -> Napi::Value {
        auto o = Napi::Object::New(env);
        o.Set("loss", toFloat64(env, out->first));
        o.Set("gradient", toFloat64(env, out->second));
        return o;
      });
  auto p = job->Promise();
  job->Queue();
  return p;
}

Napi::Value Capabilities(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  ipcae::Capabilities c;
  Failure f;
  if (!guarded([&] { c = ipcae::capabilities(); }, f)) throw makeError(env, f);
  return capabilitiesToJs(env, c);
}

// Test hook for the fused kernel against its reference (same noise): returns both results.
Napi::Value SelectionCheck(const Napi::CallbackInfo& info) {
  auto env = info.Env();
  auto o = info[0].As<Napi::Object>();
  const int64_t R = getInt(o, "replicas", 1), B = getInt(o, "batch", 4), K = getInt(o, "k", 3), D = getInt(o, "d", 8);
  const double T = getNumber(o, "temperature", 1.0);
  const uint64_t seed = static_cast<uint64_t>(getInt(o, "seed", 1));
  const bool perSample = getBool(o, "perSample", true);
  const bool useCache = getBool(o, "cache", false);
  auto result = Napi::Object::New(env);
  Failure f;
  bool ok = guarded(
      [&] {
        torch::NoGradGuard ng;
        auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
        auto L = torch::empty({R, K, D}, torch::kFloat).normal_(0, 2, gen);
        auto x = torch::empty({B, D}, torch::kFloat).normal_(0, 1, gen);
        auto dU = torch::empty({R, B, K}, torch::kFloat).normal_(0, 1, gen);
        std::vector<ipcae::NoiseKey> keys;
        for (int64_t r = 0; r < R; ++r) keys.push_back(ipcae::make_key(seed + r, ipcae::Stream::Gumbel, 7));
        auto noise = ipcae::gumbel_noise(keys, perSample ? B : 1, K, D, torch::kFloat, torch::kCPU);
        auto U = torch::empty({R, B, K}, torch::kFloat);
        auto dL = torch::empty({R, K, D}, torch::kFloat);
        torch::Tensor Lin = perSample ? L : (L + noise.squeeze(1)).contiguous();
        torch::Tensor stats, cache;
        ipcae::selection_forward(Lin, x, T, keys, perSample, U, stats, useCache ? &cache : nullptr);
        ipcae::selection_backward(Lin, x, U, stats, dU, T, keys, perSample, dL, useCache ? &cache : nullptr);
        auto Ur = ipcae::selection_forward_reference(L.to(torch::kDouble), x.to(torch::kDouble), T, noise.to(torch::kDouble));
        auto dLr = ipcae::selection_backward_reference(L.to(torch::kDouble), x.to(torch::kDouble), Ur, dU.to(torch::kDouble), T, noise.to(torch::kDouble));
        result.Set("fusedU", toFloat64(env, U));
        result.Set("referenceU", toFloat64(env, Ur));
        result.Set("fusedGrad", toFloat64(env, dL));
        result.Set("referenceGrad", toFloat64(env, dLr));
        auto gumbel = noise.flatten();
        result.Set("noiseSample", toFloat64(env, gumbel.narrow(0, 0, std::min<int64_t>(gumbel.numel(), 100000))));
      },
      f);
  if (!ok) throw makeError(env, f);
  return result;
}

Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  exports.Set("Trainer", TrainerWrap::Init(env));
  exports.Set("capabilities", Napi::Function::New(env, Capabilities, "capabilities"));
  exports.Set("selectionCheck", Napi::Function::New(env, SelectionCheck, "selectionCheck"));
  return exports;
}

}  // namespace

NODE_API_MODULE(ipcae, InitAddon)
