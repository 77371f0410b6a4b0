/**
 * What the monitor counts per VM, as plain records so the CLI, --json and the
 * benchmarks read the same numbers.
 */

export type Counts = Record<string, number>;

export function bump(counts: Counts, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

export class VmStats {
  /** Traps the real CPU took while running this VM, by cause. */
  readonly traps: Counts = {};
  /** Privileged instructions emulated, by mnemonic. */
  readonly emulated: Counts = {};
  /** Traps handed to the guest kernel as if the hardware had delivered them, by cause. */
  readonly reflected: Counts = {};
  /** Virtual interrupts injected, by line. */
  readonly injected: Counts = {};
  /** Real page faults the guest never saw (shadow entry filled, access retried). */
  hiddenFaults = 0;
  /** Real page faults that were the guest's own (its tables said fault). */
  reflectedFaults = 0;
  /** Device register accesses emulated. */
  mmio = 0;
  /** Wall time with the real CPU running this guest, and in the monitor on its behalf. */
  guestMs = 0;
  monitorMs = 0;

  /** The counts as plain data (maps copied, times rounded to 0.01 ms): what crosses threads, the control protocol and --json. */
  toRecord(): VmStatsRecord {
    return {
      traps: { ...this.traps },
      emulated: { ...this.emulated },
      reflected: { ...this.reflected },
      injected: { ...this.injected },
      hiddenFaults: this.hiddenFaults,
      reflectedFaults: this.reflectedFaults,
      mmio: this.mmio,
      guestMs: round(this.guestMs),
      monitorMs: round(this.monitorMs),
    };
  }

  toJSON(): VmStatsRecord {
    return this.toRecord();
  }

  /** Counts back from their plain data; a missing record or field counts as none. */
  static fromRecord(r: Partial<VmStatsRecord> | undefined): VmStats {
    const s = new VmStats();
    if (!r) return s;
    Object.assign(s.traps, r.traps);
    Object.assign(s.emulated, r.emulated);
    Object.assign(s.reflected, r.reflected);
    Object.assign(s.injected, r.injected);
    s.hiddenFaults = Number(r.hiddenFaults ?? 0);
    s.reflectedFaults = Number(r.reflectedFaults ?? 0);
    s.mmio = Number(r.mmio ?? 0);
    s.guestMs = Number(r.guestMs ?? 0);
    s.monitorMs = Number(r.monitorMs ?? 0);
    return s;
  }
}

/** VmStats as plain data, the one shape every reader of the counts uses. */
export interface VmStatsRecord {
  readonly traps: Readonly<Counts>;
  readonly emulated: Readonly<Counts>;
  readonly reflected: Readonly<Counts>;
  readonly injected: Readonly<Counts>;
  readonly hiddenFaults: number;
  readonly reflectedFaults: number;
  readonly mmio: number;
  readonly guestMs: number;
  readonly monitorMs: number;
}

const round = (x: number): number => Math.round(x * 100) / 100;
