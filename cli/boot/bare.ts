/** `typevisor boot` on the bare machine. */
import type { Image } from '../../isa/image.js';
import { BareMachine, BootError, type BootResult } from '../../vm/bare.js';
import type { DiskBackend } from '../../vm/devices/disk.js';
import { paintErr } from '../color.js';
import { attachConsole } from '../console.js';
import { writeOut } from '../load.js';
import { machineCounts, listCounts } from './boot-report.js';
import type { BootSettings } from './settings.js';
import { jitDumpOption } from '../jit-dump.js';

export async function bootBare(image: Image, disk: DiskBackend | undefined, s: BootSettings): Promise<void> {
  let bare: BareMachine;
  try {
    bare = new BareMachine(image, {
      memSize: s.memSize,
      tier: s.tier,
      ...jitDumpOption(),
      ...(disk ? { disk } : {}),
      ...(s.maxInstructions !== undefined ? { maxInstructions: s.maxInstructions } : {}),
      output: (bytes) => writeOut(s.json ? 2 : 1, bytes),
      ...(s.traceTraps ? { traceTraps: (line: string) => writeOut(2, line + '\n') } : {}),
    });
  } catch (e) {
    if (!(e instanceof BootError)) throw e;
    writeOut(2, `${paintErr().red('error:')} ${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  const detach = attachConsole(bare);
  let result: BootResult;
  try {
    result = await bare.run();
  } finally {
    detach();
  }
  const m = bare.machine;
  const { traps, interrupts } = machineCounts(m);
  const stats = {
    instructions: m.cpu.instret,
    virtualTime: m.now(),
    wallMs: Math.round(bare.wallMs * 100) / 100,
    mips: bare.wallMs > 0 ? Math.round((m.cpu.instret / bare.wallMs / 1000) * 100) / 100 : 0,
    traps,
    interrupts,
    tlbFlushes: m.mmu.flushes,
    pageWalks: m.mmu.walks,
  };
  const err = paintErr();
  if (result.kind === 'poweroff') process.exitCode = result.status & 0xff;
  else if (result.kind === 'budget') {
    writeOut(2, `${err.red('stopped:')} the guest ran ${result.instructions} instructions (--max-instructions) without powering off\n`);
    process.exitCode = 124;
  } else {
    writeOut(2, `${err.red('stopped:')} ${result.reason}\n`);
    process.exitCode = 125;
  }
  if (s.stats) {
    writeOut(2, [
      err.bold('--- machine stats ---'),
      `instructions   ${stats.instructions}`,
      `virtual time   ${stats.virtualTime}`,
      `wall time      ${stats.wallMs.toFixed(2)} ms (${stats.mips.toFixed(1)} MIPS)`,
      `traps          ${listCounts(traps)}`,
      `interrupts     ${listCounts(interrupts)}`,
      `TLB            ${stats.tlbFlushes} flushes, ${stats.pageWalks} page walks`,
      `result         ${result.kind === 'poweroff' ? `powered off, status ${result.status}` : result.kind}`,
      '',
    ].join('\n'));
  }
  if (s.json) writeOut(1, JSON.stringify({ result, stats }) + '\n');
}
