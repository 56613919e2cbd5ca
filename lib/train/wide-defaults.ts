// The defaults that depend on the table's width: P (the IP selector's embedding size) and the
// Gumbel noise. Up to FULL_P_MAX_FEATURES features the paper's choices hold (P = D, per-sample
// noise); above, P = max(WIDE_P_MIN, K) and per-batch noise, unless the user chose. Why: P = D costs
// 16·D² bytes per seed (the D × D weights, their gradient and Adam's two moments: 64 MiB at D =
// 2,048, 6.3 GiB at GENE's 20,531) and K·D² multiply-adds three times a step. The study in
// docs/results.md ("What a smaller P costs") measured, on a wide planted table, P = 64 ahead of
// P = 256 and per-batch noise equal to per-sample; P is kept at least K so that the K selector
// nodes' logits are not confined to fewer dimensions than there are nodes (not measured).
export const FULL_P_MAX_FEATURES = 2048;
export const WIDE_P_MIN = 64;

/** The wide default P for K selected features. */
export const wideP = (k: number) => Math.max(WIDE_P_MIN, k);

export type Noise = 'per-sample' | 'per-batch';

export interface WidthDefaults {
  /** 0: P = D. */
  p: number;
  noise: Noise;
  /** Set when a default differed from the paper's because of the width: what and why. */
  note?: string;
}

/**
 * P and noise for a table of D features and K selected: what was given stays; what was not follows the rule.
 * `freeP`: the method's P can be chosen (the shared IP map; CAE has no P, ip-diag and ip-scalar need P = D).
 */
export function widthDefaults(D: number, k: number, given: { p?: number; noise?: Noise }, freeP: boolean): WidthDefaults {
  const wide = D > FULL_P_MAX_FEATURES;
  const p = given.p ?? (wide && freeP ? Math.min(D, wideP(k)) : 0);
  const noise = given.noise ?? (wide ? 'per-batch' : 'per-sample');
  const changed = [
    ...(given.p === undefined && p !== 0 ? [`P = ${p}`] : []),
    ...(given.noise === undefined && noise === 'per-batch' ? ['per-batch noise'] : []),
  ];
  const paper = [
    ...(given.p === undefined && p !== 0 ? [{ flag: `--p ${D}`, key: 'p: 0', words: 'P = D' }] : []),
    ...(given.noise === undefined && noise === 'per-batch' ? [{ flag: '--noise per-sample', key: "noise: 'per-sample'", words: 'per-sample noise' }] : []),
  ];
  const note = changed.length
    ? `${changed.join(' and ')}: the defaults for tables wider than ${FULL_P_MAX_FEATURES.toLocaleString('en-US')} features (this one has ${D.toLocaleString('en-US')}); the paper's ${paper.map((x) => x.words).join(' and ')}: ${paper.map((x) => x.flag).join(' ')} (or ${paper.map((x) => x.key).join(', ')})`
    : undefined;
  return { p, noise, ...(note ? { note } : {}) };
}
