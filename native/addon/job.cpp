#include "job.h"

#include <optional>

#include "convert.h"

namespace ipcae_addon {

Lease::Lease(Napi::Env env, TrainerWrap* owner) : owner_(owner), trainer_(owner->acquire(env)) {
  ownerRef_ = Napi::Persistent(owner->Value());
}

void Lease::release() {
  owner_->busy.store(false);
  ownerRef_.Reset();
}

namespace {

class Job : public Napi::AsyncWorker {
 public:
  Job(Napi::Env env, TrainerWrap* owner, Work work, Result result)
      : Napi::AsyncWorker(env, "ipcae"), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)),
        result_(std::move(result)) {
    if (owner) lease_.emplace(env, owner);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    if (!guarded([&] { work_(lease_ ? &lease_->trainer() : nullptr); }, failure_)) SetError(failure_.message);
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (lease_) lease_->release();
    Napi::Value value = env.Undefined();
    try {
      if (result_) value = result_(env);
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
      return;
    }
    deferred_.Resolve(value);
  }
  void OnError(const Napi::Error&) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (lease_) lease_->release();
    deferred_.Reject(makeError(env, failure_).Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::optional<Lease> lease_;
  Work work_;
  Result result_;
  Failure failure_;
};

class TrainJob : public Napi::AsyncProgressQueueWorker<ipcae::EpochReport> {
 public:
  TrainJob(Napi::Env env, TrainerWrap* owner, std::vector<double> temps, Napi::Function onEpoch)
      : Napi::AsyncProgressQueueWorker<ipcae::EpochReport>(env, "ipcae.train"),
        deferred_(Napi::Promise::Deferred::New(env)),
        lease_(env, owner),
        temps_(std::move(temps)) {
    owner->cancel.store(false);
    if (!onEpoch.IsEmpty()) onEpoch_ = Napi::Persistent(onEpoch);
  }
  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    if (!guarded(
            [&] {
              for (double T : temps_) {
                auto rep = lease_.trainer().runEpoch(T, &lease_.owner()->cancel);
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
        onEpoch_.Call({toJs(env, data[i])});
      } catch (const Napi::Error& e) {
        // A throwing callback must not kill the process: stop training and reject with it.
        if (callbackError_.IsEmpty()) callbackError_ = Napi::Reference<Napi::Value>::New(e.Value(), 1);
        lease_.owner()->cancel.store(true);
      }
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (releaseAndRejectIfCallbackFailed()) return;
    deferred_.Resolve(Napi::Number::New(env, static_cast<double>(done_)));
  }
  void OnError(const Napi::Error&) override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (releaseAndRejectIfCallbackFailed()) return;
    auto err = makeError(env, failure_);
    err.Set("epochsCompleted", Napi::Number::New(env, static_cast<double>(done_)));
    deferred_.Reject(err.Value());
  }

 private:
  // Releases the trainer; when onEpoch threw, rejects with that error and returns true.
  bool releaseAndRejectIfCallbackFailed() {
    lease_.owner()->cancel.store(false);
    lease_.release();
    onEpoch_.Reset();
    if (callbackError_.IsEmpty()) return false;
    deferred_.Reject(callbackError_.Value());
    return true;
  }
  Napi::Promise::Deferred deferred_;
  Lease lease_;
  Napi::FunctionReference onEpoch_;
  Napi::Reference<Napi::Value> callbackError_;
  std::vector<double> temps_;
  int64_t done_ = 0;
  Failure failure_;
};

}  // namespace

Napi::Value queueJob(Napi::Env env, TrainerWrap* owner, Work work, Result result) {
  auto* job = new Job(env, owner, std::move(work), std::move(result));
  auto p = job->Promise();
  job->Queue();
  return p;
}

Napi::Value queueTraining(Napi::Env env, TrainerWrap* owner, std::vector<double> temperatures, Napi::Function onEpoch) {
  auto* job = new TrainJob(env, owner, std::move(temperatures), onEpoch);
  auto p = job->Promise();
  job->Queue();
  return p;
}

}  // namespace ipcae_addon
