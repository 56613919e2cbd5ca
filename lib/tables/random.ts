// The two MT19937-based permutations that drew the published splits (docs/method.md §6), in TypeScript so
// that splits never depend on a LibTorch or NumPy version.

/** Standard 32-bit Mersenne Twister (MT19937) with init_genrand seeding. */
export class MT19937 {
  private mt = new Uint32Array(624);
  private index = 625;
  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      // 1812433253 * prev + i, in 32-bit arithmetic
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = 624;
  }
  nextUint32(): number {
    if (this.index >= 624) this.twist();
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y = (y ^ ((y << 7) & 0x9d2c5680)) >>> 0;
    y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
    y ^= y >>> 18;
    return y >>> 0;
  }
  private twist() {
    const mt = this.mt;
    for (let i = 0; i < 624; i++) {
      const y = (mt[i] & 0x80000000) | (mt[(i + 1) % 624] & 0x7fffffff);
      let v = mt[(i + 397) % 624] ^ (y >>> 1);
      if (y & 1) v ^= 0x9908b0df;
      mt[i] = v >>> 0;
    }
    this.index = 0;
  }
}

/** torch.utils.data.random_split's permutation under Generator().manual_seed(seed) (torch.randperm on CPU). */
export function torchRandperm(n: number, seed: number): Int32Array {
  const g = new MT19937(seed);
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const z = g.nextUint32() % (n - i);
    const t = r[i];
    r[i] = r[i + z];
    r[i + z] = t;
  }
  return r;
}

/** NumPy's legacy RandomState(seed).permutation(n) (as used by scikit-learn's train_test_split). */
export function numpyLegacyPermutation(n: number, seed: number): Int32Array {
  const g = new MT19937(seed);
  const r = new Int32Array(n);
  for (let i = 0; i < n; i++) r[i] = i;
  for (let i = n - 1; i >= 1; i--) {
    let mask = i;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    let v: number;
    do {
      v = (g.nextUint32() & mask) >>> 0;
    } while (v > i);
    const t = r[i];
    r[i] = r[v];
    r[v] = t;
  }
  return r;
}

/** scikit-learn train_test_split(a, train_size=f, shuffle=True, random_state=seed) on index array a. */
export function trainTestSplit(a: ArrayLike<number>, trainFraction: number, seed: number): { train: number[]; test: number[] } {
  const n = a.length;
  const nTrain = Math.floor(trainFraction * n);
  const nTest = n - nTrain;
  const r = numpyLegacyPermutation(n, seed);
  const test: number[] = [],
    train: number[] = [];
  for (let i = 0; i < nTest; i++) test.push(a[r[i]]);
  for (let i = nTest; i < n; i++) train.push(a[r[i]]);
  return { train, test };
}
