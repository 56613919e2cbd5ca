// Reference implementations of the docs/method.md §5 selection metrics in plain TypeScript: exported
// for users who hold logits of their own, and used by the tests to check the native values.

/** 100 · |{argmax_d L_kd}| / K for logits (or probabilities) L, K × D row-major. */
export function uniquePercentage(L: ArrayLike<number>, K: number, D: number): number {
  const picked = new Set<number>();
  for (let k = 0; k < K; k++) {
    let best = 0;
    for (let d = 1; d < D; d++) if (L[k * D + d] > L[k * D + best]) best = d;
    picked.add(best);
  }
  return (100 * picked.size) / K;
}

function softmaxRows(L: ArrayLike<number>, K: number, D: number): Float64Array[] {
  const rows: Float64Array[] = [];
  for (let k = 0; k < K; k++) {
    let mx = -Infinity;
    for (let d = 0; d < D; d++) mx = Math.max(mx, L[k * D + d]);
    const r = new Float64Array(D);
    let s = 0;
    for (let d = 0; d < D; d++) s += r[d] = Math.exp(L[k * D + d] - mx);
    for (let d = 0; d < D; d++) r[d] /= s;
    rows.push(r);
  }
  return rows;
}

/** GJSD = (1/K) Σ_k Σ_d π_kd (log π_kd − log m_d), π = softmax(L), m = mean_k π_k. */
export function gjsd(L: ArrayLike<number>, K: number, D: number): number {
  const pi = softmaxRows(L, K, D);
  const m = new Float64Array(D);
  for (const r of pi) for (let d = 0; d < D; d++) m[d] += r[d] / K;
  let g = 0;
  for (const r of pi) for (let d = 0; d < D; d++) if (r[d] > 0) g += r[d] * (Math.log(r[d]) - Math.log(m[d]));
  return g / K;
}

/** mean over k of max_d softmax(L)_kd. */
export function meanMaxProbability(L: ArrayLike<number>, K: number, D: number): number {
  return softmaxRows(L, K, D).reduce((a, r) => a + Math.max(...r), 0) / K;
}
