/**
 * The STATE frame carries the VM state format's bytes: a destination that
 * cannot read them refuses the migration with a ProtocolError naming the
 * field inside the state and its offset in the frame.
 */
import { describe, expect, test } from 'vitest';
import { encodeVmState } from '../../../hypervisor/core/state-format.js';
import type { VmState } from '../../../hypervisor/core/state.js';
import { WallClock } from '../../../hypervisor/migration/clock.js';
import { IncomingMigration } from '../../../hypervisor/migration/incoming.js';
import { encodeFrame, FrameType, HEADER_SIZE, StateMode, type Frame } from '../../../hypervisor/migration/protocol.js';
import type { Transport } from '../../../hypervisor/migration/transport.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { NO_DEADLINE } from '../../../vm/cpu.js';

const MiB = 1024 * 1024;

/** A source that sends these frames, then waits; what the destination sends back is kept. */
function scripted(frames: readonly Frame[]): Transport & { sent: Uint8Array[] } {
  const queue = frames.map((f, i) => encodeFrame(f, i));
  const sent: Uint8Array[] = [];
  let closed = false;
  return {
    description: 'scripted',
    sent,
    write: (b) => (sent.push(b), Promise.resolve()),
    read: () => Promise.resolve(queue.shift() ?? (closed ? null : new Promise<null>(() => {}))),
    close: () => void (closed = true),
  };
}

const STATE: VmState = {
  name: 'g',
  monitor: 'native',
  lifecycle: 'migrating-out',
  cpu: { regs: new Array<number>(16).fill(0), pc: 0x8000_0000, mode: 1, csr: new Array<number>(12).fill(0), instret: 5, idle: 0, timerDeadline: NO_DEADLINE },
  vcpu: { ipDevices: 0, waiting: false, halted: false, exitStatus: 0 },
  devices: {
    console: { rx: new Uint8Array(0), irqEnabled: false, ended: false, endPending: false, transmitted: 0 },
    disk: { sector: 0, addr: 0, count: 0, cmd: 0, status: 0, error: 0, reads: 0, writes: 0 },
    net: { rx: new Uint8Array(0), irqEnabled: false, connected: false, closed: false, changed: false, transmitted: 0, received: 0, dropped: 0 },
    power: {},
  },
};

async function migrateWith(state: Uint8Array): Promise<string> {
  const dst = new NativeMonitor([], { capacity: 4 * MiB });
  const inc = new IncomingMigration({ host: dst, clock: new WallClock() });
  const t = scripted([
    { type: FrameType.HELLO, id: '0123456789abcdef0123456789abcdef', memSize: MiB, strategy: 'post-copy', observeMs: 0, name: 'g' },
    { type: FrameType.STATE, mode: StateMode.POSTCOPY, state, onSource: new Uint8Array(MiB / 4096 / 8).fill(0xff) },
  ]);
  const outcome = await inc.run(t);
  expect(outcome.kind).toBe('aborted');
  expect(dst.find('g')).toBeUndefined();
  return outcome.kind === 'aborted' ? outcome.reason : '';
}

describe('STATE frame', () => {
  test('a corrupt state is refused, named inside the frame', async () => {
    const bytes = encodeVmState(STATE);
    bytes[40]! ^= 1;
    expect(await migrateWith(bytes)).toMatch(new RegExp(`^frame STATE: state\\.header\\.checksum mismatch: .* \\(offset ${HEADER_SIZE + 5 + 12}\\)`));
  });

  test('a state cut short is refused at the field where it was cut', async () => {
    const bytes = encodeVmState(STATE);
    expect(await migrateWith(bytes.subarray(0, 23))).toMatch(new RegExp(`^frame STATE: state\\.vm\\.name is truncated: .* \\(offset ${HEADER_SIZE + 5 + 22}\\)`));
    expect(await migrateWith(bytes.subarray(0, 30))).toMatch(new RegExp(`^frame STATE: state\\.cpu\\.length is truncated: .* \\(offset ${HEADER_SIZE + 5 + 29}\\)`));
  });
});
