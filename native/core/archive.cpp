#include "archive.h"

#include <sstream>

#include "errors.h"

namespace ipcae {

void open_checked_archive(torch::serialize::InputArchive& archive, const std::string& bytes, const std::string& what,
                          const std::string& fingerprint) {
  try {
    std::istringstream in(bytes);
    archive.load_from(in);
  } catch (const c10::Error& e) {
    throw Error("ERR_INVALID_ARGUMENT", "Expected a saved " + what + " but the bytes could not be read: " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Error("ERR_INVALID_ARGUMENT", "Expected a saved " + what + " but the bytes could not be read: " + e.what());
  }
  c10::IValue fp;
  archive.read("fingerprint", fp);
  require(fp.isString() && fp.toStringRef() == fingerprint,
          "Expected an " + what + " saved by the same configuration (" + fingerprint +
              ") but received one from another configuration (" + (fp.isString() ? fp.toStringRef() : std::string("unknown")) + ")");
}

}  // namespace ipcae
