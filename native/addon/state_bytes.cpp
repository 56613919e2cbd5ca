#include "state_bytes.h"

#include <algorithm>
#include <cstdlib>

#include "error_mapping.h"

namespace ipcae_addon {

ChunkCollector::ChunkCollector() : chunkBytes_(size_t{64} << 20) {
  if (const char* v = std::getenv("IPCAE_TEST_STATE_CHUNK")) {
    const long long n = std::atoll(v);
    if (n > 0) chunkBytes_ = static_cast<size_t>(n);
  }
}

ipcae::ByteSink ChunkCollector::sink() {
  return [this](const char* data, size_t size) {
    while (size > 0) {
      if (chunks_.empty() || chunks_.back().size() >= chunkBytes_) {
        chunks_.emplace_back();
        chunks_.back().reserve(std::min(chunkBytes_, std::max(size, size_t{1} << 16)));
      }
      auto& c = chunks_.back();
      const size_t take = std::min(size, chunkBytes_ - c.size());
      c.append(data, take);
      data += take;
      size -= take;
    }
  };
}

Napi::Value ChunkCollector::toJs(Napi::Env env) {
  auto arr = Napi::Array::New(env, chunks_.size());
  for (size_t i = 0; i < chunks_.size(); ++i) {
    arr.Set(static_cast<uint32_t>(i), Napi::Buffer<char>::Copy(env, chunks_[i].data(), chunks_[i].size()));
    std::string().swap(chunks_[i]);
  }
  return arr;
}

std::shared_ptr<HeldChunks> holdChunks(Napi::Env env, const Napi::Value& v, const std::string& what) {
  auto held = std::make_shared<HeldChunks>();
  auto add = [&](const Napi::Value& b) {
    if (!b.IsBuffer()) throwError(env, "ERR_INVALID_ARGUMENT", "Expected a Buffer or an array of Buffers for " + what);
    auto buf = b.As<Napi::Buffer<char>>();
    held->bytes.add(buf.Data(), buf.Length());
    held->refs.push_back(Napi::Persistent(b.As<Napi::Object>()));
  };
  if (v.IsArray()) {
    auto a = v.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) add(a.Get(i));
  } else {
    add(v);
  }
  return held;
}

}  // namespace ipcae_addon
