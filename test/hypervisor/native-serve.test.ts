/**
 * The native monitor as a daemon runs it (serve()): however large a VM's turn
 * (slice × share), the event loop gets a turn every wall-time budget — the
 * daemon keeps answering — and the shares still hold over each round.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { assemble } from '../../isa/asm/index.js';
import type { Image } from '../../isa/image.js';
import { NativeMonitor } from '../../hypervisor/native/native-monitor.js';
import { RAM_BASE } from '../../vm/memmap.js';

const MiB = 1024 * 1024;

function spinner(): Image {
  const file = new URL('../fixtures/monitor/spinner.s', import.meta.url).pathname;
  const r = assemble(readFileSync(file, 'utf8'), { filename: file, defaultTextBase: RAM_BASE });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.image;
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

let monitor: NativeMonitor | undefined;
afterEach(async () => {
  await monitor?.close();
  monitor = undefined;
});

describe('serve() yields to the event loop', () => {
  test('a VM whose turn is far longer than the budget does not hold the event loop for it', async () => {
    // One turn is 10^9 × 1000 instructions; maxInstructions bounds what a
    // monitor that never yields inside a turn would run before this test
    // gets to look (it then finds the guest finished, not mid-turn).
    const m = (monitor = new NativeMonitor([], { capacity: 8 * MiB, slice: 1e9, maxInstructions: 300_000_000 }));
    m.addVm({ name: 'hog', memSize: 2 * MiB, image: spinner(), share: 1000 });
    const served = m.serve();
    await turn();
    const hog = m.vmNamed('hog')!;
    expect(m.state('hog')).toBe('running');
    expect(hog.cpu.instret).toBeGreaterThan(0);
    expect(hog.cpu.instret).toBeLessThan(300_000_000);
    // And it goes on running between the event loop's turns.
    const seen = hog.cpu.instret;
    await new Promise((r) => setTimeout(r, 20));
    expect(hog.cpu.instret).toBeGreaterThan(seen);
    await m.close();
    await served;
  });

  test('shares hold over rounds cut into many pieces', async () => {
    // A tiny budget: the event loop turns in the middle of nearly every turn.
    const slice = 200_000;
    const m = (monitor = new NativeMonitor([], { capacity: 16 * MiB, slice, turnBudgetMs: 0 }));
    m.addVm({ name: 'one', memSize: 2 * MiB, image: spinner(), share: 1 });
    m.addVm({ name: 'three', memSize: 2 * MiB, image: spinner(), share: 3 });
    const served = m.serve();
    const one = m.vmNamed('one')!;
    const three = m.vmNamed('three')!;
    let turns = 0;
    while (one.cpu.instret < 10 * slice) {
      await turn();
      turns++;
    }
    await m.close();
    await served;
    // Some rounds were cut: the event loop turned more often than there were rounds.
    expect(turns).toBeGreaterThan(one.cpu.instret / slice);
    // `one` runs first in each round: after k whole rounds of its own, `three`
    // has done between k-1 and k of its (three times as long) turns.
    const ratio = three.cpu.instret / one.cpu.instret;
    expect(ratio).toBeGreaterThanOrEqual(2.7);
    expect(ratio).toBeLessThanOrEqual(3);
  });
});
