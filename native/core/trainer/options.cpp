#include "options.h"

#include <cmath>
#include <sstream>

#include "errors.h"

namespace ipcae {

std::string join_ints(const std::vector<int64_t>& v) {
  std::ostringstream s;
  for (size_t i = 0; i < v.size(); ++i) s << (i ? "," : "") << v[i];
  return s.str();
}

void validate_options(const TrainerOptions& o) {
  const auto& s = o.selector;
  require(s == "cae" || s == "ip", "Expected 'cae' or 'ip' for selector but received '" + s + "'");
  require(o.ipWeights == "shared" || o.ipWeights == "diag" || o.ipWeights == "scalar",
          "Expected 'shared', 'diag' or 'scalar' for ipWeights but received '" + o.ipWeights + "'");
  require(o.noise == "per-sample" || o.noise == "per-batch",
          "Expected 'per-sample' or 'per-batch' for noise but received '" + o.noise + "'");
  require(o.task == "classification" || o.task == "reconstruction" || o.task == "regression",
          "Expected 'classification', 'reconstruction' or 'regression' for task but received '" +
              o.task + "'");
  require(o.dtype == "float32" || o.dtype == "float64",
          "Expected 'float32' or 'float64' for dtype but received '" + o.dtype + "'");
  require(o.inputDim >= 1, "Expected an integer >= 1 for inputDim but received " + std::to_string(o.inputDim));
  require(o.k >= 1 && o.k <= o.inputDim, "Expected an integer in [1, " + std::to_string(o.inputDim) +
                                             "] for k but received " + std::to_string(o.k));
  require(!o.seeds.empty(), "Expected at least one seed for seeds but received none");
  require(o.batchSize >= 1, "Expected an integer >= 1 for batchSize but received " + std::to_string(o.batchSize));
  require(o.dropout >= 0 && o.dropout < 1, "Expected a number in [0, 1) for dropout but received " + std::to_string(o.dropout));
  require(std::isfinite(o.lr) && o.lr > 0, "Expected a positive number for lr");
  require(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1, "Expected numbers in [0, 1) for beta1 and beta2");
  require(o.eps > 0, "Expected a positive number for eps");
  require(std::isfinite(o.gjsdLambda) && o.gjsdLambda >= 0, "Expected a number >= 0 for gjsdLambda");
  require(o.threads >= 0, "Expected an integer >= 0 for threads but received " + std::to_string(o.threads));
  require(o.evalBatchSize >= 1, "Expected an integer >= 1 for evalBatchSize");
  require(o.selectionCacheMB >= 0, "Expected a number >= 0 for selectionCacheMB");
  for (auto h : o.hidden) require(h >= 1, "Expected positive widths for hidden but received [" + join_ints(o.hidden) + "]");
  require(o.embeddingDim >= 0, "Expected an integer >= 0 for embeddingDim");
  if (o.task != "reconstruction") {
    require(o.outputDim >= (o.task == "classification" ? 2 : 1),
            "Expected outputDim >= " + std::string(o.task == "classification" ? "2 (classes)" : "1 (target width)") +
                " but received " + std::to_string(o.outputDim));
  }
  if (s == "ip") {
    const int64_t P = o.embeddingDim > 0 ? o.embeddingDim : o.inputDim;
    require(o.ipWeights == "shared" || P == o.inputDim,
            "Expected embeddingDim = inputDim (" + std::to_string(o.inputDim) + ") for ipWeights '" + o.ipWeights +
                "' but received " + std::to_string(P));
  }
}

}  // namespace ipcae
