// Saved states between C++ and JS as arrays of Buffers (chunks), so that a state of any size
// crosses the boundary: no single Buffer (4 GiB at most) and no second whole copy in memory.
#pragma once

#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "archive.h"

namespace ipcae_addon {

// Collects a state written through a ByteSink as chunks of at most 64 MiB (the tests force small
// chunks with IPCAE_TEST_STATE_CHUNK=<bytes> to exercise the many-chunk path on small states).
class ChunkCollector {
 public:
  ChunkCollector();
  ipcae::ByteSink sink();
  // The chunks as a JS array of Buffers; each C++ chunk is freed as soon as it is copied.
  Napi::Value toJs(Napi::Env env);

 private:
  size_t chunkBytes_;
  std::vector<std::string> chunks_;
};

// A state passed from JS (a Buffer or an array of Buffers), readable off the JS thread: the
// Buffers are kept alive by references that are released on the JS thread with the job.
struct HeldChunks {
  ipcae::ByteChunks bytes;
  std::vector<Napi::ObjectReference> refs;
};

// Throws ERR_INVALID_ARGUMENT (naming `what`) unless v is a Buffer or an array of Buffers.
std::shared_ptr<HeldChunks> holdChunks(Napi::Env env, const Napi::Value& v, const std::string& what);

}  // namespace ipcae_addon
