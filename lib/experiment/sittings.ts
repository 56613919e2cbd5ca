// The time a run took, over all the sittings it needed. A run killed (preempted, cancelled) and
// resumed would otherwise report only its last sitting's seconds; each checkpoint records the
// seconds spent up to it and how many sittings contributed, and the resumed run adds them. Work
// done after a sitting's last checkpoint was lost with the kill and is not counted.

/** What a checkpoint records about the time spent up to it (absent in checkpoints of older versions). */
export interface SittingsRecord {
  seconds?: number;
  sittings?: number;
}

/** In a summary of a resumed run: the sittings and the seconds before this one (null: not recorded by the checkpoint's writer). */
export interface SittingsSummary {
  count: number;
  secondsBefore: number | null;
}

export class RunClock {
  private readonly t0 = Date.now();
  private readonly before: number | null;
  /** This sitting's number (1 for a run that did not resume). */
  readonly sitting: number;

  /** resumedFrom: the record of the checkpoint this sitting resumed from; undefined for a fresh run. */
  constructor(resumedFrom?: SittingsRecord) {
    if (!resumedFrom) {
      this.before = 0;
      this.sitting = 1;
      return;
    }
    const s = resumedFrom.seconds;
    this.before = typeof s === 'number' && Number.isFinite(s) && s >= 0 ? s : null;
    const n = resumedFrom.sittings;
    this.sitting = (typeof n === 'number' && Number.isInteger(n) && n >= 1 ? n : 1) + 1;
  }

  /** Seconds of this sitting so far. */
  sittingSeconds(): number {
    return (Date.now() - this.t0) / 1000;
  }

  /** Seconds of every sitting so far (earlier sittings whose time was not recorded count as 0). */
  totalSeconds(): number {
    return (this.before ?? 0) + this.sittingSeconds();
  }

  /** For a checkpoint written now. */
  record(): Required<SittingsRecord> {
    return { seconds: Number(this.totalSeconds().toFixed(3)), sittings: this.sitting };
  }

  /** For the summary: secondsTotal over all sittings, and the sittings when there was more than one. */
  summary(): { secondsTotal: number; sittings?: SittingsSummary } {
    return {
      secondsTotal: this.totalSeconds(),
      ...(this.sitting > 1 ? { sittings: { count: this.sitting, secondsBefore: this.before } } : {}),
    };
  }
}

/** The line summary.md gives a resumed run. */
export function sittingsLine(secondsTotal: number, s: SittingsSummary): string {
  return s.secondsBefore === null
    ? `Resumed run (${s.count} sittings): ${secondsTotal.toFixed(1)} s counts only the last sitting; the checkpoint it resumed from did not record the time before it (written by an older ipcae).`
    : `Resumed run (${s.count} sittings): ${secondsTotal.toFixed(1)} s in all, ${s.secondsBefore.toFixed(1)} s of them before the last sitting (up to the checkpoint it resumed from; work lost at a kill is not counted).`;
}
