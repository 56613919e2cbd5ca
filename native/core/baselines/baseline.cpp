#include "baseline.h"

#include "errors.h"
#include "mlp.h"
#include "runtime.h"

namespace ipcae {

int64_t check_baseline(const BaselineOptions& o, const BaselineData& d) {
  const bool cls = o.task == "classification", reg = o.task == "regression";
  require(cls || reg || o.task == "reconstruction",
          "Expected task 'classification', 'reconstruction' or 'regression' but received '" + o.task + "'");
  require(o.dtype == "float32" || o.dtype == "float64", "Expected dtype 'float32' or 'float64' but received '" + o.dtype + "'");
  require(o.inputDim >= 1, "Expected inputDim >= 1");
  require(o.hidden >= 1, "Expected hidden >= 1");
  require(!o.seeds.empty(), "Expected at least one seed");
  require(o.lr > 0 && o.sigma > 0 && o.M > 0 && o.pathMultiplier > 1 && o.tol > 0 && o.tol <= 1,
          "Expected lr > 0, sigma > 0, M > 0, pathMultiplier > 1 and tol in (0, 1]");
  const int64_t D = o.inputDim;
  const int64_t O = o.task == "reconstruction" ? D : o.outputDim;
  require(O >= 1, "Expected outputDim >= 1 for " + o.task);
  auto check = [&](const SplitData& s, const std::string& name) {
    require(s.x.defined() && s.x.dim() == 2 && s.x.size(1) == D,
            "Expected " + name + ".x with " + std::to_string(D) + " features per row");
    require(s.x.size(0) >= 1, "Expected a non-empty " + name + " split but received 0 rows");
    require(torch::isfinite(s.x).all().item<bool>(), "Expected finite values in " + name + ".x but found NaN or Inf");
    if (cls) {
      require(s.y.defined() && s.y.dim() == 1 && s.y.size(0) == s.x.size(0), "Expected one label per row for " + name + ".y");
      const auto mn = s.y.min().item<int64_t>(), mx = s.y.max().item<int64_t>();
      require(mn >= 0 && mx < O, "Expected labels in [0, " + std::to_string(O) + ") for " + name + ".y but found values in [" +
                                     std::to_string(mn) + ", " + std::to_string(mx) + "]");
    } else if (reg) {
      require(s.y.defined() && s.y.dim() == 2 && s.y.size(0) == s.x.size(0) && s.y.size(1) == O,
              "Expected " + name + ".y with " + std::to_string(O) + " target values per row");
      require(torch::isfinite(s.y).all().item<bool>(), "Expected finite values in " + name + ".y but found NaN or Inf");
    }
  };
  check(d.train, "train");
  check(d.val, "val");
  check(d.test, "test");
  require(o.batchSize >= 0 && o.batchSize <= d.train.x.size(0),
          "Expected batchSize <= the number of training rows (" + std::to_string(d.train.x.size(0)) + ") but received " +
              std::to_string(o.batchSize));
  return O;
}

int64_t begin_baseline(const BaselineOptions& o, const BaselineData& in, BaselineData& out) {
  tune_allocator_once();
  enter_baseline_thread(o.threads);
  const int64_t O = check_baseline(o, in);
  out = baseline_data_as(o, in);
  return O;
}

torch::Dtype baseline_dtype(const BaselineOptions& o) { return o.dtype == "float64" ? torch::kDouble : torch::kFloat; }

BaselineData baseline_data_as(const BaselineOptions& o, const BaselineData& d) {
  const auto t = baseline_dtype(o);
  auto conv = [&](const SplitData& s) {
    SplitData c;
    c.x = s.x.to(t).contiguous();
    c.y = s.y.defined() ? (s.y.is_floating_point() ? s.y.to(t).contiguous() : s.y.to(torch::kLong).contiguous()) : s.y;
    return c;
  };
  return BaselineData{conv(d.train), conv(d.val), conv(d.test)};
}

int64_t batch_size_of(const BaselineOptions& o, const SplitData& train) {
  return o.batchSize > 0 ? o.batchSize : train.x.size(0);
}

}  // namespace ipcae
