// The published numbers (Tables 1 and 2 of the IP-CAE paper, ICML 2024), for comparison.
export const PAPER: Record<string, Record<string, Record<string, [number, number]>>> = {
  classification: {
    isolet: { cae: [75.82, 2.31], 'cae-gjsd': [77.56, 0.82], 'ip-cae': [91.85, 0.55], stg: [84.95, 0.31], lassonet: [84.33, 0.28] },
    coil20: { cae: [80.7, 2.93], 'cae-gjsd': [82.1, 3.72], 'ip-cae': [97.92, 0.57], stg: [96.8, 0.25], lassonet: [89.37, 0.47] },
    mice: { cae: [63.1, 6.51], 'cae-gjsd': [68.43, 7.75], 'ip-cae': [94.26, 1.48], stg: [68.24, 1.11], lassonet: [77.12, 0.8] },
  },
  reconstruction: {
    isolet: { cae: [5.42e-3, 6.25e-5], 'cae-gjsd': [4.86e-3, 4.52e-5], 'ip-cae': [4.38e-3, 1.28e-5], stg: [7.0e-3, 1.96e-6], lassonet: [7.4e-3, 4.25e-6] },
    coil20: { cae: [4.21e-3, 7.69e-5], 'cae-gjsd': [2.8e-3, 2.85e-5], 'ip-cae': [2.48e-3, 1.39e-5], stg: [5.0e-3, 6.75e-6], lassonet: [6.24e-3, 5.42e-6] },
    mice: { cae: [8.71e-3, 2.61e-4], 'cae-gjsd': [8.23e-3, 2.99e-4], 'ip-cae': [6.9e-3, 1.25e-4], stg: [1.17e-2, 6.43e-5], lassonet: [1.16e-2, 4.45e-5] },
  },
};

export function paperValue(dataset: string, task: string, method: string): [number, number] | undefined {
  return PAPER[task]?.[dataset]?.[method];
}
