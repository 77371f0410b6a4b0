/**
 * The dispatch floor: one loop of three instructions (bench/guests/dispatch.s:
 * addi, add, bne), run by typevisor's interpreter (the whole machine: paging,
 * the count, the timer; on its WebAssembly core, and on its JavaScript loop
 * alone), by the bare switch (the old loop with the machine
 * taken out), by a JavaScript switch that only dispatches those words and by
 * the same switch in WebAssembly (bench/runners/dispatch-floor.ts), and the
 * same loop in Lua 5.4. Per turn and per dispatch, so the reader sees what
 * the machine costs over the floor, and what the floor of a JavaScript switch
 * is against Lua's C loop and against WebAssembly. Every implementation's sum
 * is checked; wall time of the work alone, never a threshold.
 */
import type { ChalkInstance } from 'chalk';
import { BenchError } from '../bench-error.js';
import { renderTitledTable } from '../bench-report.js';
import { assembleGuest } from '../guests.js';
import { runBare } from '../runners/bare-switch.js';
import { jsFloor, wasmFloor } from '../runners/dispatch-floor.js';
import { LUA, parseTimes, runNativeScript } from '../runners/native.js';
import { runGuest } from '../runners/typevisor.js';
import { median } from '../stats.js';
import { timeRuns, WARMUP_SECONDS, type RunPlan, type Trial } from '../timing.js';
import type { BenchSection, Comparison, SectionContext, SectionRun } from '../section.js';
import type { Image } from '../../isa/image.js';

/** Dispatches a turn: the guest's three words; Lua's bytecode for the same loop is four (ADDI, ADD, EQ, JMP). */
const GUEST_DISPATCHES = 3;
const LUA_DISPATCHES = 4;

export interface FloorRow {
  readonly id: 'interp' | 'interp-js' | 'switch' | 'js-floor' | 'wasm-floor' | 'lua';
  /** Median seconds of the timed runs; undefined when it could not run (then `skipped` says why). */
  readonly seconds?: number;
  readonly dispatchesPerTurn: number;
  readonly skipped?: string;
}

export interface FloorOutcome {
  readonly size: 'full' | 'quick';
  readonly turns: number;
  readonly rows: readonly FloorRow[];
  /** Every implementation printed the same sum. */
  readonly verified: boolean;
}

const LABELS: Record<FloorRow['id'], string> = {
  interp: 'typevisor, interp (the machine)',
  'interp-js': '  the same, its JavaScript loop alone',
  switch: 'bare switch (the machine taken out)',
  'js-floor': 'a JavaScript switch, only dispatching',
  'wasm-floor': 'the same switch in WebAssembly',
  lua: 'Lua 5.4 (its own bytecode)',
};

/** s = 1 + 2 + … + turns, mod 2^32, as the guest prints it. */
export function expectedSum(turns: number): string {
  const n = BigInt(turns);
  return ((n * (n + 1n)) / 2n % 2n ** 32n).toString(16).padStart(8, '0');
}

const hex = (v: number): string => (v >>> 0).toString(16).padStart(8, '0');

/** The loop's three words, from the assembled guest (the words at its `loop` label). */
export function loopWords(image: Image): Int32Array {
  const at = image.symbols.find((s) => s.name === 'loop' && s.kind === 'label')?.value;
  const section = image.sections.find((s) => at !== undefined && at >= s.addr && at + 12 <= s.addr + s.data.length);
  if (at === undefined || section === undefined) throw new BenchError('bench/guests/dispatch.s has no `loop` label in a section');
  const bytes = section.data.subarray(at - section.addr, at - section.addr + 12);
  return new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + 12));
}

/** A code page holding the loop at word 0 and nothing after it; registers set as the guest sets them before the loop. */
function setUp(words: Int32Array, turns: number, code: Int32Array, regs: Int32Array): { sum: number } {
  code.fill(0);
  code.set(words);
  regs.fill(0);
  const bne = words[2]!;
  regs[(bne >>> 12) & 15] = turns; // t2 = N: the bne's second register
  return { sum: (words[1]! >>> 8) & 15 }; // s0: the add's destination
}

export interface FloorOptions {
  readonly turns: number;
  readonly plan: RunPlan;
  readonly progress?: (message: string) => void;
}

export async function measureFloor(o: FloorOptions): Promise<{ rows: FloorRow[]; verified: boolean }> {
  const progress = o.progress ?? (() => {});
  const image = assembleGuest('dispatch', { N: o.turns });
  const words = loopWords(image);
  const want = expectedSum(o.turns);
  let verified = true;
  const rows: FloorRow[] = [];
  const time = (id: FloorRow['id'], trial: () => Trial, dispatchesPerTurn = GUEST_DISPATCHES): void => {
    progress(`dispatch: ${LABELS[id]}…`);
    const timed = timeRuns(trial, o.plan);
    if (timed.output !== want) verified = false;
    rows.push({ id, seconds: median(timed.times), dispatchesPerTurn });
  };

  time('interp', () => runGuest(image, 'dispatch', 'interp'));
  time('interp-js', () => runGuest(image, 'dispatch', 'interp', undefined, false));
  time('switch', () => runBare(image, 'dispatch'));

  const code = new Int32Array(1025);
  const regs = new Int32Array(16);
  time('js-floor', () => {
    const { sum } = setUp(words, o.turns, code, regs);
    const t0 = performance.now();
    jsFloor(code, regs);
    return { output: hex(regs[sum]!), seconds: (performance.now() - t0) / 1000 };
  });

  const wasm = await wasmFloor();
  time('wasm-floor', () => {
    const { sum } = setUp(words, o.turns, wasm.code, wasm.regs);
    const t0 = performance.now();
    wasm.run();
    return { output: hex(wasm.regs[sum]!), seconds: (performance.now() - t0) / 1000 };
  });

  progress(`dispatch: ${LABELS.lua}…`);
  const lua = await (async (): Promise<FloorRow> => {
    const available = spawnable();
    if (available !== undefined) return { id: 'lua', dispatchesPerTurn: LUA_DISPATCHES, skipped: available };
    const plan = o.plan;
    const timed = parseTimes(LUA.command, runNativeScript(LUA, 'dispatch', [o.turns, '--time', plan.warmupSeconds > 0 ? 1 : 0, plan.runs, plan.minRuns, 1e9]));
    if (timed.output !== want) verified = false;
    return { id: 'lua', seconds: median(timed.times), dispatchesPerTurn: LUA_DISPATCHES };
  })();
  rows.push(lua);
  return { rows, verified };
}

/** Why Lua cannot run, or undefined when it can. */
function spawnable(): string | undefined {
  try {
    runNativeScript(LUA, 'dispatch', [10]);
    return undefined;
  } catch (e) {
    return e instanceof BenchError ? `${LUA.command} not usable (${LUA.install}): ${e.message}` : String(e);
  }
}

const ns = (v: number): string => (v < 10 ? v.toFixed(2) : v.toFixed(1));

function render(o: FloorOutcome, paint: ChalkInstance): string {
  const lua = o.rows.find((r) => r.id === 'lua')?.seconds;
  const header = ['', 'time', 'per turn', 'dispatches', 'per dispatch', '÷ Lua'];
  const rows = o.rows.map((r) => {
    if (r.seconds === undefined) return [LABELS[r.id], '—', '—', String(r.dispatchesPerTurn), '—', r.skipped ?? 'skipped'];
    const perTurn = (r.seconds * 1e9) / o.turns;
    return [
      LABELS[r.id],
      r.seconds < 1 ? `${(r.seconds * 1000).toFixed(0)} ms` : `${r.seconds.toFixed(2)} s`,
      `${ns(perTurn)} ns`,
      String(r.dispatchesPerTurn),
      `${ns(perTurn / r.dispatchesPerTurn)} ns`,
      lua === undefined ? '—' : `${(r.seconds / lua).toFixed(2)}×`,
    ];
  });
  return renderTitledTable(paint, [`the dispatch floor: one loop of three instructions (addi, add, bne), ${o.turns.toLocaleString('en-US')} turns`], [header, ...rows], 1, [
    'the two floors run the guest loop\'s own words as the interpreter\'s decoded pages hold them, and nothing else: no count, no TLB, no traps',
    `typevisor and the bare switch run the whole guest (dispatch.s): three instructions a turn; Lua's bytecode for the same loop is four`,
    `median of ${o.size === 'quick' ? 'one run, no warm-up' : `the timed runs after ${WARMUP_SECONDS} s of warm-up`}; ÷ Lua = time ÷ Lua's time for the same turns`,
    ...(o.verified ? [] : ['WRONG: an implementation printed another sum']),
  ]).join('\n');
}

export const dispatchSection: BenchSection = {
  name: 'dispatch',
  title: 'the dispatch floor: what one dispatch costs in a JavaScript switch, in WebAssembly and in Lua, and what the machine adds',

  async run(ctx: SectionContext): Promise<SectionRun> {
    const quick = ctx.options.quick;
    const turns = quick ? 1_000_000 : 100_000_000;
    const plan: RunPlan = quick ? { runs: 1, warmupSeconds: 0, budgetSeconds: Number.POSITIVE_INFINITY, minRuns: 1 } : { runs: ctx.options.runs, warmupSeconds: WARMUP_SECONDS, budgetSeconds: Number.POSITIVE_INFINITY, minRuns: ctx.options.runs };
    const { rows, verified } = await measureFloor({ turns, plan, progress: (m) => ctx.progress(m) });
    const outcome: FloorOutcome = { size: quick ? 'quick' : 'full', turns, rows, verified };
    return { data: outcome, text: render(outcome, ctx.paint), failed: !verified };
  },

  compare(previous: unknown, current: unknown): Comparison | undefined {
    const a = previous as FloorOutcome | undefined;
    const b = current as FloorOutcome;
    if (!a || !Array.isArray(a.rows) || a.size !== b.size || a.turns !== b.turns) return undefined;
    const changes = b.rows.map((r) => ({ name: r.id, before: a.rows.find((x) => x.id === r.id)?.seconds ?? null, after: r.seconds ?? null }));
    const fmt = (v: number | null): string => (v === null ? '—' : `${(v * 1000).toFixed(0)} ms`);
    return { lines: changes.map((c) => `${LABELS[c.name]}: ${fmt(c.before)} → ${fmt(c.after)}`), changes };
  },
};
