/**
 * How fast `typevisor debug` runs a long program to a breakpoint: the
 * process debugger's `continue` (software breakpoints patched in, full speed
 * in slices) against the same program run without a debugger.
 *
 *   npm run build && node dist/bench/debug-continue.js [OTHER-DIST]
 *
 * With OTHER-DIST (another build's dist/ folder, e.g. of the main branch)
 * the same cases run on that build too, interleaved round by round so a busy
 * machine slows both alike, and the ratio is printed. Prints figures, never
 * fails on a time.
 *
 * Cases: `continue` to a breakpoint after a loop of ~60 M instructions;
 * the same with the breakpoint inside the loop and a condition that holds
 * only on the last round (each round's hit is tested, so this is the slow
 * kind, as in gdb); and `until` to the end of the loop. An older build
 * that lacks a command shows — for it. On a shared 2-core machine the
 * run-to-run spread of one case is ±40%: compare ratios over several runs.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assemble } from '../isa/asm/index.js';
import type { Image } from '../isa/image.js';

const ROUNDS = 20_000_000;
const COND_ROUNDS = 20_000;
const REPEATS = 7;

const program = (rounds: number): string => `
main:
    li   s0, 0
    la   s2, total
    li   s3, ${rounds}
loop:
    addi s0, s0, 1
    sw   s0, 0(s2)
    bne  s0, s3, loop
done:
    li   t0, 1
    li   a0, 0
    syscall
.data
total: .word 0
`;

interface Build {
  readonly name: string;
  readonly Debugger: new (o: { launch: () => unknown; print: (l: string) => void }) => { execute(line: string): Promise<boolean> };
  readonly ProcessVM: new (image: Image, options: object) => { step(n: number): unknown; close(): void };
}

async function load(name: string, dist: string): Promise<Build> {
  const url = (p: string): string => pathToFileURL(resolve(dist, p)).href;
  const d = (await import(url('vm/process/debugger.js'))) as { Debugger: Build['Debugger'] };
  const p = (await import(url('vm/process/index.js'))) as { ProcessVM: Build['ProcessVM'] };
  return { name, Debugger: d.Debugger, ProcessVM: p.ProcessVM };
}

function image(source: string): Image {
  const r = assemble(source, { filename: 'bench.s' });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.image;
}

/** Milliseconds for the commands after `setup`, the last line the debugger printed. */
async function timeSession(b: Build, img: Image, setup: readonly string[], command: string): Promise<{ ms: number; last: string }> {
  const lines: string[] = [];
  const dbg = new b.Debugger({ launch: () => new b.ProcessVM(img, {}), print: (l) => void lines.push(l) });
  for (const c of setup) await dbg.execute(c);
  const t0 = cpuMs();
  await dbg.execute(command);
  const ms = cpuMs() - t0;
  await dbg.execute('quit');
  return { ms, last: lines[lines.length - 1] ?? '' };
}

function timeFree(b: Build, img: Image): number {
  const vm = new b.ProcessVM(img, {});
  const t0 = cpuMs();
  while ((vm.step(1 << 20) as { kind: string }).kind === 'stepped');
  const ms = cpuMs() - t0;
  vm.close();
  return ms;
}

/** Processor time of this process (user + system): the other tenants of a shared machine count less than in wall time. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const here = resolve(new URL('..', import.meta.url).pathname);
  const builds = [await load('this build', here)];
  if (process.argv[2] !== undefined) builds.push(await load(process.argv[2], process.argv[2]));
  const big = image(program(ROUNDS));
  const small = image(program(COND_ROUNDS));
  const cases: readonly { readonly name: string; readonly run: (b: Build) => Promise<{ ms: number; last: string }> }[] = [
    { name: 'run free (no debugger)', run: async (b) => ({ ms: timeFree(b, big), last: '' }) },
    { name: `continue to a breakpoint after ${ROUNDS} rounds`, run: (b) => timeSession(b, big, ['break done'], 'continue') },
    { name: `until the end of ${ROUNDS} rounds`, run: (b) => timeSession(b, big, [], 'until done') },
    { name: `conditional break in a ${COND_ROUNDS}-round loop`, run: (b) => timeSession(b, small, [`break loop+4 if s0 == ${COND_ROUNDS}`], 'continue') },
  ];
  console.log(`${REPEATS} rounds each, median processor ms${builds.length > 1 ? '; ratio = this build ÷ the other' : ''}`);
  for (const c of cases) {
    const times: number[][] = builds.map(() => []);
    const notes: string[] = builds.map(() => '');
    for (let r = 0; r < REPEATS; r++) {
      for (let i = 0; i < builds.length; i++) {
        try {
          const t = await c.run(builds[i]!);
          // A build without the command answers at once: that is no time.
          if (!t.last.startsWith('unknown command')) times[i]!.push(t.ms);
          notes[i] = t.last;
        } catch (err) {
          notes[i] = `not available: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
        }
      }
    }
    const cells = builds.map((b, i) => (times[i]!.length > 0 ? `${b.name} ${median(times[i]!).toFixed(1)} ms` : `${b.name} —`));
    const ratio = builds.length > 1 && times[0]!.length > 0 && times[1]!.length > 0 ? `  ratio ${(median(times[0]!) / median(times[1]!)).toFixed(2)}` : '';
    console.log(`${c.name.padEnd(48)} ${cells.join('   ')}${ratio}`);
    for (let i = 0; i < builds.length; i++) if (notes[i] !== '') console.log(`    ${builds[i]!.name}: ${notes[i]}`);
  }
}

await main();
