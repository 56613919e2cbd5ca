// The published numbers (../shared/PAPER-TARGETS.md: Tables 1 and 2 of the paper), for comparison.
export const PAPER: Record<string, Record<string, Record<string, [number, number]>>> = {
  classification: {
    isolet: { cae: [75.82, 2.31], 'cae-gjsd': [77.56, 0.82], 'ip-cae': [91.85, 0.55] },
    coil20: { cae: [80.7, 2.93], 'cae-gjsd': [82.1, 3.72], 'ip-cae': [97.92, 0.57] },
    mice: { cae: [63.1, 6.51], 'cae-gjsd': [68.43, 7.75], 'ip-cae': [94.26, 1.48] },
  },
  reconstruction: {
    isolet: { cae: [5.42e-3, 6.25e-5], 'cae-gjsd': [4.86e-3, 4.52e-5], 'ip-cae': [4.38e-3, 1.28e-5] },
    coil20: { cae: [4.21e-3, 7.69e-5], 'cae-gjsd': [2.8e-3, 2.85e-5], 'ip-cae': [2.48e-3, 1.39e-5] },
    mice: { cae: [8.71e-3, 2.61e-4], 'cae-gjsd': [8.23e-3, 2.99e-4], 'ip-cae': [6.9e-3, 1.25e-4] },
  },
};

export function paperValue(dataset: string, task: string, method: string): [number, number] | undefined {
  return PAPER[task]?.[dataset]?.[method];
}
