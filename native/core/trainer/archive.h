// Saved states (trainer checkpoint, LassoNet path state) as byte chunks, never one contiguous
// buffer: a state can be larger than a JS Buffer (4 GiB) or than memory allows twice. Writing goes
// to a sink chunk by chunk; reading opens the archive over the chunks as they are; the archive's
// fingerprint is checked against the configuration that loads it. One message for both users.
#pragma once

#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ipcae {

// Receives a saved state in order, piece by piece.
using ByteSink = std::function<void(const char* data, size_t size)>;

// A saved state held in several pieces (JS Buffers, file reads), read as one byte sequence.
class ByteChunks {
 public:
  ByteChunks() = default;
  explicit ByteChunks(const std::string& bytes) { add(bytes.data(), bytes.size()); }
  void add(const char* data, size_t size);
  size_t size() const { return size_; }
  // Copies up to n bytes from position pos into buf; returns how many were copied.
  size_t read(uint64_t pos, void* buf, size_t n) const;

 private:
  std::vector<std::pair<const char*, size_t>> parts_;
  std::vector<size_t> starts_;
  size_t size_ = 0;
};

// Writes `archive` to `sink` without building it in memory first.
void save_archive(torch::serialize::OutputArchive& archive, const ByteSink& sink);

// Throws ERR_INVALID_ARGUMENT naming `what` when the bytes are not an archive, or when it was saved
// by another configuration (its "fingerprint" entry differs from `fingerprint`).
void open_checked_archive(torch::serialize::InputArchive& archive, const ByteChunks& bytes, const std::string& what,
                          const std::string& fingerprint);

}  // namespace ipcae
