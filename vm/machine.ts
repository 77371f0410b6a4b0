/**
 * The machine: a CPU, RAM, an MMU and devices on a bus, and `run(budget)`.
 *
 * The interpreter loop itself is in interpreter.ts; this file holds the slow
 * paths it calls (CSR access, trap entry, device access) and the state as
 * plain data. Whoever drives the machine — boot firmware, the process
 * runtime, a monitor, a debugger — calls run() in slices and decides what each
 * exit means.
 */
import { Csr, Irq } from '../isa/csr.js';
import { Bus, type Device, type DeviceHost } from './device.js';
import { DecodedCode } from './decoded.js';
import { CpuState, Mode, NO_DEADLINE, type CpuSnapshot } from './cpu.js';
import { Exit } from './exit.js';
import { Jit, type JitDump } from './jit/jit.js';
export type { JitDump } from './jit/jit.js';
import { run as interpret } from './interpreter.js';
import { DEFAULT_MEM_SIZE } from './memmap.js';
import { wasmCoreMemory, type WasmCore } from './core/wasm-core.js';
import { PhysicalMemory } from './memory.js';
import { Access, Mmu, PTE_R, PTE_W, XLATE_FAULT, XLATE_MMIO } from './mmu.js';
import { deliverableIrq, enterTrap, readCsr, timerPending, writeCsr, type PrivilegedEnv } from './privileged.js';
import { Cause, EXCEPTION_COUNT, INTERRUPT_BIT } from './trap.js';

export interface MachineOptions {
  /** RAM size in bytes (multiple of 4 KiB, at most 1 GiB). */
  readonly memSize?: number;
  /** Back RAM with a SharedArrayBuffer (a worker thread runs the vCPU). */
  readonly shared?: boolean;
  /** An existing RAM buffer to run over (the hosted monitor's worker). */
  readonly buffer?: ArrayBuffer | SharedArrayBuffer;
  /**
   * Traps and interrupts leave run() with Exit.TRAP instead of vectoring
   * through tvec: the host is the supervisor (process runtime, monitors).
   */
  readonly trapToHost?: boolean;
  /** Execution tier: the interpreter alone, or with hot code translated to JavaScript (the default). */
  readonly tier?: Tier;
  /** Told the source of every translation the translation tier makes (see JitDump). */
  readonly jitDump?: JitDump;
  /**
   * Run the interpreter tier's common case in the WebAssembly core
   * (vm/core/wasm-core.ts). On by default for tier interp on a machine that
   * owns its RAM; false: the JavaScript loop alone (as with the translation
   * tier, shared RAM or a buffer given).
   */
  readonly core?: boolean;
}

export type Tier = 'interp' | 'jit';
export const DEFAULT_TIER: Tier = 'jit';
export const TIERS: readonly Tier[] = ['interp', 'jit'];

/** A trap as the host sees it in trapToHost mode. */
export interface TrapRecord {
  readonly cause: number;
  readonly badaddr: number;
  /** pc of the trapping instruction (exceptions) or of the next one (interrupts). */
  readonly pc: number;
  readonly mode: Mode;
}

/**
 * A monitor's fast path (trapToHost mode): what it can do with a trap where
 * the real CPU stands, without run() returning. On real hardware a trap does
 * not unwind anything — the CPU vectors to the monitor's handler and returns
 * from it; leaving run() for every trap and entering it again is this
 * simulation's cost, not the architecture's, and a trap-heavy guest paid it
 * a dozen times per system call (hypervisor/core/fast-path.ts measures it).
 * Either method may answer false: the trap is then taken to the host as
 * usual (run() returns Exit.TRAP). To make run() return after a trap it
 * handled, it sets `pendingExit` to Exit.BUDGET.
 */
export interface TrapAssist {
  /**
   * A privileged instruction in user mode (cpu.instret counts those before
   * it). True: emulated, it retires, and cpu.pc is the next pc.
   */
  privileged(word: number, pc: number): boolean;
  /** Any other trap (an exception: cause, badaddr, pc). True: handled, nothing retired; go on at cpu.pc. */
  trap(cause: number, badaddr: number, pc: number): boolean;
  /**
   * A page fault (FETCH_FAULT, LOAD_FAULT or STORE_FAULT at va) before it is
   * raised: true if the monitor made it go away (a shadow entry filled, as a
   * nested-paging walker fills its second level without an exit), and the
   * access is retried at once instead of trapping. False: raised as usual.
   */
  fault?(cause: number, va: number): boolean;
}

/**
 * The bare machine's state, in process only: its devices are whatever was
 * plugged in, so each state is kept with the device that saved it and goes
 * back to that same device. (A VM's state, which crosses hosts, is the typed
 * VmState of hypervisor/core/state.ts.)
 */
export interface MachineSnapshot {
  readonly cpu: CpuSnapshot;
  readonly ip: number;
  readonly devices: ReadonlyMap<Device, unknown>;
}

export class Machine implements DeviceHost, PrivilegedEnv {
  readonly cpu: CpuState;
  readonly memory: PhysicalMemory;
  /** The interpreter core, when the interpreter tier runs on it; undefined: the JavaScript loop alone. */
  readonly core: WasmCore | undefined;
  readonly mmu: Mmu;
  readonly bus = new Bus();
  readonly trapToHost: boolean;
  /** The translation tier, when on. */
  readonly jit: Jit | undefined;
  /** @internal where translated code stopped */
  jitPc = 0;
  /** The interpreter's pre-decoded code pages. */
  readonly decoded: DecodedCode;

  /** Device interrupt lines raised (bit per line); the timer bit is computed from time. */
  ipDevices = 0;

  /** Set when the machine has stopped (halt or power-off). */
  halted = false;
  exitStatus = 0;

  /** The last trap taken to the host (trapToHost mode). */
  lastTrap: TrapRecord = { cause: 0, badaddr: 0, pc: 0, mode: Mode.USER };

  /** Traps taken, by exception cause; interrupts by line. */
  readonly trapCounts = new Float64Array(EXCEPTION_COUNT);
  readonly interruptCounts = new Float64Array(4);
  /**
   * Traps taken by a fetch that faulted: a delivery that retires nothing (the
   * trapping instruction was never fetched), so instret does not see it. A
   * run's budget counts these too (interpreter.ts), and a bare machine that
   * sees only these for a whole slice knows the guest is in a trap loop.
   */
  fetchFaults = 0;

  // Interpreter ↔ slow-path handshake: set by raise(), read by the loop.
  /** @internal a trap was raised during the current instruction */
  trapped = false;
  /** @internal run() must return this exit after the current instruction, or -1 */
  pendingExit = -1;

  /** A monitor's fast path for traps in trapToHost mode (see TrapAssist); set while it runs a guest. */
  assist: TrapAssist | undefined;

  /** Optional observer of every trap (for --trace-traps); called before the trap is taken. */
  onTrap: ((cause: number, badaddr: number, pc: number, mode: Mode) => void) | undefined;

  constructor(options: MachineOptions = {}) {
    const tier = options.tier ?? DEFAULT_TIER;
    const size = options.memSize ?? DEFAULT_MEM_SIZE;
    // The core reads registers, TLB and RAM where the machine keeps them: so they
    // are views of its memory (a machine that owns its RAM, on the interpreter tier).
    const own = tier === 'interp' && options.core !== false && !options.shared && options.buffer === undefined;
    const coreMemory = own ? wasmCoreMemory(size) : undefined; // a bad size: undefined, or PhysicalMemory says what is wrong
    this.cpu = new CpuState(coreMemory?.regs);
    this.memory = coreMemory ? new PhysicalMemory(size, false, coreMemory.buffer, coreMemory.ramOffset) : new PhysicalMemory(size, options.shared ?? false, options.buffer);
    this.mmu = new Mmu(this.memory, coreMemory?.tlb);
    this.core = coreMemory?.core;
    this.trapToHost = options.trapToHost ?? false;
    this.jit = tier === 'jit' ? new Jit(this, options.jitDump) : undefined;
    this.decoded = new DecodedCode(this.memory, this.mmu); // after the Jit: they share memory.code
  }

  // ---- DeviceHost ----------------------------------------------------------

  raiseIrq(line: number): void {
    this.ipDevices |= 1 << line;
  }

  lowerIrq(line: number): void {
    this.ipDevices &= ~(1 << line);
  }

  now(): number {
    return this.cpu.instret + this.cpu.idle;
  }

  dmaRead(pa: number, len: number): Uint8Array | undefined {
    return this.memory.dmaRead(pa, len);
  }

  dmaWrite(pa: number, bytes: Uint8Array): boolean {
    return this.memory.dmaWrite(pa, bytes);
  }

  powerOff(status: number): void {
    this.halt(status);
  }

  addDevice(device: Device): void {
    this.bus.add(device, this);
  }

  // ---- running -------------------------------------------------------------

  /** Run at most `budget` instructions. See Exit for why it returns. */
  run(budget: number): Exit {
    if (this.halted) return Exit.HALT;
    return interpret(this, budget);
  }

  /** Start (or restart) at pc in a mode, registers and CSRs cleared. */
  reset(pc: number, mode: Mode): void {
    this.cpu.reset(pc, mode);
    this.mmu.setRoot(0);
    this.ipDevices = 0;
    this.halted = false;
    this.exitStatus = 0;
    this.pendingExit = -1;
    this.trapped = false;
    this.jit?.reset();
    this.decoded.reset();
  }

  /** Interrupt-pending bits as `ip` reads them. */
  ip(): number {
    return this.ipDevices | timerPending(this.cpu);
  }

  /** An enabled interrupt is pending: what ends a `wfi` (whatever status.IE says). */
  wakeable(): boolean {
    return (this.ip() & this.cpu.csr[Csr.IE]!) !== 0;
  }

  /** The lowest pending, enabled interrupt line, if interrupts are on; else -1. */
  deliverableIrq(): number {
    return deliverableIrq(this.cpu, this.ip());
  }

  /**
   * While waiting in wfi: jump virtual time to the timer deadline. Returns
   * false if the timer cannot end the wait (no deadline, or its line is off in ie).
   */
  skipToTimer(): boolean {
    const cpu = this.cpu;
    if (cpu.timerDeadline === NO_DEADLINE || (cpu.csr[Csr.IE]! & (1 << Irq.TIMER)) === 0) return false;
    const now = cpu.instret + cpu.idle;
    if (cpu.timerDeadline > now) cpu.idle += cpu.timerDeadline - now;
    return true;
  }

  /**
   * Take a trap. In trapToHost mode the host gets it (run() returns
   * Exit.TRAP); otherwise the CPU enters supervisor mode at tvec, saving
   * the mode and interrupt-enable it had so `sret` can restore them.
   */
  raise(cause: number, badaddr: number, pc: number): void {
    const cpu = this.cpu;
    if ((cause & INTERRUPT_BIT) !== 0) this.interruptCounts[cause & 3]!++;
    else this.trapCounts[cause]!++;
    this.onTrap?.(cause, badaddr >>> 0, pc >>> 0, cpu.mode);
    this.trapped = true;
    if (this.trapToHost) {
      cpu.pc = pc >>> 0;
      if (this.assist !== undefined && (cause & INTERRUPT_BIT) === 0 && this.assist.trap(cause, badaddr >>> 0, pc >>> 0)) return;
      this.lastTrap = { cause: cause >>> 0, badaddr: badaddr >>> 0, pc: pc >>> 0, mode: cpu.mode };
      this.pendingExit = Exit.TRAP;
      return;
    }
    enterTrap(cpu, cause, badaddr, pc);
  }

  // ---- PrivilegedEnv: what privileged instructions do to this machine ------

  ptbaseWritten(value: number): void {
    this.mmu.setRoot(value);
  }

  flushTlb(va: number | undefined): void {
    if (va === undefined) this.mmu.flush();
    else this.mmu.flushPage(va);
  }

  waitForInterrupt(): void {
    this.pendingExit = Exit.WFI;
  }

  halt(status: number): void {
    this.halted = true;
    this.exitStatus = status | 0;
    this.pendingExit = Exit.HALT;
  }

  /** Read a CSR as the CPU would (undefined: no such CSR). */
  csrRead(num: number): number | undefined {
    return readCsr(this, num);
  }

  /** Write a CSR as the CPU would (false: no such CSR, or read-only). */
  csrWrite(num: number, value: number): boolean {
    return writeCsr(this, num, value);
  }

  // ---- memory slow paths ---------------------------------------------------

  /**
   * A load the TLB could not serve: translate (filling the TLB), or go to a
   * device. On a fault raises the trap and returns 0 (check `trapped`).
   */
  loadSlow(va: number, width: 1 | 2 | 4, signed: boolean, pc: number): number {
    if ((va & (width - 1)) !== 0) {
      this.raise(Cause.MISALIGNED_LOAD, va, pc);
      return 0;
    }
    let off = this.mmu.translate(va, Access.READ, this.cpu.mode);
    if (off === XLATE_FAULT && this.assist?.fault?.(Cause.LOAD_FAULT, va >>> 0) === true) off = this.mmu.translate(va, Access.READ, this.cpu.mode);
    if (off >= 0) {
      const m = this.memory;
      if (width === 4) return m.i32[off >>> 2]!;
      if (width === 2) return signed ? (m.u16[off >>> 1]! << 16) >> 16 : m.u16[off >>> 1]!;
      return signed ? (m.u8[off]! << 24) >> 24 : m.u8[off]!;
    }
    if (off === XLATE_MMIO) {
      const pa = this.mmu.lastPa;
      const dev = this.bus.at(pa);
      if (dev) {
        const v = dev.read((pa - dev.base) & 0xfff, width) | 0;
        if (width === 4) return v;
        if (width === 2) return signed ? (v << 16) >> 16 : v & 0xffff;
        return signed ? (v << 24) >> 24 : v & 0xff;
      }
    }
    this.raise(Cause.LOAD_FAULT, va, pc);
    return 0;
  }

  /** A store the TLB could not serve. On a fault raises the trap (check `trapped`). */
  storeSlow(va: number, value: number, width: 1 | 2 | 4, pc: number): void {
    if ((va & (width - 1)) !== 0) {
      this.raise(Cause.MISALIGNED_STORE, va, pc);
      return;
    }
    let off = this.mmu.translate(va, Access.WRITE, this.cpu.mode);
    if (off === XLATE_FAULT && this.assist?.fault?.(Cause.STORE_FAULT, va >>> 0) === true) off = this.mmu.translate(va, Access.WRITE, this.cpu.mode);
    if (off >= 0) {
      const m = this.memory;
      if (width === 4) m.i32[off >>> 2] = value;
      else if (width === 2) m.u16[off >>> 1] = value;
      else m.u8[off] = value;
      return;
    }
    if (off === XLATE_MMIO) {
      const pa = this.mmu.lastPa;
      const dev = this.bus.at(pa);
      if (dev) {
        const mask = width === 4 ? -1 : width === 2 ? 0xffff : 0xff;
        dev.write((pa - dev.base) & 0xfff, value & mask, width);
        return;
      }
    }
    this.raise(Cause.STORE_FAULT, va, pc);
  }

  /** Instruction fetch miss: translate for execute. Returns a RAM offset, or raises and returns -1. */
  fetchSlow(pc: number): number {
    if ((pc & 3) !== 0) {
      this.raise(Cause.MISALIGNED_FETCH, pc, pc);
      return -1;
    }
    let off = this.mmu.translate(pc, Access.EXEC, this.cpu.mode);
    if (off === XLATE_FAULT && this.assist?.fault?.(Cause.FETCH_FAULT, pc >>> 0) === true) off = this.mmu.translate(pc, Access.EXEC, this.cpu.mode);
    if (off >= 0) return off;
    this.raise(Cause.FETCH_FAULT, pc, pc);
    return -1;
  }

  // ---- host access through the current address space ------------------------

  /**
   * Translate a virtual address for the host (syscall buffers, debugger) as
   * the current mode would, without touching A/D bits. RAM offset or -1.
   */
  hostOffset(va: number, mode: Mode = this.cpu.mode, need = 0): number {
    const pa = this.mmu.peek(va, mode, need);
    return pa < 0 ? -1 : this.memory.offsetOf(pa);
  }

  /** Copy `len` bytes of guest virtual memory out, or undefined if any byte is unmapped. */
  readVirtual(va: number, len: number, mode: Mode = this.cpu.mode): Uint8Array | undefined {
    if (!Number.isInteger(len) || len < 0 || len > this.memory.size) return undefined; // cannot all be mapped
    const out = new Uint8Array(len);
    let done = 0;
    while (done < len) {
      const a = (va + done) >>> 0;
      const off = this.hostOffset(a, mode, PTE_R);
      if (off < 0) return undefined;
      const n = Math.min(len - done, 4096 - (a & 0xfff));
      out.set(this.memory.u8.subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  /** Copy bytes into guest virtual memory (marking pages dirty); false if any byte is unmapped. */
  writeVirtual(va: number, bytes: Uint8Array, mode: Mode = this.cpu.mode): boolean {
    let done = 0;
    while (done < bytes.length) {
      const a = (va + done) >>> 0;
      const off = this.hostOffset(a, mode, PTE_W);
      if (off < 0) return false;
      const n = Math.min(bytes.length - done, 4096 - (a & 0xfff));
      this.memory.u8.set(bytes.subarray(done, done + n), off);
      this.memory.markDirty(off, n); // the dirty log, and drops code decoded or translated from the page
      done += n;
    }
    return true;
  }

  // ---- state ---------------------------------------------------------------

  save(): MachineSnapshot {
    const devices = new Map<Device, unknown>();
    for (const d of this.bus.devices) devices.set(d, d.save());
    return { cpu: this.cpu.save(), ip: this.ipDevices, devices };
  }

  restore(s: MachineSnapshot): void {
    this.jit?.reset();
    this.decoded.reset();
    this.cpu.restore(s.cpu);
    this.ipDevices = s.ip;
    this.mmu.setRoot(this.cpu.csr[Csr.PTBASE]!);
    for (const d of this.bus.devices) {
      if (!s.devices.has(d)) throw new Error(`${d.name}: not in this snapshot (it was saved from another machine)`);
      d.restore(s.devices.get(d));
    }
  }
}
