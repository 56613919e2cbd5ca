// npm install hook: build the native addon against the LibTorch found on this machine.
// Skips when IPCAE_SKIP_BUILD is set or a built addon already loads.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

if (process.env.IPCAE_SKIP_BUILD) {
  console.log('ipcae: IPCAE_SKIP_BUILD is set, not building the native addon');
  process.exit(0);
}
const argv = process.argv.slice(2);
const force = Boolean(process.env.IPCAE_FORCE_BUILD) || argv.includes('--force');
const release = path.join(root, 'build', 'Release');
if (!force && existsSync(release) && readdirSync(release).some((f) => f.endsWith('.node'))) {
  try {
    require('node-gyp-build')(root);
    console.log('ipcae: native addon already built');
    process.exit(0);
  } catch {
    // fall through: rebuild
  }
}
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const args = [cmakeJs, "compile", "--out", "build", ...argv.filter((a) => a !== "--force")];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  console.error(
    '\nipcae: building the native addon failed.\n' +
      '  It needs LibTorch, CMake and a C++17 compiler. On Debian/Ubuntu, as root:\n' +
      '    apt-get install --no-install-recommends libtorch-dev libopenblas0-pthread cmake g++\n' +
      '  (or run `node scripts/setup.mjs`, which installs them when run as root).\n' +
      '  Another LibTorch: set Torch_DIR=/path/to/share/cmake/Torch, or install PyTorch for python3.\n',
  );
  process.exit(r.status ?? 1);
}
