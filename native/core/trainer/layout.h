// Where every parameter lives: the parameters of all R replicas are blocks of one flat buffer (so
// Adam is one pass and a checkpoint is one copy); each named parameter is a block [R, ...shape].
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ipcae {

// Views of one flat buffer (parameters, gradients or the best parameters), one per parameter,
// each [R, ...shape]; indexed by the number ParameterLayout::add returned.
using Views = std::vector<torch::Tensor>;

struct ParamBlock {
  std::string name;
  std::vector<int64_t> shape;  // per replica
  int64_t offset = 0;          // into the flat buffer (elements), once placed
  int64_t numel = 0;           // per replica
};

class ParameterLayout {
 public:
  // Registers a parameter; the order of registration is the order of the blocks (and of the
  // checkpoint format). Returns its index.
  int add(const std::string& name, std::vector<int64_t> shape);
  // Assigns the offsets for `replicas` replicas; call once, after every add.
  void place(int64_t replicas);

  Views views(const torch::Tensor& flat) const;
  const std::vector<ParamBlock>& blocks() const { return blocks_; }
  const std::vector<int64_t>& shape(int index) const { return blocks_[index].shape; }
  int64_t perReplica() const { return perReplica_; }
  int64_t replicas() const { return replicas_; }
  int64_t total() const { return perReplica_ * replicas_; }

 private:
  std::vector<ParamBlock> blocks_;
  int64_t perReplica_ = 0;
  int64_t replicas_ = 0;
};

// The initial values of one replica, drawn from its own generator (seeded with its seed) on the
// CPU in float64, so that they do not depend on the device, the dtype or the other replicas.
class ReplicaInit {
 public:
  ReplicaInit(uint64_t seed, int64_t replica, const ParameterLayout& layout, Views& params);
  torch::Tensor uniform(const std::vector<int64_t>& shape, double a, double b);
  torch::Tensor normal(const std::vector<int64_t>& shape);
  // Writes `value` (any shape with the parameter's element count) as this replica's parameter.
  void set(int index, const torch::Tensor& value);
  void fill(int index, double value);

 private:
  at::Generator gen_;
  int64_t replica_;
  const ParameterLayout& layout_;
  Views& params_;
};

}  // namespace ipcae
