/**
 * `npm run bench` end to end: the built command (dist/bench/main.js) in a
 * child process, at the suite's reduced sizes (--small) and one run each
 * (--quick), saving into a temporary directory. Build first (`npx tsc -p .`;
 * `npm test` does). Nothing here looks at how long anything took.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'dist', 'bench', 'main.js');

interface Ran {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function bench(args: readonly string[], env: Readonly<Record<string, string>> = {}): Ran {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm run bench', () => {
  let dir: string;
  beforeEach(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first (npx tsc -p .)`);
    dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('--quick --only fib prints the machine, a table against every peer, and saves the run', () => {
    const r = bench(['--quick', '--small', '--only', 'fib', '--results-dir', dir]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^machine: .+ · \d+ cores · node v\d+/);
    const header = lines.find((l) => /^\s+typevisor/.test(l))!;
    for (const peer of ['JS cold', 'JS warm', 'bare switch', 'bare switch, wasm', 'fengari', 'QuickJS']) expect(header).toContain(peer);
    // fib(20): 21891 calls of a few instructions each, then the printing.
    const fib = lines.find((l) => l.startsWith('fib '))!.split(/\s{2,}/);
    expect(fib[2]).toMatch(/^\d+(\.\d+)? k$/);
    expect(fib.filter((c) => c.endsWith('×')).length).toBeGreaterThanOrEqual(4);
    expect(lines.some((l) => l.startsWith('geo. mean'))).toBe(true);
    expect(r.stdout).not.toMatch(/failed/);
    expect(readdirSync(dir).filter((n) => n.endsWith('.json'))).toHaveLength(1);
  });

  test('--only alone runs the interpreter section only, not the monitors and migration sections', () => {
    const r = bench(['--json', '--quick', '--small', '--only', 'fib', '--peers', 'js', '--results-dir', dir]);
    expect(r.status).toBe(0);
    expect(Object.keys((JSON.parse(r.stdout) as { sections: object }).sections)).toEqual(['interpreter']);
  });

  test('--json prints the whole result, and only that, on stdout', () => {
    const r = bench(['--json', '--quick', '--small', '--only', 'tight', '--peers', 'js', '--results-dir', dir]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as {
      format: string;
      host: { cores: number };
      savedTo: string;
      sections: { interpreter: { tiers: { tier: string; size: string; rows: { name: string; typevisor: { kind: string; instructions: number; mips: number }; peers: Record<string, { kind: string; ratio: number }> }[] }[] } };
    };
    expect(j.format).toBe('typevisor-bench');
    expect(j.host.cores).toBeGreaterThan(0);
    expect(existsSync(j.savedTo)).toBe(true);
    // Both tiers, each against the same peer runs, with the same instruction counts.
    expect(j.sections.interpreter.tiers.map((t) => t.tier)).toEqual(['interp', 'jit']);
    expect(j.sections.interpreter.tiers[1]!.rows[0]!.typevisor.instructions).toBe(j.sections.interpreter.tiers[0]!.rows[0]!.typevisor.instructions);
    const s = j.sections.interpreter.tiers[0]!;
    expect(s).toMatchObject({ tier: 'interp', size: 'small' });
    expect(s.rows.map((x) => x.name)).toEqual(['tight']);
    const row = s.rows[0]!;
    expect(row.typevisor.kind).toBe('ok');
    // Six an iteration, then a little over a hundred to print the result (the count depends on its digits).
    expect(row.typevisor.instructions).toBeGreaterThan(600_000);
    expect(row.typevisor.instructions).toBeLessThan(600_200);
    expect(Object.keys(row.peers).sort()).toEqual(['js', 'js-cold']);
    expect(row.peers['js']!.kind).toBe('ok');
    expect(row.peers['js']!.ratio).toBeGreaterThan(0);
  });

  test('the real programs are a table of their own, both tiers, each row checked and with its MIPS', () => {
    const r = bench(['--json', '--quick', '--small', '--only', 'fib,qsort,bytecode', '--peers', 'js', '--sections', 'interpreter,programs', '--results-dir', dir]);
    expect(r.status).toBe(0);
    type Tiers = { tiers: { tier: string; rows: { name: string; expected: string; typevisor: { kind: string; instructions: number; mips: number } }[]; geomean: Record<string, number | null> }[] };
    const j = JSON.parse(r.stdout) as { sections: { interpreter: Tiers; programs: Tiers } };
    expect(j.sections.interpreter.tiers[0]!.rows.map((x) => x.name)).toEqual(['fib']);
    const programs = j.sections.programs.tiers;
    expect(programs.map((t) => t.tier)).toEqual(['interp', 'jit']);
    for (const t of programs) {
      expect(t.rows.map((x) => x.name)).toEqual(['qsort', 'bytecode']);
      for (const row of t.rows) {
        expect(row.typevisor.kind).toBe('ok');
        expect(row.typevisor.mips).toBeGreaterThan(0);
      }
      expect(t.geomean['js']).toBeGreaterThan(0);
    }
    // Both tiers retire exactly the same instructions.
    expect(programs[1]!.rows.map((x) => x.typevisor.instructions)).toEqual(programs[0]!.rows.map((x) => x.typevisor.instructions));

    const text = bench(['--quick', '--small', '--only', 'fib', '--peers', '', '--sections', 'interpreter,programs', '--results-dir', dir]);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain('real programs: typevisor against its peers');
    expect(text.stdout).toContain('no programs benchmark chosen (--only)');
  });

  test('--compare: says when there is nothing to compare with, then compares with the last run', () => {
    const first = bench(['--quick', '--small', '--only', 'fib', '--peers', '', '--compare', '--results-dir', dir]);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/--compare: no previous run of the same size and tier/);
    const second = bench(['--quick', '--small', '--only', 'fib,sieve', '--peers', '', '--compare', '--results-dir', dir]);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/interpreter: compared with .*\.json/);
    expect(second.stdout).toMatch(/^fib \(interp\)\s+\S+ \S+ → \S+ \S+\s+\((−|\+|±)\d+\.\d%\)\s+MIPS \S+ → \S+\s+\((−|\+|±)\d+\.\d%\)$/m);
    expect(second.stdout).toMatch(/^fib \(jit\)\s+\S+ \S+ → \S+ \S+/m);
    expect(second.stdout).toMatch(/^sieve \(interp\)\s+not in the previous run$/m);
  });

  test('a native interpreter that is not installed is reported as skipped, with how to install it', () => {
    const r = bench(['--quick', '--small', '--only', 'fib', '--peers', 'lua,python', '--results-dir', dir], { PATH: join(dir, 'empty') });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('skipped: lua5.4 not installed (apt-get install lua5.4)');
    expect(r.stdout).toContain('skipped: python3 not installed (apt-get install python3)');
  });

  test.each([
    [['--tier', 'fast'], /--tier: no tier 'fast'/],
    [['--only', 'fib,nope'], /--only: no such name 'nope'/],
    [['--runs', '0'], /--runs: expected a whole number/],
    [['--peers', 'luajit'], /--peers: no such name 'luajit'/],
  ])('%j is refused with a clear message and exit status 1', (args, message) => {
    const r = bench([...args, '--results-dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
    expect(readdirSync(dir)).toEqual([]);
  });
});
