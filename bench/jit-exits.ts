/**
 * Where translated code stops, per benchmark: how often a region function is
 * entered, how many of those entries are direct calls from translated code,
 * and why each one stopped (vm/jit/exit-profile.ts). A region entered every
 * few dozen instructions spends its time on the way in and out; one entered
 * every hundred thousand spends it in its own code.
 *
 *   npm run build && node dist/bench/jit-exits.js [NAMES] [--small]
 *
 * NAMES: comma-separated benchmarks (default: the real-program family).
 * Counts, not times: each guest runs once on the translation tier, as the
 * bench runs it (process VM, user mode, paging, the timer tick). Virtual
 * time is deterministic, so the counts are the same on every run.
 */
import { EXIT_CAUSES, newExitProfile } from '../vm/jit/exit-profile.js';
import { ProcessVM } from '../vm/process/index.js';
import { renderTable } from '../cli/table.js';
import { assembleGuest } from './guests.js';
import { TICK } from './runners/typevisor.js';
import { BENCHMARKS, sized } from './suite.js';

const args = process.argv.slice(2);
const small = args.includes('--small');
const names = args.find((a) => !a.startsWith('--'))?.split(',') ?? BENCHMARKS.filter((b) => b.family === 'programs').map((b) => b.name);

const rows: string[][] = [['benchmark', 'instr.', 'entries', 'instr./entry', 'by call', ...EXIT_CAUSES]];
for (const name of names) {
  const bench = BENCHMARKS.find((b) => b.name === name);
  if (!bench) {
    console.error(`jit-exits: no benchmark '${name}' (there are: ${BENCHMARKS.map((b) => b.name).join(', ')})`);
    process.exit(2);
  }
  const size = sized(bench, small ? 'small' : 'full');
  const image = assembleGuest(name, size.params);
  const vm = new ProcessVM(image, { args: [name], stdin: () => new Uint8Array(0), stdout: () => {}, stderr: () => {}, tick: TICK, tier: 'jit' });
  const profile = newExitProfile();
  vm.machine.jit!.profile = profile;
  const result = vm.run();
  if (result.kind !== 'exit' || result.status !== 0) {
    console.error(`jit-exits: ${name} did not exit cleanly`);
    process.exit(1);
  }
  const instr = vm.stats().instructions;
  const pct = (x: number): string => (profile.entries === 0 ? '—' : `${((100 * x) / profile.entries).toFixed(1)}%`);
  rows.push([
    name,
    `${(instr / 1e6).toFixed(1)} M`,
    String(profile.entries),
    profile.entries === 0 ? '—' : (instr / profile.entries).toFixed(0),
    pct(profile.calledEntries),
    ...EXIT_CAUSES.map((c) => pct(profile.exits[c])),
  ]);
}
for (const line of renderTable(rows[0]!.map((_, i) => ({ align: i === 0 ? 'left' : 'right' })), rows)) console.log(line);
console.log('\nentries: region functions entered; by call: entered by a direct call from translated code');
console.log('exits, as a share of entries: return (to the call), region (another region of the page), limit (the instruction limit),');
console.log('page (another page), slow-path (a load or store the TLB does not allow, a trap), interpreted (system, privileged),');
console.log('uncovered (code the translation does not hold)');
