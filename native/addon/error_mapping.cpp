#include "error_mapping.h"

#include <torch/types.h>

#include <exception>
#include <new>

#include "errors.h"  // native/core: ipcae::Error

namespace ipcae_addon {

Failure currentFailure() {
  try {
    throw;
  } catch (const ipcae::Error& e) {
    return {e.code(), e.what()};
  } catch (const c10::OutOfMemoryError& e) {
    return {"ERR_OUT_OF_MEMORY", e.what_without_backtrace()};
  } catch (const c10::Error& e) {
    return {"ERR_TORCH", e.what_without_backtrace()};
  } catch (const std::bad_alloc&) {
    return {"ERR_OUT_OF_MEMORY", "out of host memory"};
  } catch (const std::exception& e) {
    return {"ERR_INTERNAL", e.what()};
  } catch (...) {
    return {"ERR_INTERNAL", "unknown native exception"};
  }
}

Napi::Error makeError(Napi::Env env, const Failure& f) {
  auto err = Napi::Error::New(env, f.message);
  err.Set("code", Napi::String::New(env, f.code));
  return err;
}

void throwError(Napi::Env env, const std::string& code, const std::string& message) {
  throw makeError(env, {code, message});
}

}  // namespace ipcae_addon
