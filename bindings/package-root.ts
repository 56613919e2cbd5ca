// The installed package's root directory (the one whose package.json is ipcae's), found by walking up
// from this module: the same answer from dist/ (ESM) and from the CommonJS bundle in dist/cjs/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'ipcae') return (root = dir);
      } catch {
        // an unreadable package.json: keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`ipcae: cannot find the package root above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The installed package's version (its package.json): what manifests and --version report. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
