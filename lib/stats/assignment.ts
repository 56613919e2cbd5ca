// Exactly K distinct features from K selector nodes: when argmax picks one feature for several
// nodes, the nodes are assigned to K different features by maximum total selection probability —
// a linear-sum assignment on the K × D probability matrix (munkres: Hungarian algorithm,
// rectangular). When the argmaxes are already distinct they are that optimum, and are kept as is.
import { munkres } from 'munkres';

export const hasDuplicates = (selected: number[]) => new Set(selected).size !== selected.length;

/**
 * The K distinct feature indices (node k's feature at position k) that maximise Σ_k p[k, j_k] over
 * the K × D row-major probabilities; `selected` (the argmaxes) when they are distinct already.
 */
export function distinctSelection(probabilities: ArrayLike<number>, k: number, d: number, selected: number[]): number[] {
  if (k > d) throw new Error(`distinctSelection: K = ${k} nodes cannot take distinct features among D = ${d}`);
  if (!hasDuplicates(selected)) return selected;
  const cost: number[][] = [];
  for (let r = 0; r < k; r++) {
    const row = new Array<number>(d);
    for (let j = 0; j < d; j++) row[j] = -probabilities[r * d + j];
    cost.push(row);
  }
  const out = new Array<number>(k).fill(-1);
  for (const [r, j] of munkres(cost)) out[r] = j;
  return out;
}
