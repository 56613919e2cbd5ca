// npm install hook: build the native addon against the LibTorch found on this machine.
// Skips when IPCAE_SKIP_BUILD is set or a built addon already loads. npm hides install-script
// output, so the one line that says a minutes-long build is starting goes to the terminal itself.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { closeSync, existsSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
/** The one apt line (package.json "ipcae".systemPackages): the same in setup.mjs, bindings and the README. */
export const aptLine = `apt-get install --no-install-recommends ${pkg.ipcae.systemPackages.join(' ')}`;
const inProject = root.split(path.sep).includes('node_modules');

/** To the terminal when there is one (npm captures stdout and stderr of install scripts), and to stderr. */
function say(line) {
  let tty;
  try {
    tty = openSync('/dev/tty', 'w');
    writeSync(tty, line + '\n');
  } catch {
    // no controlling terminal (CI): stderr only
  } finally {
    if (tty !== undefined) closeSync(tty);
  }
  process.stderr.write(line + '\n');
}

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
say(
  `ipcae: building the native addon against LibTorch with cmake-js (a few minutes; ` +
    `${inProject ? '`npm rebuild ipcae --foreground-scripts`' : '`npm run build:native`'} shows the compiler's output)…`,
);
const cmakeJs = require.resolve('cmake-js/bin/cmake-js');
const args = [cmakeJs, 'compile', '--out', 'build', ...argv.filter((a) => a !== '--force')];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
if (r.status !== 0) {
  say(
    '\nipcae: building the native addon failed.\n' +
      '  It needs LibTorch, CMake and a C++17 compiler. On Debian 12 / Ubuntu, as root:\n' +
      `    ${aptLine}\n` +
      `  then: ${inProject ? 'npm rebuild ipcae' : 'npm run build:native'}\n` +
      '  Another LibTorch: set Torch_DIR=/path/to/share/cmake/Torch, or install PyTorch for python3.',
  );
  process.exit(r.status ?? 1);
}
say('ipcae: native addon built');
