// The trainer's data: checked once, moved to the device once per run; batches are views of it.
#include "trainer.h"

namespace ipcae {

namespace {

bool allFinite(const torch::Tensor& t) { return t.numel() == 0 || torch::isfinite(t).all().item<bool>(); }

}  // namespace

void Trainer::setData(const SplitData& train, const SplitData& val, const SplitData& test) {
  enterThread();
  torch::NoGradGuard noGrad;
  const bool cls = opt_.task == "classification", reg = opt_.task == "regression";
  auto check = [&](const SplitData& d, const std::string& name) {
    require(d.x.defined() && d.x.dim() == 2 && d.x.size(1) == D_,
            "Expected " + name + ".x with " + std::to_string(D_) + " features per row");
    require(d.x.size(0) >= 1, "Expected a non-empty " + name + " split but received 0 rows");
    require(allFinite(d.x), "Expected finite values in " + name + ".x but found NaN or Inf");
    if (cls) {
      require(d.y.defined() && d.y.dim() == 1 && d.y.size(0) == d.x.size(0),
              "Expected one label per row for " + name + ".y");
      const auto mn = d.y.min().item<int64_t>(), mx = d.y.max().item<int64_t>();
      require(mn >= 0 && mx < O_, "Expected labels in [0, " + std::to_string(O_) + ") for " + name +
                                      ".y but found values in [" + std::to_string(mn) + ", " +
                                      std::to_string(mx) + "]");
    } else if (reg) {
      require(d.y.defined() && d.y.dim() == 2 && d.y.size(0) == d.x.size(0) && d.y.size(1) == O_,
              "Expected " + name + ".y with " + std::to_string(O_) + " target values per row");
      require(allFinite(d.y), "Expected finite values in " + name + ".y but found NaN or Inf");
    }
  };
  check(train, "train");
  check(val, "val");
  check(test, "test");
  require(train.x.size(0) >= opt_.batchSize,
          "Expected batchSize <= the number of training rows (" + std::to_string(train.x.size(0)) +
              ") but received " + std::to_string(opt_.batchSize));
  require(opt_.batchSize * K_ * D_ < (int64_t{1} << 32),
          "Expected batchSize x k x inputDim below 2^32 (the noise counter is 32-bit)");
  auto move = [&](const SplitData& d) {
    SplitData out;
    out.x = d.x.to(device_, dtype_).contiguous();
    if (d.y.defined()) out.y = cls ? d.y.to(device_, torch::kLong).contiguous() : d.y.to(device_, dtype_).contiguous();
    return out;
  };
  // Data moves to the device once per run; batches are views (or one gather when shuffling).
  train_ = move(train);
  val_ = move(val);
  test_ = move(test);
  if (cls) {
    trainOnehot_ = torch::zeros({train_.x.size(0), O_}, train_.x.options());
    trainOnehot_.scatter_(1, train_.y.view({-1, 1}), 1.0);
  }
  hasData_ = true;
}

SplitData& Trainer::split(const std::string& name) {
  if (name == "train") return train_;
  if (name == "val") return val_;
  if (name == "test") return test_;
  require(false, "Expected 'train', 'val' or 'test' for split but received '" + name + "'");
  return train_;
}

}  // namespace ipcae
