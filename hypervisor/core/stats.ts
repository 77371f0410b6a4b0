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

  toJSON(): Record<string, unknown> {
    return {
      traps: this.traps,
      emulated: this.emulated,
      reflected: this.reflected,
      injected: this.injected,
      hiddenFaults: this.hiddenFaults,
      reflectedFaults: this.reflectedFaults,
      mmio: this.mmio,
      guestMs: round(this.guestMs),
      monitorMs: round(this.monitorMs),
    };
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;
