#!/usr/bin/env bash
# The CUDA check of ipcae in one call: build against the machine's CUDA LibTorch, test, check the
# fused kernel, measure determinism and speed, and leave every table and log under $OUT.
#
#   bash scripts/gpu-check.sh --prepare   # on the development machine: dist/, .carry/node.xz and
#                                         # .carry/node_modules.tar.xz (node and the JavaScript; the
#                                         # GPU machine has neither npm nor a registry)
#   bash scripts/gpu-check.sh             # on the GPU machine (the device tool, carry .carry and dist):
#                                         # about 6-8 minutes; $OUT/summary.md first
#
# Phases run in order of value, each with its own time limit, so that a slow phase costs only
# itself: facts, build, the CUDA tests, kernel check, determinism, benchmarks, the PyTorch loop,
# then the whole test suite with the CUDA device selected. Rehearsed on a machine without a GPU it
# runs everything and the CUDA parts say "skipped".
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)

if [ "${1:-}" = "--prepare" ]; then
  set -e
  mkdir -p .carry
  # .carry/ is in .gitignore: the device tool carries it only when asked (carry: .carry dist)
  npm run build:ts
  if [ ! -s .carry/node.xz ] || [ "$(command -v node)" -nt .carry/node.xz ]; then
    xz -T2 -c "$(command -v node)" > .carry/node.xz
  fi
  # The runtime and test dependencies; not the compilers of the development machine (typescript,
  # esbuild) nor type declarations.
  tar -C "$ROOT" --exclude='node_modules/typescript' --exclude='node_modules/esbuild' \
    --exclude='node_modules/@esbuild' --exclude='node_modules/@types' --exclude='node_modules/.cache' \
    -cf - node_modules | xz -T2 -6 > .carry/node_modules.tar.xz
  du -ch .carry/* dist | tail -n 5
  # The device tool carries the working tree and the named ignored paths, 64 MiB in all.
  tree=$(git ls-files -z -co --exclude-standard | du -cb --files0-from=- 2>/dev/null | tail -n 1 | cut -f1)
  carried=$(du -cb .carry dist | tail -n 1 | cut -f1)
  total=$((tree + carried))
  echo "to carry: $((total / 1048576)) MiB of 64 MiB (tree + .carry + dist)"
  [ "$total" -lt $((64 * 1048576)) ] || { echo "gpu-check --prepare: more than 64 MiB to carry; trim .carry/node_modules.tar.xz" >&2; exit 1; }
  echo "carry: .carry dist   run: bash scripts/gpu-check.sh   (limit 600 s)"
  exit 0
fi

OUT=${OUT:-$ROOT/gpu-check-out}
mkdir -p "$OUT"
SUMMARY=$OUT/summary.md
START=$(date +%s)
BUDGET=${IPCAE_GPU_CHECK_BUDGET:-560}   # seconds for everything; the suite gets what is left

elapsed() { echo $(( $(date +%s) - START )); }
note() { echo "$*" | tee -a "$SUMMARY"; }
# phase NAME LIMIT_S COMMAND...: runs with a time limit, output to $OUT/NAME.log, one summary line.
phase() {
  local name=$1 limit=$2
  shift 2
  local t0=$(date +%s)
  timeout --kill-after=10 "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  local what="ok"
  [ $rc -eq 124 ] || [ $rc -eq 137 ] && what="TIMED OUT after ${limit} s"
  [ $rc -ne 0 ] && [ "$what" = "ok" ] && what="FAILED (exit $rc)"
  note "- $name: $what in $(( $(date +%s) - t0 )) s (log: $name.log)"
  return $rc
}

echo "# ipcae GPU check  $(date -u +%FT%TZ)" > "$SUMMARY"
note ""

# --- facts about the machine
{
  echo "## machine"
  nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv 2>&1 || echo "no nvidia-smi"
  command -v nvcc >/dev/null && nvcc --version | tail -n 2
  python3 -c 'import torch; print("python torch", torch.__version__, "cuda", torch.version.cuda, "available", torch.cuda.is_available())' 2>&1
  cmake --version | head -n 1
  g++ --version | head -n 1
  nproc
} > "$OUT/machine.txt" 2>&1
sed 's/^/    /' "$OUT/machine.txt" >> "$SUMMARY"
note ""

# --- node and the JavaScript, carried
if [ -s .carry/node.xz ]; then
  mkdir -p /tmp/ipcae-node/bin
  xz -dc .carry/node.xz > /tmp/ipcae-node/bin/node && chmod +x /tmp/ipcae-node/bin/node
  export PATH=/tmp/ipcae-node/bin:$PATH
fi
if [ ! -d node_modules ] && [ -s .carry/node_modules.tar.xz ]; then
  xz -dc .carry/node_modules.tar.xz | tar -xf -
fi
if ! command -v node >/dev/null || [ ! -d node_modules ] || [ ! -f dist/lib/index.js ]; then
  note "- setup: FAILED: node, node_modules or dist/ missing (run scripts/gpu-check.sh --prepare and carry .carry and dist)"
  exit 1
fi
note "- node $(node --version)"

# --- build: a fresh build directory, LibTorch from python3's torch (CMakeLists.txt finds it)
if ! command -v nvcc >/dev/null; then
  for d in /usr/local/cuda/bin /usr/local/cuda-13.0/bin; do
    [ -x "$d/nvcc" ] && export PATH="$d:$PATH" CUDACXX="$d/nvcc" && break
  done
fi
rm -rf build
JOBS=$(nproc)
if ! phase build 300 env CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" node node_modules/cmake-js/bin/cmake-js compile --out build --parallel "$JOBS"; then
  note "build failed: last lines of build.log:"
  tail -n 30 "$OUT/build.log" | sed 's/^/    /' >> "$SUMMARY"
  # Without the CUDA kernel the rest still measures something (the tensor-op path on the GPU, the
  # PyTorch loop, the suite): one device call is too dear to come back with nothing.
  rm -rf build
  phase build-without-kernel 300 env CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" node node_modules/cmake-js/bin/cmake-js compile --out build \
    --parallel "$JOBS" --CDIPCAE_CUDA_KERNELS=OFF || {
    tail -n 30 "$OUT/build-without-kernel.log" | sed 's/^/    /' >> "$SUMMARY"
    exit 1
  }
fi
grep -h -E "ipcae: (Torch|fused CUDA|CPU LibTorch)" "$OUT"/build*.log | sed 's/^/    /' >> "$SUMMARY"
node -e "const c=require('./dist/cjs/index.cjs').capabilities(); console.log(JSON.stringify({torch:c.torchVersion,cuda:c.cudaAvailable,devices:c.cudaDevices,cudaKernels:c.cudaKernels}))" \
  > "$OUT/capabilities.json" 2>&1
note "    capabilities: $(cat "$OUT/capabilities.json")"
# GPU=1: a CUDA device; KERNEL=1: and the fused kernel built. Without the kernel the GPU is still
# measured (tensor-op selection); without a GPU everything runs on the CPU (a rehearsal).
GPU=0
KERNEL=0
grep -q '"cuda":true' "$OUT/capabilities.json" && GPU=1
grep -q '"cudaKernels":true' "$OUT/capabilities.json" && KERNEL=1
DEVICE=cuda
[ $GPU -eq 1 ] || { DEVICE=cpu; note "    no CUDA device: the CUDA parts below are skipped (rehearsal)"; }
[ $GPU -eq 1 ] && [ $KERNEL -eq 0 ] && note "    **no fused CUDA kernel in this build**: the GPU runs the tensor-op selection"

# --- the CUDA tests (skip cleanly without a GPU)
phase cuda-tests 120 env IPCAE_TEST_DEVICE=cuda node --test dist/test/cuda.test.js
grep -E "^# (pass|fail|skipped)" "$OUT/cuda-tests.log" | tr '\n' ' ' | sed 's/^/    /' >> "$SUMMARY"; echo >> "$SUMMARY"

# --- fused kernel vs the tensor-op reference, and determinism (tables in markdown)
phase kernel-check 120 node scripts/gpu-check.mjs kernels --device "$DEVICE" --out "$OUT/kernel-check.md"
phase determinism 150 node scripts/gpu-check.mjs determinism --device "$DEVICE" --out "$OUT/determinism.md"

# --- speed: MNIST-shaped IP-CAE, R = 1 and 10 (and R = 10 on the tensor-op path); the peak GPU
# memory of each, sampled by nvidia-smi every 100 ms (memory.used: the CUDA context included)
bench_case() { # NAME LIMIT ARGS...
  local name=$1 limit=$2 sampler=
  shift 2
  if [ $GPU -eq 1 ] && command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 100 > "$OUT/$name-memory.csv" 2>/dev/null &
    sampler=$!
  fi
  phase "$name" "$limit" node --expose-gc dist/bench/run.js --device "$DEVICE" --cases mnist-shape "$@"
  if [ -n "$sampler" ]; then
    kill "$sampler" 2>/dev/null
    note "    $name: peak GPU memory.used $(awk 'max<$1{max=$1} END{print max+0}' "$OUT/$name-memory.csv") MiB"
  fi
  grep -E "^mnist-shape" "$OUT/$name.log" | sed 's/^/    /' >> "$SUMMARY"
}
bench_case bench-r1 90 --replicas 1 --mnist-epochs 5
bench_case bench 120 --replicas 10 --mnist-epochs 5
[ $GPU -eq 1 ] && bench_case bench-tensor-ops 90 --replicas 10 --mnist-epochs 3 --selection tensor

# --- the yardstick: a plain PyTorch eager loop on the same device, one seed
phase pytorch-loop 120 python3 bench/pytorch_loop.py --case mnist-shape --device "$DEVICE" --epochs 3 --seeds 11
grep -E "^pytorch-loop" "$OUT/pytorch-loop.log" | sed 's/^/    /' >> "$SUMMARY"
node scripts/gpu-check.mjs targets --bench "$OUT/bench.log" --loop "$OUT/pytorch-loop.log" >> "$SUMMARY" 2>&1

# --- the whole suite with the CUDA device selected, in the time that is left
LEFT=$(( BUDGET - $(elapsed) ))
if [ $LEFT -gt 60 ]; then
  phase test-suite "$LEFT" env IPCAE_TEST_DEVICE="$DEVICE" node --test --test-concurrency=4 dist/test/
  grep -E "^# (tests|pass|fail|skipped|cancelled)" "$OUT/test-suite.log" | tr '\n' ' ' | sed 's/^/    /' >> "$SUMMARY"; echo >> "$SUMMARY"
  grep -E "^not ok" "$OUT/test-suite.log" | head -n 20 | sed 's/^/    /' >> "$SUMMARY"
else
  note "- test-suite: not run ($LEFT s left of the ${BUDGET} s budget)"
fi
note ""
note "total $(elapsed) s"
