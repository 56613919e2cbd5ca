#include "layout.h"

#include <ATen/CPUGeneratorImpl.h>

#include <functional>
#include <numeric>

namespace ipcae {

int ParameterLayout::add(const std::string& name, std::vector<int64_t> shape) {
  ParamBlock p;
  p.name = name;
  p.numel = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
  p.shape = std::move(shape);
  perReplica_ += p.numel;
  blocks_.push_back(p);
  return static_cast<int>(blocks_.size()) - 1;
}

void ParameterLayout::place(int64_t replicas) {
  replicas_ = replicas;
  int64_t off = 0;
  for (auto& p : blocks_) {
    p.offset = off;
    off += p.numel * replicas;
  }
}

Views ParameterLayout::views(const torch::Tensor& flat) const {
  Views v;
  for (const auto& p : blocks_) {
    std::vector<int64_t> shape{replicas_};
    shape.insert(shape.end(), p.shape.begin(), p.shape.end());
    v.push_back(flat.narrow(0, p.offset, p.numel * replicas_).view(shape));
  }
  return v;
}

ReplicaInit::ReplicaInit(uint64_t seed, int64_t replica, const ParameterLayout& layout, Views& params)
    : gen_(at::make_generator<at::CPUGeneratorImpl>(seed)), replica_(replica), layout_(layout), params_(params) {}

torch::Tensor ReplicaInit::uniform(const std::vector<int64_t>& shape, double a, double b) {
  return torch::empty(shape, torch::TensorOptions().dtype(torch::kDouble)).uniform_(a, b, gen_);
}

torch::Tensor ReplicaInit::normal(const std::vector<int64_t>& shape) {
  return torch::empty(shape, torch::TensorOptions().dtype(torch::kDouble)).normal_(0.0, 1.0, gen_);
}

void ReplicaInit::set(int index, const torch::Tensor& value) {
  params_[index][replica_].copy_(value.view(layout_.shape(index)));
}

void ReplicaInit::fill(int index, double value) { params_[index][replica_].fill_(value); }

}  // namespace ipcae
