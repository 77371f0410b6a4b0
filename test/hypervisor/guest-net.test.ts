/**
 * A VM's network device through the host boundary (core/host.ts), on both
 * monitors: connection events in with netEvent, bytes out through netOutput;
 * and while the VM is paused, events wait outside the device and come back,
 * in order, with takeNetPending — what a VM leaving by migration hands over.
 * The guest is the echo workload (guests/workloads/echo.s). Build first (the
 * hosted monitor's vCPU thread runs from dist/).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { assembleFile } from '../../isa/asm/index.js';
import type { Image } from '../../isa/image.js';
import type { Guest, VmHost } from '../../hypervisor/core/host.js';
import { HostedHost } from '../../hypervisor/hosted/host.js';
import { NativeMonitor } from '../../hypervisor/native/native-monitor.js';
import { RAM_BASE } from '../../vm/memmap.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { waitFor } from './control/daemons.js';

const WORKER = new URL('../../dist/hypervisor/hosted/vcpu-worker.js', import.meta.url);
const MiB = 1024 * 1024;

function echo(): Image {
  const r = assembleFile(join(REPO_ROOT, 'guests', 'workloads', 'echo.s'), { defaultTextBase: RAM_BASE });
  if (!r.ok) throw new Error('echo.s does not assemble');
  return r.image;
}

let host: VmHost | undefined;
let served: Promise<void> | undefined;
afterEach(async () => {
  await host?.close();
  await served;
  host = undefined;
});

const HOSTS: readonly (readonly [string, () => VmHost])[] = [
  ['native', () => new NativeMonitor([], { capacity: 8 * MiB })],
  ['hosted', () => new HostedHost({ capacity: 8 * MiB, workerUrl: WORKER })],
];

describe.each(HOSTS)('the %s monitor', (_, make) => {
  test('bytes in, echoed out; paused, the events wait and are taken back in order', async () => {
    host = make();
    served = host.serve();
    let out = '';
    let console = '';
    const guest: Guest = host.add({ name: 'e', memSize: 4 * MiB, image: echo(), output: (b) => (console += Buffer.from(b).toString()), netOutput: (b) => (out += Buffer.from(b).toString()) });
    guest.netEvent({ kind: 'connected' });
    guest.netEvent({ kind: 'data', bytes: Buffer.from('one\n') });
    await waitFor('the echo', () => out === 'one\n');
    await waitFor('the console line', () => console.includes('line 1: 4 bytes\n'));

    await guest.pause();
    guest.netEvent({ kind: 'data', bytes: Buffer.from('two') });
    guest.netEvent({ kind: 'data', bytes: Buffer.from('three\n') });
    await new Promise((r) => setTimeout(r, 50));
    expect(out).toBe('one\n'); // nothing reached the paused guest's device
    const taken = await guest.takeNetPending();
    expect(taken.map((e) => (e.kind === 'data' ? Buffer.from(e.bytes).toString() : e.kind))).toEqual(['two', 'three\n']);

    // Given back (a migration that failed), they arrive as if nothing had happened.
    for (const e of taken) guest.netEvent(e);
    guest.resume();
    await waitFor('the rest echoed', () => out === 'one\ntwothree\n');
    guest.netEvent({ kind: 'closed' });
    await waitFor('the close seen', () => console.includes('closed after 13 bytes\n'));
    expect(console).toBe('echo: ready\nline 1: 4 bytes\nline 2: 13 bytes\nclosed after 13 bytes\n');
  });
});
