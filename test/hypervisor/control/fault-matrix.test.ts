/**
 * Fault injection between two real daemons: a relay in front of the
 * destination strikes inside one migration frame — every frame type, in the
 * direction that carries it — either cutting the link there or flipping a
 * byte of it. Then the operator does what the CLI says: after an
 * interruption, `migrate --recover`. Afterwards the guest runs on exactly one
 * side, nothing is reported lost (no daemon died), and it finishes with the
 * console it would have had unmigrated — nothing missing, nothing twice.
 *
 * (The same matrix for every strategy runs in virtual time in
 * test/hypervisor/migration/fault-matrix.test.ts; here each frame type is
 * struck once, under a strategy that sends it, through the daemons' own
 * books: vm list, --recover, the console hand-over.)
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import type { ControlClient } from '../../../hypervisor/control/client.js';
import { cleanup, cli, clientFor, closeRelays, finishPages, referenceOutput, Relay, spawnDaemon, startPages, states, type Daemon } from './daemons.js';

// The two daemons are shared by every case, each case's guest under a name of its own: no case
// kills a daemon, and what each asserts is about its own guest (where it runs, its console).
let a: Daemon;
let b: Daemon;
let ca: ControlClient;
let cb: ControlClient;
let reference: string;

beforeAll(async () => {
  [a, b, reference] = await Promise.all([spawnDaemon(), spawnDaemon(), referenceOutput()]);
  [ca, cb] = await Promise.all([clientFor(a), clientFor(b)]);
});

afterEach(async () => {
  await closeRelays();
});

afterAll(async () => {
  ca?.close();
  cb?.close();
  await cleanup();
});

/** Frame types (protocol.ts), the direction that carries them, and a strategy that sends them. */
const FRAMES = [
  { type: 'HELLO', code: 1, direction: 'forth', strategy: 'pre-copy' },
  { type: 'PAGES', code: 3, direction: 'forth', strategy: 'hybrid' },
  { type: 'ROUND_END', code: 4, direction: 'forth', strategy: 'pre-copy' },
  { type: 'STATE', code: 5, direction: 'forth', strategy: 'post-copy' },
  { type: 'GO', code: 7, direction: 'forth', strategy: 'stop-and-copy' },
  { type: 'WELCOME', code: 2, direction: 'back', strategy: 'stop-and-copy' },
  { type: 'STATE_ACK', code: 6, direction: 'back', strategy: 'hybrid' },
  { type: 'RESUMED', code: 8, direction: 'back', strategy: 'pre-copy' },
  { type: 'PAGE_REQUEST', code: 9, direction: 'back', strategy: 'post-copy' },
  { type: 'COMPLETE', code: 10, direction: 'back', strategy: 'hybrid' },
] as const;
const CASES = FRAMES.flatMap((f) => (['cut', 'flip'] as const).map((action) => ({ ...f, action })));

describe('a strike inside every frame type: the guest ends up running on exactly one side, whole', () => {
  test.each(CASES)('$action inside $type ($direction, $strategy)', async ({ type, code, direction, strategy, action }) => {
    const vm = `${action}-${type}`;
    const relay = await Relay.to(b.address);
    // Inside the frame: past its 4-byte magic/version/type, at its checksum (a flip there is always detected).
    relay.strike = { direction, frameType: code, keep: 12, action };
    await startPages(ca, vm);
    // A PAGE_REQUEST needs the guest to fault before the background push has sent the page: a slow
    // link makes sure it does, however busy the machine is.
    const bandwidth = code === 9 ? '300K' : '2M';
    const migrate = (...more: string[]) => cli(['migrate', vm, '--connect', a.address, '--to', relay.address, '--strategy', strategy, '--bandwidth', bandwidth, ...more], { timeoutMs: 25_000 });
    let r = await migrate();
    for (let i = 0; i < 3 && r.status === 75; i++) r = await migrate('--recover');
    expect(relay.struck).toBe(true);
    expect(r.stderr).not.toMatch(/LOST/);
    expect([0, 1]).toContain(r.status); // completed, or aborted with the guest on the source

    const onA = (await states(ca))[vm];
    const onB = (await states(cb))[vm];
    const running = [onA, onB].filter((s) => s === 'running');
    expect(running, `source: ${onA}, destination: ${onB}`).toHaveLength(1);
    expect(r.status === 0 ? onB : onA).toBe('running');
    const side = r.status === 0 ? cb : ca;
    if (r.status === 0) {
      // The source's console history is handed over after the migration.
      expect(onA).toBeUndefined();
    } else {
      expect(onB).toBeUndefined();
    }
    expect(await finishPages(side, vm)).toBe(reference);
    await side.stop(vm);
  });
});
