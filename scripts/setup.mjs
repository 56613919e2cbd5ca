// Makes a fresh clone runnable: system packages (Debian/Ubuntu, installed when run as root,
// otherwise the exact command is printed), npm dependencies, the native addon, the TypeScript build.
// Idempotent and quick when everything is already there.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (m) => console.log(`ipcae setup: ${m}`);
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    console.error(`ipcae setup: '${cmd} ${args.join(' ')}' failed (exit ${r.status ?? r.signal})`);
    process.exit(1);
  }
};
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const multiarch = (() => {
  const r = spawnSync('sh', ['-c', 'gcc -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null'], { encoding: 'utf8' });
  return (r.stdout || '').trim() || 'x86_64-linux-gnu';
})();
const libdir = `/usr/lib/${multiarch}`;

function torchAvailable() {
  if (process.env.Torch_DIR || process.env.CMAKE_PREFIX_PATH) return true;
  if (existsSync(`${libdir}/cmake/Torch/TorchConfig.cmake`)) return true;
  const py = spawnSync('python3', ['-c', 'import torch'], { stdio: 'ignore' });
  return py.status === 0;
}

// --- system packages
// The packages are package.json's "ipcae".systemPackages (the one list the addon's advice uses too).
// OpenBLAS: the OpenMP build is what the addon links (shares LibTorch's threads); the pthread build
// makes the system default BLAS an optimised one (reference BLAS is ~13x slower).
const { systemPackages } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).ipcae;
const present = {
  cmake: () => has('cmake'),
  'g++': () => has('g++'),
  make: () => has('make'),
  'libtorch-dev': torchAvailable,
  'libopenblas0-openmp': () => existsSync(`${libdir}/openblas-openmp/libblas.so.3`),
  'libopenblas0-pthread': () => existsSync(`${libdir}/openblas-pthread/libblas.so.3`),
};
const missing = systemPackages.filter((p) => !(present[p] ?? (() => false))());
if (missing.length) {
  const cmd = `apt-get install -y --no-install-recommends ${missing.join(' ')}`;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot && has('apt-get')) {
    log(`installing ${missing.join(', ')}`);
    run('apt-get', ['update', '-qq'], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    run('apt-get', cmd.split(' ').slice(1), { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    console.error(
      `ipcae setup: missing system packages: ${missing.join(', ')}.\n` +
        `  On Debian 12 / Ubuntu run as root:  sudo apt-get update && sudo ${cmd}\n` +
        '  (another LibTorch: set Torch_DIR=/path/to/share/cmake/Torch, or install PyTorch for python3)',
    );
    process.exit(1);
  }
}

// --- npm dependencies (their install step builds the addon)
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const installed = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');
// npm writes node_modules/.package-lock.json when it installs: older than package-lock.json means
// the dependencies changed since (after a pull).
if (!existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs)) {
  log('installing npm dependencies');
  run(npm, [existsSync(path.join(root, 'package-lock.json')) ? 'ci' : 'install', '--no-audit', '--no-fund']);
}
const release = path.join(root, 'build', 'Release');
const addon = existsSync(release) ? readdirSync(release).find((f) => f.endsWith('.node')) : undefined;
// An addon older than the native sources (after a pull or an edit) would run the old code: rebuild.
const newest = (p) => {
  const st = statSync(p);
  return st.isDirectory() ? Math.max(st.mtimeMs, ...readdirSync(p).map((f) => newest(path.join(p, f)))) : st.mtimeMs;
};
const sourcesTime = Math.max(newest(path.join(root, 'native')), statSync(path.join(root, 'CMakeLists.txt')).mtimeMs);
if (!addon) {
  log('building the native addon');
  run(process.execPath, [path.join(root, 'scripts', 'install.mjs')]);
} else if (statSync(path.join(release, addon)).mtimeMs < sourcesTime) {
  log('the native sources changed since the addon was built: rebuilding it');
  run(process.execPath, [path.join(root, 'scripts', 'install.mjs'), '--force']);
}
// --- TypeScript
run(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json']);
run(process.execPath, [path.join(root, 'scripts', 'build-cjs.mjs')]);
log('ready');
