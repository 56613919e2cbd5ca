// The options of one trainer (one replica group). JS validates them first (lib/train/options.ts
// is their one definition and the addon accepts exactly its keys); the defaults here serve C++
// callers only. validate_options keeps the last line of defence.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ipcae {

struct TrainerOptions {
  std::string selector = "ip";        // cae | ip
  std::string ipWeights = "shared";   // shared | diag | scalar
  int64_t embeddingDim = 0;           // P; 0 means P = D
  bool ipBias = true;
  std::string noise = "per-sample";   // per-sample | per-batch
  std::vector<int64_t> hidden = {200};
  double dropout = 0.0;
  std::string task = "classification";  // classification | reconstruction | regression
  int64_t inputDim = 0;               // D
  int64_t k = 0;                      // K
  int64_t outputDim = 0;              // C (classification) or target width (regression)
  double lr = 1e-3, beta1 = 0.9, beta2 = 0.999, eps = 1e-8;
  double gjsdLambda = 0.0;
  int64_t batchSize = 128;
  bool shuffle = false;
  uint64_t shuffleSeed = 0;
  std::vector<uint64_t> seeds;
  std::string device = "cpu";         // cpu | cuda | cuda:N | auto
  int threads = 0;                    // 0: all cores
  std::string dtype = "float32";      // float32 | float64
  bool fusedSelection = true;         // false: the materialising reference (any device)
  int64_t evalBatchSize = 2048;
  // Keep the relaxed selection weights between forward and backward while they fit in this many
  // MiB (small problems: saves regenerating the noise); 0 = always regenerate.
  double selectionCacheMB = 8;
};

// Throws ERR_INVALID_ARGUMENT naming the first option out of range.
void validate_options(const TrainerOptions& o);

// "1,2,3": for messages and fingerprints.
std::string join_ints(const std::vector<int64_t>& v);

}  // namespace ipcae
