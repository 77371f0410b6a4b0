/**
 * kill -9 at any moment of a migration, and a source that stops dead (SIGSTOP)
 * and comes back: real daemons, the real CLI. Whatever the moment, the
 * surviving daemon keeps serving, `migrate` ends with one clear line (no
 * stack trace), and the guest is in one of the states that say where it is:
 * running on exactly one side (and whole: it finishes as if never moved),
 * or reported lost, explicitly — never silently nowhere, never on two.
 */
import fc from 'fast-check';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { ControlClient } from '../../../hypervisor/control/client.js';
import { cleanup, cli, clientFor, finishPages, referenceOutput, spawnDaemon, startCli, startPages, states, waitFor } from './daemons.js';

let reference: string;
const clients: ControlClient[] = [];

beforeAll(async () => {
  reference = await referenceOutput();
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await cleanup();
});

/** A one-line ending: no stack trace, no JavaScript error name. */
function clearEnding(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at |TypeError|ReferenceError|Unhandled/);
}

const STRATEGIES = ['stop-and-copy', 'pre-copy', 'post-copy', 'hybrid'] as const;

describe('kill -9 of either daemon at a random moment of any strategy', () => {
  test('the guest ends running on exactly one side, whole, or reported lost; the survivor serves on', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...STRATEGIES), fc.constantFrom('source' as const, 'destination' as const), fc.integer({ min: 0, max: 2500 }), async (strategy, victim, afterMs) => {
        const [a, b] = await Promise.all([spawnDaemon(['--migration-idle-timeout', '2s']), spawnDaemon(['--migration-idle-timeout', '2s'])]);
        const [ca, cb] = await Promise.all([clientFor(a), clientFor(b)]);
        clients.push(ca, cb);
        await startPages(ca, 'vm');
        // 1 MB/s: the 2 MiB guest takes about two seconds to cross (and post-copy pushes it after the switchover), so the kill lands anywhere in it.
        const m = startCli(['migrate', 'vm', '--connect', a.address, '--to', b.address, '--strategy', strategy, '--bandwidth', '1M'], { timeoutMs: 30_000 });
        // The clock starts once the destination has the arrival listed: the kill lands inside the migration.
        await waitFor('the arrival', async () => 'vm' in (await states(cb)) || m.proc.exitCode !== null, 15_000);
        await new Promise((r) => setTimeout(r, afterMs));
        const [dead, survivor, cs] = victim === 'source' ? [a, b, cb] : [b, a, ca];
        await dead.kill('SIGKILL');
        const r = await m.done;
        clearEnding(r.stderr);
        expect([0, 1, 75], `migrate ended ${r.status}: ${r.stderr}`).toContain(r.status);
        expect((await cs.info()).listen).toBe(survivor.address);

        // Whatever the survivor still waits for, ask the way a user would: migrate --recover.
        const waiting = async (): Promise<boolean> => {
          const vm = (await cs.list()).find((v) => v.name === 'vm');
          return vm?.migration !== undefined && vm.state !== 'lost';
        };
        // A destination still in setup or pre-copy notices the dead source by itself (closed link, or its idle timeout).
        if (victim === 'source') await waitFor('the destination to settle', async () => !['setup', 'pre-copy'].includes((await cs.list()).find((v) => v.name === 'vm')?.migration?.phase ?? ''), 8_000);
        if (await waiting()) {
          const rec = await cli(['migrate', 'vm', '--recover', '--connect', a.address, '--to', b.address], { timeoutMs: 20_000 });
          clearEnding(rec.stderr);
        }
        const vm = (await cs.list()).find((v) => v.name === 'vm');
        const where = `${strategy}, ${victim} killed after ${afterMs} ms: migrate said ${JSON.stringify(r.stderr.trim().split('\n').at(-1) ?? r.stdout.trim().split('\n')[0])}; survivor lists ${JSON.stringify(vm)}`;
        if (vm === undefined) {
          // Not here: then it was on the dead side when it died, and migrate said where it was.
          if (victim === 'destination') expect(r.status, where).toBe(0); // it had migrated there
          else expect(['', undefined], where).not.toContain(r.stderr.trim()); // the source died with it, and migrate said so
        } else if (vm.state === 'lost') {
          expect(vm.reason, where).toMatch(/lost|gone/);
        } else {
          expect(vm.state, where).toBe('running');
          expect(vm.migration, where).toBeUndefined();
          expect(await finishPages(cs, 'vm'), where).toBe(reference);
        }
        await cleanup();
      }),
      { numRuns: 4, seed: 20261205 },
    );
  }, 120_000);
});

describe('a source that stops dead in the middle of a migration and comes back', () => {
  test('the destination gives up after its idle timeout and discards its copy; the source, back, finds it aborted and runs its guest', async () => {
    const [a, b] = await Promise.all([spawnDaemon(['--migration-idle-timeout', '1s']), spawnDaemon(['--migration-idle-timeout', '1s'])]);
    const [ca, cb] = await Promise.all([clientFor(a), clientFor(b)]);
    clients.push(ca, cb);
    await startPages(ca, 'vm');
    const m = startCli(['migrate', 'vm', '--connect', a.address, '--to', b.address, '--strategy', 'pre-copy', '--bandwidth', '150K'], { timeoutMs: 25_000 });
    await waitFor('pre-copy', async () => (await cb.list()).find((v) => v.name === 'vm')?.migration?.phase === 'pre-copy', 15_000);
    a.proc.kill('SIGSTOP');
    try {
      await waitFor('B to give up on the silent source', async () => !('vm' in (await states(cb))), 10_000);
      expect(b.log()).toMatch(/vm: incoming migration from \S+ aborted \(the peer went quiet: nothing moved on the connection for 1 s \(idle timeout\); the copy here was discarded\)/);
    } finally {
      a.proc.kill('SIGCONT');
    }
    const r = await m.done;
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toBe(`aborted during pre-copy: vm is running on ${a.address}, unchanged; the connection to ${b.address} broke; ${b.address} discarded its copy`);
    expect(await states(ca)).toEqual({ vm: 'running' });
    expect(await states(cb)).toEqual({});
    expect(await finishPages(ca, 'vm')).toBe(reference);
  });
});
