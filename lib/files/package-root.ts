// The installed package's root and version: defined beside the addon's loader (bindings/), which needs them first.
export { packageRoot, packageVersion } from '../../bindings/package-root.js';
