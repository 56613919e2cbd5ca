// The plain network of the baselines (STG, LassoNet) and of the retrain evaluation: one hidden
// layer, Linear -> ReLU -> Linear, for R replicas at once (each parameter [R, ...], weights stored
// transposed [in, out]), with a hand-written backward pass; and the small pieces around it that
// those three share: nn.Linear's initialisation, Adam / SGD with a per-replica "still training"
// mask, the task loss and the docs/method.md §5 metrics. Unlike the IP-CAE decoder (decoder.h) there is no
// LayerNorm: the paper's baseline networks are plain ReLU MLPs.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ipcae {

struct MlpParams {
  torch::Tensor W1, b1, W2, b2;  // [R,In,H], [R,1,H], [R,H,O], [R,1,O]
  std::vector<torch::Tensor*> all() { return {&W1, &b1, &W2, &b2}; }
};

struct MlpCache {
  torch::Tensor in;      // [B,In] (shared by the replicas) or [R,B,In]
  torch::Tensor hidden;  // ReLU output [R,B,H]
};

// nn.Linear's default initialisation, U(-1/sqrt(in), 1/sqrt(in)) for weights and biases, drawn in
// float64 from a generator seeded with the replica's seed (so a replica's start does not depend on
// the other replicas of its group), for every replica r of `p`.
void mlp_init(MlpParams& p, const std::vector<uint64_t>& seeds, int64_t in, int64_t hidden, int64_t out,
              torch::Dtype dtype);

// x [B,In] or [R,B,In] -> [R,B,O]. W1 may be given instead of p.W1 (STG folds its gates into it).
torch::Tensor mlp_forward(const torch::Tensor& x, const MlpParams& p, const torch::Tensor& W1, MlpCache* cache);
// dOut [R,B,O] -> gradients (same shapes as the parameters); dW1 is d/d(the W1 given to forward).
// dPre (optional): dLoss/d(pre-activation) [R,B,H], for a caller that needs the input's gradient.
void mlp_backward(const torch::Tensor& dOut, const MlpParams& p, const MlpCache& cache, MlpParams& grads,
                  torch::Tensor* dPre = nullptr);

// The task loss per replica (float64 [R]) and dLoss/dOut. classification: cross-entropy with y
// int64 [B]; reconstruction / regression: MSE averaged over B*O against target [B,O].
void task_loss(const std::string& task, const torch::Tensor& out, const torch::Tensor& target, torch::Tensor& loss,
               torch::Tensor& dOut);

// Sum over rows of the loss and of the metric (correct predictions; per-sample ||x - x_hat||_2 / D;
// squared error) per replica, float64 [R] each, for outputs [R,N,O].
void task_sums(const std::string& task, const torch::Tensor& out, const torch::Tensor& target, torch::Tensor& lossSum,
               torch::Tensor& metricSum);
// Turns those sums over N rows into (mean loss, metric): accuracy as a fraction, the mean
// reconstruction error, or the MSE.
void finish_task_sums(const std::string& task, int64_t N, int64_t O, const torch::Tensor& lossSum,
                      const torch::Tensor& metricSum, std::vector<double>& loss, std::vector<double>& metric);

// PyTorch's Adam (L2 weight decay added to the gradient, as torch.optim.Adam's weight_decay) at
// step t (1-based), applied only to the replicas where active [R] (bool) is true.
struct AdamState {
  std::vector<torch::Tensor> m, v;
  void reset(const std::vector<torch::Tensor*>& params);
};
void adam_update(const std::vector<torch::Tensor*>& params, const std::vector<torch::Tensor*>& grads, AdamState& s,
                 int64_t t, double lr, double weightDecay, const torch::Tensor& active);

// PyTorch's SGD with momentum (no dampening, no Nesterov): buf = momentum * buf + g (buf = g at the
// first step), p -= lr * buf; only where active.
struct SgdState {
  std::vector<torch::Tensor> buf;
  bool started = false;
  void reset(const std::vector<torch::Tensor*>& params);
};
void sgd_update(const std::vector<torch::Tensor*>& params, const std::vector<torch::Tensor*>& grads, SgdState& s,
                double lr, double momentum, const torch::Tensor& active);

// The intra-op thread count for a baseline job (0 = all cores), set on the calling thread.
void enter_baseline_thread(int threads);

}  // namespace ipcae
