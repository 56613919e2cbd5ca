// Reading a saved state (trainer checkpoint, LassoNet path state): the archive opened from bytes,
// and its fingerprint checked against the configuration that loads it. One message for both.
#pragma once

#include <torch/serialize/input-archive.h>

#include <string>

namespace ipcae {

// Throws ERR_INVALID_ARGUMENT naming `what` when the bytes are not an archive, or when it was saved
// by another configuration (its "fingerprint" entry differs from `fingerprint`).
void open_checked_archive(torch::serialize::InputArchive& archive, const std::string& bytes, const std::string& what,
                          const std::string& fingerprint);

}  // namespace ipcae
