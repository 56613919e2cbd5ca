// IP-CAE / CAE trainer for a group of R replicas (R seeds) trained at once, in pure LibTorch.
//
// Parameters of all replicas are stacked on a leading axis and live in one flat buffer (so Adam is
// one pass and a checkpoint is one copy); gradients are written by a hand-written backward pass into
// a flat gradient buffer with out= ops, which keeps the per-step op count (and so the overhead on
// small problems) low. The relaxed selection is the fused kernel of selection.h.
#pragma once

#include <torch/torch.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "errors.h"
#include "selection.h"

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

// One split; x [N,D] float32 on the CPU; y: int64 [N] (classes), float32 [N,T] (regression) or
// undefined (reconstruction).
struct SplitData {
  torch::Tensor x;
  torch::Tensor y;
};

struct ReplicaEpoch {
  double trainLoss = 0, valLoss = 0, valMetric = 0, uniquePct = 0, gjsd = 0, meanMaxProb = 0;
  bool improved = false;
};

struct EpochReport {
  int64_t epoch = 0;
  double temperature = 0;
  double seconds = 0;
  std::vector<ReplicaEpoch> replicas;
};

struct EvalResult {
  std::vector<double> loss;    // task loss per replica
  std::vector<double> metric;  // accuracy (fraction), reconstruction error, or MSE
};

struct Selection {
  torch::Tensor indices;        // int64 [R,K]
  torch::Tensor probabilities;  // float32 [R,K,D], softmax of the logits
};

struct Capabilities {
  std::string torchVersion;
  bool cudaAvailable = false;
  int64_t cudaDeviceCount = 0;
  std::vector<std::string> cudaDevices;
  std::string blas;          // BLAS named in LibTorch's build configuration
  std::string blasLibrary;   // the BLAS shared library actually loaded in this process
  int threads = 0;
  int hardwareThreads = 0;
  std::string parallelInfo;
};
Capabilities capabilities();

torch::Device parse_device(const std::string& device);

class Trainer {
 public:
  explicit Trainer(const TrainerOptions& options);

  void setData(const SplitData& train, const SplitData& val, const SplitData& test);
  bool hasData() const { return hasData_; }

  // One epoch at temperature T: training steps, then validation with hard selection.
  // A set `cancel` flag stops between steps and rolls the trainer back to the epoch's start.
  EpochReport runEpoch(double temperature, const std::atomic<bool>* cancel);

  // split: "train" | "val" | "test"; best: evaluate the best-validation parameters.
  EvalResult evaluate(const std::string& split, bool best);
  Selection selection(bool best);

  std::string saveState();
  void loadState(const std::string& bytes);

  // For gradient checks: loss (task - lambda*GJSD) per replica on the first training batch at the
  // current step's noise, and the flat gradient. Changes nothing.
  std::pair<torch::Tensor, torch::Tensor> lossAndGradient(double temperature);
  torch::Tensor flatParameters(bool best = false) const;
  void setFlatParameters(const torch::Tensor& flat);
  std::vector<std::pair<std::string, std::vector<int64_t>>> parameterLayout() const;

  int64_t epoch() const { return epoch_; }
  int64_t step() const { return step_; }
  int64_t replicas() const { return R_; }
  const std::vector<int64_t>& bestEpoch() const { return bestEpoch_; }
  const std::vector<double>& bestValLoss() const { return bestValLoss_; }
  const TrainerOptions& options() const { return opt_; }
  std::string deviceName() const { return device_.str(); }

  // Per-thread LibTorch settings (intra-op threads, grad mode); call at the start of every job.
  void enterThread() const;

 private:
  struct Param {
    std::string name;
    std::vector<int64_t> shape;  // per replica
    int64_t offset = 0;          // into the flat buffer (elements)
    int64_t numel = 0;           // per replica
  };
  struct LayerIdx {
    int W = -1, b = -1, gamma = -1, beta = -1;
    int64_t in = 0, out = 0;
  };
  struct LayerCache {
    torch::Tensor in, a, xhat, mean, rstd, y, mask;
  };
  using Views = std::vector<torch::Tensor>;

  int addParam(const std::string& name, std::vector<int64_t> shape);
  void initReplica(int64_t r);
  Views viewsOf(const torch::Tensor& flat) const;

  torch::Tensor logits(const Views& P) const;
  void selectorBackward(const Views& P, const torch::Tensor& dL, Views& G) const;
  // r0: index of the first replica in U and P (for the dropout streams)
  torch::Tensor decoderForward(const torch::Tensor& U, const Views& P, bool train,
                               std::vector<LayerCache>* caches, torch::Tensor* lastHidden, int64_t r0 = 0);
  torch::Tensor decoderBackward(const torch::Tensor& dOut, const Views& P, Views& G,
                                std::vector<LayerCache>& caches, const torch::Tensor& lastHidden);
  torch::Tensor gjsdGradient(const torch::Tensor& L) const;
  // Forward + backward of one batch; fills grads_, returns the task loss per replica [R].
  // update: then one Adam step (the training step).
  torch::Tensor forwardBackward(const torch::Tensor& xb, const torch::Tensor& yb,
                                const torch::Tensor& onehotB, double temperature, bool update = false);
  // The same for replicas [r0, r0 + P[0].size(0)) only: P and G are those replicas' views.
  torch::Tensor forwardBackwardRange(const torch::Tensor& xb, const torch::Tensor& yb,
                                     const torch::Tensor& onehotB, double temperature, int64_t r0,
                                     const Views& P, Views& G, torch::Tensor* selectionCache,
                                     bool profile);
  torch::Tensor dropoutMask(int64_t layer, int64_t B, int64_t H, int64_t r0, int64_t n) const;
  void adamStep(int64_t r0, int64_t n);
  void copyBest(int64_t r);
  std::string fingerprint() const;
  SplitData& split(const std::string& name);

  TrainerOptions opt_;
  torch::Device device_{torch::kCPU};
  torch::Dtype dtype_ = torch::kFloat;
  int64_t R_ = 0, D_ = 0, K_ = 0, P_ = 0, O_ = 0;
  int threads_ = 1;
  int opsThreads_ = 1;  // threads for LibTorch's ops (1 on small problems)
  // Small problems: the replicas are split into this many parts and each thread runs the whole
  // step for its part (1 = one pass over the whole group).
  int stepParts_ = 1;
  bool perSampleNoise_ = true;
  bool useFused_ = true;

  std::vector<Param> params_;
  int64_t perReplica_ = 0;
  int selLogits_ = -1, selPsi_ = -1, selW_ = -1, selB_ = -1;
  std::vector<LayerIdx> layers_;  // hidden layers then the output layer (gamma/beta = -1)

  torch::Tensor flat_, grad_, best_, adamM_, adamV_;
  Views P_views_, G_views_, B_views_;

  SplitData train_, val_, test_;
  torch::Tensor trainOnehot_;
  bool hasData_ = false;

  int64_t epoch_ = 0;
  int64_t step_ = 0;
  std::vector<double> bestValLoss_;
  std::vector<int64_t> bestEpoch_;
  torch::Tensor lossSum_;
  std::vector<torch::Tensor> selectionCaches_;  // one selection-weight cache per step part
};

}  // namespace ipcae
