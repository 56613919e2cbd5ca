// `import … from 'ipcae/datasets'`: the dataset zoo — the paper's datasets and the official code's
// wide ones by name (read from raw files, prepared and cached), the embedded MNIST digits, the
// published splits' random permutations.
export { DATASET_REGISTRY, loadNamedDataset, listDatasets, dataDir } from '../datasets/registry.js';
export type { DatasetInfo } from '../datasets/registry.js';
export type { PreparedDataset } from '../datasets/dataset.js';
export { prepareMice } from '../datasets/mice.js';
export { prepareEmbeddedMnist } from '../datasets/embedded.js';
export { loadTableDataset } from '../datasets/load.js';
export { torchRandperm, numpyLegacyPermutation, trainTestSplit, MT19937 } from '../tables/random.js';
