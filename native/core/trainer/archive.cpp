#include "archive.h"

#include <algorithm>
#include <cstring>

#include "errors.h"

namespace ipcae {

void ByteChunks::add(const char* data, size_t size) {
  if (size == 0) return;
  starts_.push_back(size_);
  parts_.emplace_back(data, size);
  size_ += size;
}

size_t ByteChunks::read(uint64_t pos, void* buf, size_t n) const {
  if (pos >= size_) return 0;
  // the part holding pos: the last start at or before it
  size_t i = static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), static_cast<size_t>(pos)) - starts_.begin()) - 1;
  size_t done = 0;
  auto* out = static_cast<char*>(buf);
  size_t at = static_cast<size_t>(pos) - starts_[i];
  while (done < n && i < parts_.size()) {
    const size_t take = std::min(n - done, parts_[i].second - at);
    std::memcpy(out + done, parts_[i].first + at, take);
    done += take;
    ++i;
    at = 0;
  }
  return done;
}

void save_archive(torch::serialize::OutputArchive& archive, const ByteSink& sink) {
  archive.save_to([&](const void* data, size_t size) -> size_t {
    sink(static_cast<const char*>(data), size);
    return size;
  });
}

void open_checked_archive(torch::serialize::InputArchive& archive, const ByteChunks& bytes, const std::string& what,
                          const std::string& fingerprint) {
  try {
    archive.load_from([&](uint64_t pos, void* buf, size_t n) { return bytes.read(pos, buf, n); },
                      [&]() { return bytes.size(); });
  } catch (const c10::Error& e) {
    throw Error("ERR_INVALID_ARGUMENT", "Expected a saved " + what + " but the bytes could not be read: " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw Error("ERR_INVALID_ARGUMENT", "Expected a saved " + what + " but the bytes could not be read: " + e.what());
  }
  c10::IValue fp;
  try {
    archive.read("fingerprint", fp);
  } catch (const std::exception&) {
    throw Error("ERR_INVALID_ARGUMENT", "Expected a saved " + what + " but the bytes hold no configuration fingerprint");
  }
  require(fp.isString() && fp.toStringRef() == fingerprint,
          "Expected an " + what + " saved by the same configuration (" + fingerprint +
              ") but received one from another configuration (" + (fp.isString() ? fp.toStringRef() : std::string("unknown")) + ")");
}

}  // namespace ipcae
