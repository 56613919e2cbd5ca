// Errors with a stable code, so that the Node-API layer can hand JS an Error with `.code`.
#pragma once

#include <stdexcept>
#include <string>

namespace ipcae {

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

}  // namespace ipcae

#define IPCAE_CHECK(cond, code, msg)          \
  do {                                        \
    if (!(cond)) throw ::ipcae::Error(code, msg); \
  } while (0)

namespace ipcae {

// An invalid argument: the message says what was expected and what was received.
inline void require(bool cond, const std::string& message) {
  if (!cond) throw Error("ERR_INVALID_ARGUMENT", message);
}

}  // namespace ipcae
