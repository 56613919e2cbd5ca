// The temperature schedule of docs/method.md §1: fixed within an epoch, T_b = T0 * (TE / T0)^(b / E)
// at the start of epoch b = 0 … E-1. TE itself is never reached.

export interface TemperatureSchedule {
  t0: number;
  tEnd: number;
  epochs: number;
}

export const DEFAULT_SCHEDULE: TemperatureSchedule = { t0: 10, tEnd: 0.01, epochs: 200 };

export function temperatureAt(epoch: number, s: TemperatureSchedule = DEFAULT_SCHEDULE): number {
  return s.t0 * Math.pow(s.tEnd / s.t0, epoch / s.epochs);
}

/** Temperatures of epochs [from, to) of a schedule of s.epochs epochs. */
export function temperatures(s: TemperatureSchedule, from = 0, to = s.epochs): number[] {
  const out: number[] = [];
  for (let b = from; b < to; b++) out.push(temperatureAt(b, s));
  return out;
}
