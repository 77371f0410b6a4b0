/**
 * One snapshot of a VM at a time (snapshots.ts): snapshots asked for at once
 * — a client's and the schedule's, say — take turns, each pausing and
 * resuming the guest in its own turn, and every file they write is whole;
 * a migration of a VM being saved waits for the snapshot.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { VmRegistry } from '../../../hypervisor/control/registry.js';
import { SnapshotDriver } from '../../../hypervisor/control/snapshots.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { bufferSource, readSnapshot } from '../../../hypervisor/snapshot/snapshot-format.js';
import { image, MiB } from '../migration/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tv-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('snapshots of one VM take turns', () => {
  test('four at once: pause and resume alternate, never two captures inside each other; every file whole', async () => {
    const registry = new VmRegistry({ native: new NativeMonitor([], { capacity: 16 * MiB }) });
    const serving = registry.serve();
    try {
      registry.start({ name: 'w', kernel: 'cpu.s', image: image('cpu', { ITERATIONS: 2_000_000_000 }), memSize: 2 * MiB, share: 1, monitor: 'native' });
      // Running, past its boot.
      await new Promise((r) => setTimeout(r, 200));
      expect(registry.info('w').state).toBe('running');
      const events: string[] = [];
      const pause = registry.pause.bind(registry);
      const resume = registry.resume.bind(registry);
      registry.pause = (name) => (events.push('pause'), pause(name));
      registry.resume = (name) => (events.push('resume'), resume(name));
      const driver = new SnapshotDriver(registry, () => {});
      let migrationRan = -1;
      const files = [0, 1, 2, 3].map((i) => join(dir, `w-${i}.snap`));
      const saves = files.map((path, i) => driver.snapshot({ name: 'w', path, live: i % 2 === 0, stop: false }));
      expect(driver.busy('w')).toBe(true);
      // A migration asked for meanwhile runs only once they are all done.
      const migration = driver.migrating('w', async () => void (migrationRan = events.length));
      const results = await Promise.all(saves);
      await migration;
      expect(events).toEqual(['pause', 'resume', 'pause', 'resume', 'pause', 'resume', 'pause', 'resume']);
      expect(migrationRan).toBe(8);
      expect(driver.busy('w')).toBe(false);
      // Each one saved later than the one before, and each file is whole.
      for (let i = 1; i < results.length; i++) expect(results[i]!.instructions).toBeGreaterThan(results[i - 1]!.instructions);
      for (const f of files) expect(readSnapshot(bufferSource(readFileSync(f)), { pages: true }).info.memSize).toBe(2 * MiB);
      // While a migration holds the VM, a snapshot is refused, not queued behind it.
      let release!: () => void;
      const held = driver.migrating('w', () => new Promise<void>((r) => (release = r)));
      expect(() => driver.snapshot({ name: 'w', path: join(dir, 'no.snap'), live: true, stop: false })).toThrow(/part of a migration/);
      release();
      await held;
    } finally {
      await registry.close();
      await serving;
    }
  });
});
