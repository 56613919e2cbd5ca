#include "selector.h"

namespace ipcae {

std::unique_ptr<Selector> make_selector(const TrainerOptions& o, ParameterLayout& layout) {
  if (o.selector == "cae") return make_cae_selector(o.k, o.inputDim, layout);
  return make_ip_selector(o, layout);
}

}  // namespace ipcae
