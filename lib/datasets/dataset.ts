// The one shape every dataset reader produces and every run consumes: the splits of docs/method.md §6 as dense
// row-major Float32 matrices, with the names and the provenance of the data.

export interface PreparedDataset {
  name: string;
  featureNames: string[];
  classNames: string[];
  inputDim: number;
  classes: number;
  /** y: class indices (classification), the target (regression, one value per row), or zeros (reconstruction). */
  train: { x: Float32Array; y: Int32Array | Float32Array };
  val: { x: Float32Array; y: Int32Array | Float32Array };
  test: { x: Float32Array; y: Int32Array | Float32Array };
  indices: { train: number[]; val: number[]; test: number[] };
  /** The raw files read, with their SHA-256 (recorded in run manifests). */
  sources: { file: string; sha256: string }[];
}
