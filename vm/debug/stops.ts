/**
 * What stops the guest: breakpoints (on code, a trap cause, a system call, a
 * mode switch; conditional, temporary), watchpoints on byte ranges, and the
 * expressions displayed at every stop. `check` is the test run control
 * applies after each tick; the rest turns commands into entries and entries
 * into lines.
 */
import { hex8 } from '../../isa/hex.js';
import { CAUSES, Cause, causeName } from '../trap.js';
import { IRQ_NAMES } from '../../isa/csr.js';
import { parseCount, usageOf } from './commands.js';
import { addressLabel, displayLine } from './format.js';
import type { GuestView } from './guest-view.js';
import type { TickInfo } from './run-control.js';
import type { DebugTarget } from './target.js';
import type { UserProgram } from './user-programs.js';

export type BreakKind =
  /** `program`: only while this user program (its image address) is the current process. */
  | { readonly kind: 'code'; readonly addr: number; readonly program?: UserProgram }
  | { readonly kind: 'trap'; readonly cause: number | undefined }
  | { readonly kind: 'syscall'; readonly num: number | undefined }
  | { readonly kind: 'mode-switch' };

export interface Breakpoint {
  readonly id: number;
  readonly what: BreakKind;
  readonly cond: string | undefined;
  readonly temporary: boolean;
  hits: number;
}

export interface Watchpoint {
  readonly id: number;
  readonly addr: number;
  readonly len: number;
  /** The bytes as last seen; undefined while unmapped. */
  value: Uint8Array | undefined;
  hits: number;
}

export type Stop =
  | { readonly kind: 'breakpoint'; readonly bp: Breakpoint }
  | { readonly kind: 'watch'; readonly wp: Watchpoint; readonly old: Uint8Array | undefined; readonly now: Uint8Array | undefined }
  | { readonly kind: 'arrived' };

const MAX_WATCH = 4096;

export class Stops {
  private readonly breakpoints: Breakpoint[] = [];
  private readonly watchpoints: Watchpoint[] = [];
  private readonly displays: { readonly id: number; readonly expr: string }[] = [];
  private nextId = 1;
  private nextDisplay = 1;

  constructor(
    private readonly target: DebugTarget,
    private readonly view: GuestView,
    private readonly print: (line: string) => void,
    /** An argument's value, or undefined after one line saying what is wrong. */
    private readonly value: (command: string, text: string) => number | undefined,
  ) {}

  remove(bp: Breakpoint): void {
    const i = this.breakpoints.indexOf(bp);
    if (i >= 0) this.breakpoints.splice(i, 1);
  }

  /** Addresses of code breakpoints (disassemble marks them). */
  codeAddresses(): Set<number> {
    return new Set(this.breakpoints.flatMap((b) => (b.what.kind === 'code' ? [b.what.addr] : [])));
  }

  /**
   * Where a run may go several ticks between tests (see DebugTarget.run):
   * every code breakpoint's address plus `extra`; undefined while a
   * watchpoint needs a look after every tick.
   */
  batchStops(extra: readonly number[]): ReadonlySet<number> | undefined {
    if (this.watchpoints.length > 0) return undefined;
    return new Set([...this.codeAddresses(), ...extra]);
  }

  showDisplays(): void {
    for (const d of this.displays) {
      this.print(displayLine(d.id, d.expr, this.view.evaluate(d.expr)));
    }
  }

  describe(s: Stop): void {
    if (s.kind === 'breakpoint') {
      this.print(`${s.bp.temporary ? 'temporary breakpoint' : 'breakpoint'} ${s.bp.id}, ${this.breakText(s.bp)}`);
    } else if (s.kind === 'watch') {
      this.print(`watchpoint ${s.wp.id}: ${this.watchWhere(s.wp)}`);
      this.print(`  old ${this.bytesText(s.old)}`);
      this.print(`  new ${this.bytesText(s.now)}`);
    }
  }

  bytesText(b: Uint8Array | undefined): string {
    if (b === undefined) return '(not mapped)';
    if (b.length === 4) {
      const v = b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24);
      return `${hex8(v)} (${v | 0})`;
    }
    return [...b.subarray(0, 32)].map((x) => x.toString(16).padStart(2, '0')).join(' ') + (b.length > 32 ? ' …' : '');
  }

  watchWhere(w: Watchpoint): string {
    return `${w.len} byte${w.len === 1 ? '' : 's'} at ${addressLabel(w.addr, this.view.near)}`;
  }

  breakText(b: Breakpoint): string {
    const w = b.what;
    const base = w.kind === 'code' ? `${addressLabel(w.addr, this.view.near)}${w.program ? ` in ${w.program.name}` : ''}`
      : w.kind === 'trap' ? `trap ${w.cause === undefined ? '(any)' : causeName(w.cause)}`
      : w.kind === 'syscall' ? `syscall ${w.num === undefined ? '(any)' : w.num}`
      : 'mode switch';
    return b.cond === undefined ? base : `${base} if ${b.cond}`;
  }

  /** Did this tick hit a breakpoint or watchpoint? (`count`: a real hit, not a replay's look.) */
  check(info: TickInfo, count: boolean): Stop | undefined {
    const cpu = this.target.cpu;
    let stop: Stop | undefined;
    for (const w of this.watchpoints) {
      const now = this.view.loadBytes(w.addr, w.len);
      if (sameBytes(now, w.value)) continue;
      const old = w.value;
      w.value = now;
      if (count) w.hits++;
      stop ??= { kind: 'watch', wp: w, old, now };
    }
    if (stop) return stop;
    for (const b of this.breakpoints) {
      const w = b.what;
      const hit = w.kind === 'code' ? cpu.pc === w.addr && (w.program === undefined || this.view.programs.current()?.imageAddr === w.program.imageAddr)
        : w.kind === 'mode-switch' ? info.modeBefore !== cpu.mode
        : info.trap === undefined ? false
        : w.kind === 'trap' ? w.cause === undefined || info.trap.cause === w.cause
        : info.trap.cause === Cause.SYSCALL && (w.num === undefined || info.trap.t0 === w.num);
      if (!hit || !this.conditionHolds(b)) continue;
      if (count) b.hits++;
      return { kind: 'breakpoint', bp: b };
    }
    return undefined;
  }

  conditionHolds(b: Breakpoint): boolean {
    if (b.cond === undefined) return true;
    const v = this.view.evaluate(b.cond);
    if (v.ok) return v.value !== 0;
    this.print(`breakpoint ${b.id}: the condition cannot be evaluated (${v.error}); stopping`);
    return true;
  }

  addBreak(args: string, temporary: boolean): void {
    const name = temporary ? 'tbreak' : 'break';
    const m = /^(.*?)(?:\s+if\s+(.+))?$/.exec(args)!;
    const where = m[1]!.trim();
    const cond = m[2]?.trim();
    if (cond !== undefined) {
      const v = this.view.evaluate(cond);
      if (!v.ok && !/cannot read/.test(v.error)) return this.print(`${name}: the condition: ${v.error}`);
    }
    const words = where.split(/\s+/);
    let what: BreakKind;
    if (where === '') what = { kind: 'code', addr: this.target.cpu.pc };
    else if (words[0] === 'trap') {
      if (words.length > 2) return this.print(`usage: ${name} trap [CAUSE]   (a name such as syscall, load-fault, interrupt:timer, or a number)`);
      if (words.length === 1) what = { kind: 'trap', cause: undefined };
      else {
        const cause = parseCause(words[1]!);
        if (cause === undefined) return this.print(`${name} trap: '${words[1]}' is not a trap cause (${CAUSES.map((c) => c.name).join(', ')}, interrupt:timer…)`);
        what = { kind: 'trap', cause };
      }
    } else if (words[0] === 'syscall') {
      if (words.length > 2) return this.print(`usage: ${name} syscall [N]`);
      const num = words.length === 2 ? this.value(name, words[1]!) : undefined;
      if (words.length === 2 && num === undefined) return;
      what = { kind: 'syscall', num };
    } else if (words[0] === 'mode-switch') {
      if (words.length > 1) return this.print(`usage: ${name} mode-switch`);
      what = { kind: 'mode-switch' };
    } else {
      const addr = this.value(name, where);
      if (addr === undefined) return;
      if ((addr & 3) !== 0) return this.print(`${name}: ${hex8(addr)} is not a multiple of 4: instructions are 4-byte aligned`);
      const program = this.view.inKernel(addr) ? undefined : this.view.programs.current();
      const named = program !== undefined && /^[A-Za-z_.][\w.$]*(:[A-Za-z_.][\w.$]*)?$/.test(where) && this.view.kernelSymbol(where) === undefined;
      what = named ? { kind: 'code', addr, program } : { kind: 'code', addr };
    }
    const bp: Breakpoint = { id: this.nextId++, what, cond, temporary, hits: 0 };
    this.breakpoints.push(bp);
    const at = what.kind === 'code' ? `: ${this.view.instructionLine(what.addr).split(': ').slice(1).join(': ')}` : '';
    this.print(`${temporary ? 'temporary breakpoint' : 'breakpoint'} ${bp.id} at ${this.breakText(bp)}${at}`);
  }

  addWatch(args: string): void {
    const parts = splitTopLevel(args);
    if (parts.length < 1 || parts.length > 2 || parts[0] === '') return this.print(usageOf('watch'));
    const addr = this.value('watch', parts[0]!);
    if (addr === undefined) return;
    const len = parts.length === 2 ? parseCount(parts[1]!) : 4;
    if (len === undefined || len > MAX_WATCH) return this.print(`watch: the length must be 1..${MAX_WATCH} bytes, got '${parts[1]}'`);
    const value = this.view.loadBytes(addr, len);
    if (value === undefined) return this.print(`watch: ${hex8(addr)}..${hex8(addr + len - 1)} is not all mapped in the current address space`);
    const wp: Watchpoint = { id: this.nextId++, addr, len, value, hits: 0 };
    this.watchpoints.push(wp);
    this.print(`watchpoint ${wp.id}: ${this.watchWhere(wp)} = ${this.bytesText(value)}`);
  }

  delete(args: string): void {
    if (args === '') {
      this.print(`deleted ${this.breakpoints.length + this.watchpoints.length} breakpoints and watchpoints`);
      this.breakpoints.length = 0;
      this.watchpoints.length = 0;
      return;
    }
    for (const a of args.split(/\s+/)) {
      const id = parseCount(a);
      const bi = this.breakpoints.findIndex((b) => b.id === id);
      const wi = this.watchpoints.findIndex((w) => w.id === id);
      if (id === undefined) this.print(`delete: '${a}' is not a breakpoint number — ${usageOf('delete')}`);
      else if (bi >= 0) (this.breakpoints.splice(bi, 1), this.print(`deleted breakpoint ${id}`));
      else if (wi >= 0) (this.watchpoints.splice(wi, 1), this.print(`deleted watchpoint ${id}`));
      else this.print(`delete: there is no breakpoint or watchpoint ${id}`);
    }
  }

  list(): void {
    if (this.breakpoints.length + this.watchpoints.length === 0) return this.print('no breakpoints or watchpoints');
    this.print('  #  kind         where');
    const rows: [number, string][] = [];
    for (const b of this.breakpoints) rows.push([b.id, `${String(b.id).padStart(3)}  ${(b.temporary ? 'tbreak' : 'breakpoint').padEnd(11)}  ${this.breakText(b)}  (hit ${b.hits} time${b.hits === 1 ? '' : 's'})`]);
    for (const w of this.watchpoints) rows.push([w.id, `${String(w.id).padStart(3)}  ${'watchpoint'.padEnd(11)}  ${this.watchWhere(w)} = ${this.bytesText(w.value)}  (changed ${w.hits} time${w.hits === 1 ? '' : 's'})`]);
    for (const [, r] of rows.sort((a, b) => a[0] - b[0])) this.print(r);
  }

  addDisplay(args: string): void {
    if (args === '') return this.listDisplays();
    const v = this.view.evaluate(args);
    if (!v.ok && !/cannot read/.test(v.error)) return this.print(`display: ${v.error}`);
    const d = { id: this.nextDisplay++, expr: args };
    this.displays.push(d);
    this.print(displayLine(d.id, d.expr, v));
  }

  undisplay(args: string): void {
    if (args === '') {
      this.displays.length = 0;
      return this.print('no displays');
    }
    for (const a of args.split(/\s+/)) {
      const i = this.displays.findIndex((d) => d.id === parseCount(a));
      if (i < 0) this.print(`undisplay: there is no display '${a}'`);
      else this.displays.splice(i, 1);
    }
  }

  listDisplays(): void {
    if (this.displays.length === 0) return this.print('no displays');
    for (const d of this.displays) this.print(`${d.id}: ${d.expr}`);
  }

  resetWatches(): void {
    for (const w of this.watchpoints) w.value = this.view.loadBytes(w.addr, w.len);
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `interrupt:timer`, `syscall`, `8`, `0x80000000`. */
function parseCause(text: string): number | undefined {
  const t = text.toLowerCase();
  const known = CAUSES.find((c) => c.name === t);
  if (known) return known.code;
  const irq = /^interrupt:(\w+)$/.exec(t);
  if (irq) {
    const names: readonly string[] = IRQ_NAMES;
    const line = names.indexOf(irq[1]!) >= 0 ? names.indexOf(irq[1]!) : /^\d+$/.test(irq[1]!) ? Number(irq[1]) : -1;
    return line >= 0 && line < 4 ? (0x8000_0000 | line) >>> 0 : undefined;
  }
  const n = parseCount(t);
  return n === undefined && t !== '0' ? undefined : (n ?? 0) >>> 0;
}

/** Split `EXPR LEN` at the last space outside parentheses and brackets. */
function splitTopLevel(text: string): string[] {
  let depth = 0;
  let cut = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (c === ' ' && depth === 0) cut = i;
  }
  if (cut < 0) return [text];
  const tail = text.slice(cut + 1).trim();
  return /^(0x[0-9a-f_]+|\d[\d_]*)$/i.test(tail) ? [text.slice(0, cut).trim(), tail] : [text];
}

