/**
 * What the monitor counts per VM, as plain records so the CLI, --json and the
 * benchmarks read the same numbers.
 *
 * The counts the monitor bumps on every exit — traps by cause, privileged
 * instructions by opcode, reflections by cause — go into typed arrays indexed
 * by number, and become named records only when read: a trap-heavy guest
 * takes a quarter of a million exits a second, and naming each one (a cause's
 * name, an opcode's mnemonic, a string-keyed property bump) cost 6% of the
 * syscall benchmark's time under the native monitor.
 */
import { opInfo } from '../../isa/opcodes.js';
import { causeName, EXCEPTION_COUNT } from '../../vm/trap.js';

export type Counts = Record<string, number>;

export function bump(counts: Counts, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/**
 * Wall time is split between guest and monitor by timing one exit in
 * TIME_SAMPLE (its handling, from the trap to the guest running again) and
 * counting the others: a clock read per exit was 9% of the syscall
 * benchmark's time, and an exit handled without leaving the real CPU's run
 * loop (fast-path.ts) cannot be timed apart from the guest at all otherwise.
 */
export const TIME_SAMPLE = 16;

export class VmStats {
  private readonly trapCounts: Counts = {};
  private readonly emulatedCounts: Counts = {};
  private readonly reflectedCounts: Counts = {};
  /** Not yet in the records: traps by exception cause, emulated instructions by opcode, reflections by cause. */
  readonly trapsByCause = new Float64Array(EXCEPTION_COUNT);
  readonly emulatedByOp = new Float64Array(256);
  readonly reflectedByCause = new Float64Array(EXCEPTION_COUNT);

  /** Traps the real CPU took while running this VM, by cause. */
  get traps(): Counts {
    this.fold();
    return this.trapCounts;
  }
  /** Privileged instructions emulated, by mnemonic. */
  get emulated(): Counts {
    this.fold();
    return this.emulatedCounts;
  }
  /** Traps handed to the guest kernel as if the hardware had delivered them, by cause. */
  get reflected(): Counts {
    this.fold();
    return this.reflectedCounts;
  }
  /** Virtual interrupts injected, by line. */
  readonly injected: Counts = {};
  /** Real page faults the guest never saw (shadow entry filled, access retried). */
  hiddenFaults = 0;
  /** Real page faults that were the guest's own (its tables said fault). */
  reflectedFaults = 0;
  /** Device register accesses emulated. */
  mmio = 0;
  /** Wall time with the real CPU running this guest, and in the monitor on its behalf (estimated: TIME_SAMPLE). */
  guestMs = 0;
  monitorMs = 0;
  /** Exits until the next one is timed (TIME_SAMPLE). */
  untilTimed = TIME_SAMPLE;

  /** One trap taken to the monitor, of an exception cause (interrupts never reach it: the real CPU runs with them off). */
  trap(cause: number): void {
    if (cause < EXCEPTION_COUNT) this.trapsByCause[cause]!++;
    else bump(this.trapCounts, causeName(cause));
  }

  /** A trap reflected into the guest kernel. */
  reflect(cause: number): void {
    if (cause < EXCEPTION_COUNT) this.reflectedByCause[cause]!++;
    else bump(this.reflectedCounts, causeName(cause));
  }

  /** Move the typed counters into the named records. */
  private fold(): void {
    foldInto(this.trapCounts, this.trapsByCause, causeName);
    foldInto(this.reflectedCounts, this.reflectedByCause, causeName);
    foldInto(this.emulatedCounts, this.emulatedByOp, (op) => opInfo(op)?.name ?? `opcode-${op}`);
  }

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
    Object.assign(s.trapCounts, r.traps);
    Object.assign(s.emulatedCounts, r.emulated);
    Object.assign(s.reflectedCounts, r.reflected);
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

function foldInto(counts: Counts, pending: Float64Array, name: (index: number) => string): void {
  for (let i = 0; i < pending.length; i++) {
    if (pending[i] === 0) continue;
    bump(counts, name(i), pending[i]);
    pending[i] = 0;
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;
