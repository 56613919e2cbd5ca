#include "convert.h"

#include <algorithm>
#include <cstring>
#include <functional>
#include <utility>

#include "error_mapping.h"

namespace ipcae_addon {

namespace {

[[noreturn]] void invalid(Napi::Env env, const std::string& message) { throwError(env, "ERR_INVALID_ARGUMENT", message); }

std::string getString(const Napi::Value& v, const std::string& key) {
  if (!v.IsString()) invalid(v.Env(), "Expected a string for " + key);
  return v.As<Napi::String>().Utf8Value();
}
double getNumber(const Napi::Value& v, const std::string& key) {
  if (!v.IsNumber()) invalid(v.Env(), "Expected a number for " + key);
  return v.As<Napi::Number>().DoubleValue();
}
int64_t getInt(const Napi::Value& v, const std::string& key) {
  const double d = getNumber(v, key);
  if (d != static_cast<double>(static_cast<int64_t>(d))) invalid(v.Env(), "Expected an integer for " + key);
  return static_cast<int64_t>(d);
}
bool getBool(const Napi::Value& v, const std::string& key) {
  if (!v.IsBoolean()) invalid(v.Env(), "Expected a boolean for " + key);
  return v.As<Napi::Boolean>().Value();
}
std::vector<int64_t> getInts(const Napi::Value& v, const std::string& key) {
  if (!v.IsArray()) invalid(v.Env(), "Expected an array of integers for " + key);
  auto a = v.As<Napi::Array>();
  std::vector<int64_t> out;
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(getInt(a.Get(i), key + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<double> getNumbers(const Napi::Value& v, const std::string& key) {
  if (!v.IsArray()) invalid(v.Env(), "Expected an array of numbers for " + key);
  auto a = v.As<Napi::Array>();
  std::vector<double> out;
  for (uint32_t i = 0; i < a.Length(); ++i) out.push_back(getNumber(a.Get(i), key + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<uint64_t> getSeeds(const Napi::Value& v, const std::string& key) {
  std::vector<uint64_t> out;
  for (int64_t s : getInts(v, key)) {
    if (s < 0) invalid(v.Env(), "Expected non-negative integers for " + key);
    out.push_back(static_cast<uint64_t>(s));
  }
  return out;
}

template <class T>
using Table = std::vector<std::pair<std::string, std::function<void(T&, const Napi::Value&, const std::string&)>>>;

// One entry per option: the JS key and how it lands in the core's struct.
const Table<ipcae::TrainerOptions>& optionTable() {
  using O = ipcae::TrainerOptions;
  using V = const Napi::Value&;
  using K = const std::string&;
  static const Table<O> table = {
      {"selector", [](O& t, V v, K k) { t.selector = getString(v, k); }},
      {"ipWeights", [](O& t, V v, K k) { t.ipWeights = getString(v, k); }},
      {"embeddingDim", [](O& t, V v, K k) { t.embeddingDim = getInt(v, k); }},
      {"ipBias", [](O& t, V v, K k) { t.ipBias = getBool(v, k); }},
      {"noise", [](O& t, V v, K k) { t.noise = getString(v, k); }},
      {"hidden", [](O& t, V v, K k) { t.hidden = getInts(v, k); }},
      {"dropout", [](O& t, V v, K k) { t.dropout = getNumber(v, k); }},
      {"task", [](O& t, V v, K k) { t.task = getString(v, k); }},
      {"inputDim", [](O& t, V v, K k) { t.inputDim = getInt(v, k); }},
      {"k", [](O& t, V v, K k) { t.k = getInt(v, k); }},
      {"outputDim", [](O& t, V v, K k) { t.outputDim = getInt(v, k); }},
      {"lr", [](O& t, V v, K k) { t.lr = getNumber(v, k); }},
      {"beta1", [](O& t, V v, K k) { t.beta1 = getNumber(v, k); }},
      {"beta2", [](O& t, V v, K k) { t.beta2 = getNumber(v, k); }},
      {"eps", [](O& t, V v, K k) { t.eps = getNumber(v, k); }},
      {"gjsdLambda", [](O& t, V v, K k) { t.gjsdLambda = getNumber(v, k); }},
      {"batchSize", [](O& t, V v, K k) { t.batchSize = getInt(v, k); }},
      {"shuffle", [](O& t, V v, K k) { t.shuffle = getBool(v, k); }},
      {"shuffleSeed", [](O& t, V v, K k) { t.shuffleSeed = static_cast<uint64_t>(getInt(v, k)); }},
      {"seeds", [](O& t, V v, K k) { t.seeds = getSeeds(v, k); }},
      {"device", [](O& t, V v, K k) { t.device = getString(v, k); }},
      {"threads", [](O& t, V v, K k) { t.threads = static_cast<int>(getInt(v, k)); }},
      {"dtype", [](O& t, V v, K k) { t.dtype = getString(v, k); }},
      {"fusedSelection", [](O& t, V v, K k) { t.fusedSelection = getBool(v, k); }},
      {"evalBatchSize", [](O& t, V v, K k) { t.evalBatchSize = getInt(v, k); }},
      {"selectionCacheMB", [](O& t, V v, K k) { t.selectionCacheMB = getNumber(v, k); }},
  };
  return table;
}

// Exactly the table's keys: an unknown one (a typo, or an option the addon was not taught) and a
// missing one are errors, never silently dropped or defaulted here. `what`: "trainer", "baseline".
template <class T>
T parseWithTable(const Napi::Object& o, const Table<T>& table, const std::string& what) {
  auto env = o.Env();
  const auto names = o.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string key = names.Get(i).ToString().Utf8Value();
    if (std::none_of(table.begin(), table.end(), [&](const auto& e) { return e.first == key; })) invalid(env, "Unknown " + what + " option '" + key + "'");
  }
  T t;
  for (const auto& [key, set] : table) {
    if (!o.Has(key) || o.Get(key).IsUndefined()) invalid(env, "Expected a value for the " + what + " option '" + key + "'");
    set(t, o.Get(key), "the " + what + " option '" + key + "'");
  }
  return t;
}

// The baselines' options (lib/baselines/options.ts is their one definition), as the trainer's.
const Table<ipcae::BaselineOptions>& baselineOptionTable() {
  using O = ipcae::BaselineOptions;
  using V = const Napi::Value&;
  using K = const std::string&;
  static const Table<O> table = {
      {"task", [](O& b, V v, K k) { b.task = getString(v, k); }},
      {"inputDim", [](O& b, V v, K k) { b.inputDim = getInt(v, k); }},
      {"outputDim", [](O& b, V v, K k) { b.outputDim = getInt(v, k); }},
      {"hidden", [](O& b, V v, K k) { b.hidden = getInt(v, k); }},
      {"batchSize", [](O& b, V v, K k) { b.batchSize = getInt(v, k); }},
      {"lr", [](O& b, V v, K k) { b.lr = getNumber(v, k); }},
      {"seeds", [](O& b, V v, K k) { b.seeds = getSeeds(v, k); }},
      {"lambdas", [](O& b, V v, K k) { b.lambdas = getNumbers(v, k); }},
      {"threads", [](O& b, V v, K k) { b.threads = static_cast<int>(getInt(v, k)); }},
      {"dtype", [](O& b, V v, K k) { b.dtype = getString(v, k); }},
      {"sigma", [](O& b, V v, K k) { b.sigma = getNumber(v, k); }},
      {"weightDecay", [](O& b, V v, K k) { b.weightDecay = getNumber(v, k); }},
      {"M", [](O& b, V v, K k) { b.M = getNumber(v, k); }},
      {"pathMultiplier", [](O& b, V v, K k) { b.pathMultiplier = getNumber(v, k); }},
      {"tol", [](O& b, V v, K k) { b.tol = getNumber(v, k); }},
      {"pathLr", [](O& b, V v, K k) { b.pathLr = getNumber(v, k); }},
      {"momentum", [](O& b, V v, K k) { b.momentum = getNumber(v, k); }},
      {"denseEpochs", [](O& b, V v, K k) { b.denseEpochs = getInt(v, k); }},
      {"densePatience", [](O& b, V v, K k) { b.densePatience = getInt(v, k); }},
      {"pathEpochs", [](O& b, V v, K k) { b.pathEpochs = getInt(v, k); }},
      {"pathPatience", [](O& b, V v, K k) { b.pathPatience = getInt(v, k); }},
      {"lambdaStart", [](O& b, V v, K k) { b.lambdaStart = getNumber(v, k); }},
      {"stopBelow", [](O& b, V v, K k) { b.stopBelow = getInt(v, k); }},
  };
  return table;
}

}  // namespace

ipcae::BaselineOptions parseBaselineOptions(const Napi::Object& o) { return parseWithTable(o, baselineOptionTable(), "baseline"); }

const std::vector<std::string>& baselineOptionKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto& e : baselineOptionTable()) k.push_back(e.first);
    return k;
  }();
  return keys;
}

const std::vector<std::string>& trainerOptionKeys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k;
    for (const auto& e : optionTable()) k.push_back(e.first);
    return k;
  }();
  return keys;
}

ipcae::TrainerOptions parseOptions(const Napi::Object& o) { return parseWithTable(o, optionTable(), "trainer"); }

ipcae::SelectionCheckOptions parseSelectionCheckOptions(const Napi::Object& o) {
  ipcae::SelectionCheckOptions c;
  auto opt = [&](const char* key) { return o.Has(key) && !o.Get(key).IsUndefined(); };
  if (opt("replicas")) c.replicas = getInt(o.Get("replicas"), "replicas");
  if (opt("batch")) c.batch = getInt(o.Get("batch"), "batch");
  if (opt("k")) c.k = getInt(o.Get("k"), "k");
  if (opt("d")) c.d = getInt(o.Get("d"), "d");
  if (opt("temperature")) c.temperature = getNumber(o.Get("temperature"), "temperature");
  if (opt("seed")) c.seed = static_cast<uint64_t>(getInt(o.Get("seed"), "seed"));
  if (opt("perSample")) c.perSample = getBool(o.Get("perSample"), "perSample");
  if (opt("cache")) c.cache = getBool(o.Get("cache"), "cache");
  if (opt("kernel")) c.kernel = getString(o.Get("kernel"), "kernel");
  if (opt("device")) c.device = getString(o.Get("device"), "device");
  if (opt("noiseProbe")) c.noiseProbe = getInt(o.Get("noiseProbe"), "noiseProbe");
  return c;
}

// Copies a split out of JS typed arrays once, on the JS thread; no JS memory is read afterwards.
ipcae::SplitData parseSplit(const Napi::Object& s, const std::string& name, int64_t D) {
  auto env = s.Env();
  if (!s.Get("x").IsTypedArray() || s.Get("x").As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    invalid(env, "Expected a Float32Array for " + name + ".x");
  auto x = s.Get("x").As<Napi::Float32Array>();
  const int64_t rows = getInt(s.Get("rows"), name + ".rows");
  if (rows < 0 || static_cast<int64_t>(x.ElementLength()) != rows * D)
    invalid(env, "Expected " + name + ".x to hold rows x inputDim = " + std::to_string(rows) + " x " + std::to_string(D) +
                     " values but received " + std::to_string(x.ElementLength()));
  ipcae::SplitData d;
  d.x = torch::from_blob(x.Data(), {rows, D}, torch::kFloat).clone();
  if (s.Has("y") && !s.Get("y").IsUndefined() && !s.Get("y").IsNull()) {
    auto yv = s.Get("y");
    if (!yv.IsTypedArray()) invalid(env, "Expected an Int32Array or Float32Array for " + name + ".y");
    auto ta = yv.As<Napi::TypedArray>();
    if (ta.TypedArrayType() == napi_int32_array) {
      auto y = yv.As<Napi::Int32Array>();
      if (static_cast<int64_t>(y.ElementLength()) != rows)
        invalid(env, "Expected " + std::to_string(rows) + " labels in " + name + ".y but received " + std::to_string(y.ElementLength()));
      d.y = torch::from_blob(y.Data(), {rows}, torch::kInt).to(torch::kLong);
    } else if (ta.TypedArrayType() == napi_float32_array) {
      auto y = yv.As<Napi::Float32Array>();
      if (rows == 0 || y.ElementLength() % static_cast<size_t>(rows) != 0)
        invalid(env, "Expected a multiple of " + std::to_string(rows) + " targets in " + name + ".y");
      d.y = torch::from_blob(y.Data(), {rows, static_cast<int64_t>(y.ElementLength()) / rows}, torch::kFloat).clone();
    } else {
      invalid(env, "Expected an Int32Array or Float32Array for " + name + ".y");
    }
  }
  return d;
}

Napi::Float64Array toFloat64(Napi::Env env, const torch::Tensor& t) {
  auto c = t.to(torch::kCPU, torch::kDouble).contiguous();
  auto out = Napi::Float64Array::New(env, static_cast<size_t>(c.numel()));
  std::memcpy(out.Data(), c.data_ptr<double>(), sizeof(double) * static_cast<size_t>(c.numel()));
  return out;
}

Napi::Value toJs(Napi::Env env, const ipcae::Capabilities& c) {
  auto o = Napi::Object::New(env);
  o.Set("torchVersion", c.torchVersion);
  o.Set("cudaAvailable", c.cudaAvailable);
  o.Set("cudaDeviceCount", Napi::Number::New(env, static_cast<double>(c.cudaDeviceCount)));
  auto devs = Napi::Array::New(env, c.cudaDevices.size());
  for (size_t i = 0; i < c.cudaDevices.size(); ++i) devs.Set(i, c.cudaDevices[i]);
  o.Set("cudaDevices", devs);
  o.Set("cudaKernels", c.cudaKernels);
  o.Set("blas", c.blas);
  o.Set("blasLibrary", c.blasLibrary);
  o.Set("threads", c.threads);
  o.Set("hardwareThreads", c.hardwareThreads);
  o.Set("parallelInfo", c.parallelInfo);
  o.Set("isa", c.isa);
  o.Set("supportedIsa", c.supportedIsa);
  o.Set("denormalsFlushed", c.denormalsFlushed);
  return o;
}

Napi::Value toJs(Napi::Env env, const ipcae::EpochReport& r) {
  auto o = Napi::Object::New(env);
  o.Set("epoch", Napi::Number::New(env, static_cast<double>(r.epoch)));
  o.Set("temperature", r.temperature);
  o.Set("seconds", r.seconds);
  auto reps = Napi::Array::New(env, r.replicas.size());
  for (size_t i = 0; i < r.replicas.size(); ++i) {
    const auto& e = r.replicas[i];
    auto x = Napi::Object::New(env);
    x.Set("trainLoss", e.trainLoss);
    x.Set("valLoss", e.valLoss);
    x.Set("valMetric", e.valMetric);
    x.Set("uniquePct", e.uniquePct);
    x.Set("gjsd", e.gjsd);
    x.Set("meanMaxProb", e.meanMaxProb);
    x.Set("improved", e.improved);
    x.Set("diverged", e.diverged);
    reps.Set(i, x);
  }
  o.Set("replicas", reps);
  return o;
}

Napi::Value toJs(Napi::Env env, const ipcae::EvalResult& r) {
  auto o = Napi::Object::New(env);
  auto l = Napi::Array::New(env, r.loss.size()), m = Napi::Array::New(env, r.metric.size());
  for (size_t i = 0; i < r.loss.size(); ++i) l.Set(i, r.loss[i]);
  for (size_t i = 0; i < r.metric.size(); ++i) m.Set(i, r.metric[i]);
  o.Set("loss", l);
  o.Set("metric", m);
  return o;
}

Napi::Value toJs(Napi::Env env, const ipcae::Selection& s) {
  auto o = Napi::Object::New(env);
  auto idx = s.indices.to(torch::kInt).contiguous();
  auto ia = Napi::Int32Array::New(env, static_cast<size_t>(idx.numel()));
  std::memcpy(ia.Data(), idx.data_ptr<int32_t>(), sizeof(int32_t) * static_cast<size_t>(idx.numel()));
  const auto& pr = s.probabilities;
  auto pa = Napi::Float32Array::New(env, static_cast<size_t>(pr.numel()));
  std::memcpy(pa.Data(), pr.data_ptr<float>(), sizeof(float) * static_cast<size_t>(pr.numel()));
  o.Set("indices", ia);
  o.Set("probabilities", pa);
  return o;
}

Napi::Value toJs(Napi::Env env, const ipcae::SelectionCheckResult& r) {
  auto o = Napi::Object::New(env);
  o.Set("fusedU", toFloat64(env, r.fusedU));
  o.Set("referenceU", toFloat64(env, r.referenceU));
  o.Set("fusedGrad", toFloat64(env, r.fusedGrad));
  o.Set("referenceGrad", toFloat64(env, r.referenceGrad));
  o.Set("noiseSample", toFloat64(env, r.noiseSample));
  if (r.probeHash.defined()) {
    o.Set("probeHash", toFloat64(env, r.probeHash));
    o.Set("probeGumbel", toFloat64(env, r.probeGumbel));
  }
  return o;
}

}  // namespace ipcae_addon
