/**
 * The bare machine: what `typevisor boot` runs a kernel on. It plays the part
 * of board firmware — load the image into RAM, plug in the devices, start the
 * CPU in supervisor mode with paging off at the entry point with a0 = RAM size
 * (the whole boot protocol) — and then drives
 * run() in slices, turning its exits into what a board would do: wfi waits for
 * the next interrupt (virtual time skips to the timer), halt and power-off end
 * the run.
 */
import type { Image } from '../isa/image.js';
import { SECTION_ZERO } from '../isa/image.js';
import { Reg } from '../isa/registers.js';
import { Mode } from './cpu.js';
import { ConsoleDevice } from './devices/console.js';
import { ConsoleFeeder } from './devices/console-feeder.js';
import { DiskDevice, type DiskBackend } from './devices/disk.js';
import { NetDevice } from './devices/net.js';
import { PowerDevice } from './devices/power.js';
import { Exit } from './exit.js';
import { Machine, type JitDump, type Tier } from './machine.js';
import type { PhysicalMemory } from './memory.js';
import { DEFAULT_MEM_SIZE, RAM_BASE } from './memmap.js';
import { causeName, isInterrupt } from './trap.js';

export class BootError extends Error {
  override readonly name = 'BootError';
}

export interface BareOptions {
  readonly memSize?: number;
  readonly disk?: DiskBackend;
  /** Bytes the guest writes to its console. */
  readonly output?: (bytes: Uint8Array) => void;
  /** One line per trap and interrupt, as it happens. */
  readonly traceTraps?: (line: string) => void;
  /** Stop after this many instructions (a runaway guest). */
  readonly maxInstructions?: number;
  /** Instructions per run() slice. */
  readonly slice?: number;
  readonly tier?: Tier;
  /** Told the source of every translation (MachineOptions.jitDump). */
  readonly jitDump?: JitDump;
}

export type BootResult =
  | { readonly kind: 'poweroff'; readonly status: number }
  | { readonly kind: 'budget'; readonly instructions: number }
  | { readonly kind: 'stuck'; readonly reason: string };

/**
 * Copy an image's sections into RAM (a machine's, or a VM's guest-physical
 * window); every section must fit in RAM. Throws BootError saying which does not.
 */
export function loadImageIntoRam(memory: PhysicalMemory, image: Image): void {
  for (const s of image.sections) {
    const end = s.addr + s.size;
    if (memory.offsetOf(s.addr, Math.max(1, s.size)) < 0) {
      const hint = s.addr < RAM_BASE ? ` RAM starts at 0x${RAM_BASE.toString(16)}: a kernel must link there (.org 0x80000000); a user program runs with \`typevisor run\`.` : ` RAM is 0x${RAM_BASE.toString(16)}..0x${(RAM_BASE + memory.size).toString(16)} (raise --mem?).`;
      throw new BootError(`section ${s.name} at 0x${s.addr.toString(16)}..0x${end.toString(16)} is not in RAM.${hint}`);
    }
    if ((s.flags & SECTION_ZERO) !== 0) memory.fill(s.addr, s.size, 0);
    else memory.write(s.addr, s.data);
  }
}

/** Fetch faults in a row, with not one instruction retired between them, that make a trap loop. */
const TRAP_LOOP = 64;

/**
 * Why a guest whose fetches keep faulting is stuck: the trap vector itself
 * cannot be fetched (stvec 0 before a kernel sets it), so each delivery
 * faults again at once. The usual cause is booting a user program, whose
 * first system call traps to a vector nobody set.
 */
function trapLoop(m: Machine, before: Float64Array): string {
  let cause = 0;
  m.trapCounts.forEach((n, c) => {
    if (n - before[c]! > m.trapCounts[cause]! - before[cause]!) cause = c;
  });
  const pc = `0x${m.cpu.pc.toString(16).padStart(8, '0')}`;
  return `the guest is in a trap loop: fetching its trap vector at ${pc} faults (${causeName(cause)}) again and again, and not one instruction retires. ` +
    'A kernel sets stvec before anything can trap; a user program (one that makes system calls) runs with `typevisor run FILE`, or under the kernel from its disk.';
}

export class BareMachine {
  readonly machine: Machine;
  readonly console: ConsoleDevice;
  readonly disk: DiskDevice;
  readonly power = new PowerDevice();
  /** No cable: the kernel's network fd waits, rather than faulting on a missing device. */
  readonly net = new NetDevice();
  private readonly feeder: ConsoleFeeder;
  private out: number[] = [];
  private readonly options: BareOptions;
  private wake: (() => void) | undefined;
  wallMs = 0;

  constructor(image: Image, options: BareOptions = {}) {
    this.options = options;
    this.machine = new Machine({ memSize: options.memSize ?? DEFAULT_MEM_SIZE, ...(options.tier ? { tier: options.tier } : {}), ...(options.jitDump ? { jitDump: options.jitDump } : {}) });
    this.console = new ConsoleDevice((b) => this.out.push(b));
    this.feeder = new ConsoleFeeder(this.console);
    this.disk = new DiskDevice(options.disk);
    this.machine.addDevice(this.console);
    this.machine.addDevice(this.disk);
    this.machine.addDevice(this.power);
    this.machine.addDevice(this.net);
    loadImageIntoRam(this.machine.memory, image);
    this.machine.reset(image.entry, Mode.SUPERVISOR);
    // Boot protocol: a0 holds the RAM size, so a kernel can size its page pool.
    this.machine.cpu.regs[Reg.A0] = this.machine.memory.size;
    const trace = options.traceTraps;
    if (trace) {
      this.machine.onTrap = (cause, badaddr, pc, mode) => {
        const t = this.machine.now();
        const what = isInterrupt(cause) ? 'interrupt' : 'trap';
        trace(`[${what}] t=${t} ${causeName(cause)} pc=0x${pc.toString(16).padStart(8, '0')} badaddr=0x${badaddr.toString(16).padStart(8, '0')} from ${mode === Mode.USER ? 'user' : 'supervisor'}`);
      };
    }
  }

  /** Feed console input. `null` means the input has ended (no more will come). */
  input(bytes: Uint8Array | null): void {
    this.feeder.push(bytes);
    this.wake?.();
  }

  /** Say that console input may still arrive (stdin is open). */
  expectInput(): void {
    this.feeder.closed = false;
  }

  private pump(): void {
    this.feeder.pump();
  }

  private flush(): void {
    if (this.out.length === 0) return;
    const bytes = Uint8Array.from(this.out);
    this.out = [];
    this.options.output?.(bytes);
  }

  /** Run until power-off, the instruction limit, or a wait nothing can end. */
  async run(): Promise<BootResult> {
    const m = this.machine;
    const slice = this.options.slice ?? 1 << 20;
    const limit = this.options.maxInstructions ?? Infinity;
    const t0 = performance.now();
    let slices = 0;
    // Input that is already over (none attached) ends at time 0, the same on every
    // platform; live input arrives whenever the host delivers it.
    this.pump();
    try {
      for (;;) {
        // Trap deliveries that retire nothing (a faulting fetch) spend the budget too.
        const left = limit - (m.cpu.instret + m.fetchFaults);
        if (left <= 0) return { kind: 'budget', instructions: m.cpu.instret };
        const retired = m.cpu.instret;
        const faults = m.fetchFaults;
        const counts = m.trapCounts.slice();
        const e = m.run(Math.min(slice, left));
        this.flush();
        if (m.cpu.instret === retired && m.fetchFaults - faults >= TRAP_LOOP) return { kind: 'stuck', reason: trapLoop(m, counts) };
        if (e === Exit.HALT) return { kind: 'poweroff', status: m.exitStatus };
        if (e === Exit.WFI) {
          this.pump();
          if (m.wakeable()) continue;
          // Let host input in before deciding what the wait means.
          await new Promise<void>((r) => setImmediate(r));
          this.pump();
          if (m.wakeable()) continue;
          if (m.skipToTimer()) continue;
          if (!this.feeder.live) return { kind: 'stuck', reason: 'the guest waits for an interrupt, but no timer is set and console input has ended' };
          await new Promise<void>((r) => (this.wake = r));
          this.wake = undefined;
          continue;
        }
        if (e === Exit.TRAP) throw new BootError('internal: a trap reached the host on the bare machine');
        if (++slices % 8 === 0) {
          await new Promise<void>((r) => setImmediate(r));
          this.pump();
        }
      }
    } finally {
      this.flush();
      this.wallMs = performance.now() - t0;
    }
  }
}
