// The one shape every dataset reader produces and every run consumes: SPEC 6's splits as dense
// row-major Float32 matrices, with the names and the provenance of the data.

export interface PreparedDataset {
  name: string;
  featureNames: string[];
  classNames: string[];
  inputDim: number;
  classes: number;
  train: { x: Float32Array; y: Int32Array };
  val: { x: Float32Array; y: Int32Array };
  test: { x: Float32Array; y: Int32Array };
  indices: { train: number[]; val: number[]; test: number[] };
  /** The raw files read, with their SHA-256 (recorded in run manifests). */
  sources: { file: string; sha256: string }[];
}
