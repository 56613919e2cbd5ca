// C++ exceptions -> JS Errors with a stable `code`: nothing thrown by LibTorch or the core
// escapes into Node-API.
#pragma once

#include <napi.h>

#include <string>

#include "denormals.h"

namespace ipcae_addon {

struct Failure {
  std::string code;
  std::string message;
};

// Runs fn; every exception becomes `failure` and false. The thread's floating-point mode is restored
// after (the core flushes denormals while it trains; the thread is Node's).
template <typename F>
bool guarded(F&& fn, Failure& failure);

Napi::Error makeError(Napi::Env env, const Failure& f);
[[noreturn]] void throwError(Napi::Env env, const std::string& code, const std::string& message);

// Runs fn on the JS thread; a failure is thrown as a JS Error.
template <typename F>
void guardedOrThrow(Napi::Env env, F&& fn) {
  Failure f;
  if (!guarded(std::forward<F>(fn), f)) throw makeError(env, f);
}

// Maps the exception being handled to a Failure (call only inside a catch block).
Failure currentFailure();

template <typename F>
bool guarded(F&& fn, Failure& failure) {
  ipcae::FloatModeGuard mode;
  try {
    fn();
    return true;
  } catch (...) {
    failure = currentFailure();
  }
  return false;
}

}  // namespace ipcae_addon
