/**
 * The VM state format: every valid state survives encode → decode; a real
 * state taken from the guest kernel does too and restores into a VM that goes
 * on as the original would; every way the bytes can be wrong — cut short,
 * flipped, a newer major, a bad value — is a VmStateError naming the field
 * and its offset, never anything else and never a silent acceptance.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { assemble } from '../../../isa/asm/index.js';
import { crc32 } from '../../../isa/crc32.js';
import { LIFECYCLES } from '../../../hypervisor/core/lifecycle.js';
import { MONITORS, type VmState } from '../../../hypervisor/core/state.js';
import { decodeVmState, decodeVmStateAs, encodeVmState, STATE_HEADER_SIZE, STATE_MINOR, VmStateError } from '../../../hypervisor/core/state-format.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { NO_DEADLINE } from '../../../vm/cpu.js';
import { RAM_BASE } from '../../../vm/memmap.js';
import { KERNEL } from '../../helpers/kernel.js';

const MEM = 4 * 1024 * 1024;
const i32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const rx = fc.uint8Array({ maxLength: 64 });

const anyState: fc.Arbitrary<VmState> = fc.record({
  name: fc.string({ minLength: 1, maxLength: 20 }),
  monitor: fc.constantFrom(...MONITORS),
  lifecycle: fc.constantFrom(...LIFECYCLES),
  cpu: fc.record({
    regs: fc.array(i32, { minLength: 15, maxLength: 15 }).map((r) => [0, ...r]),
    pc: u32,
    mode: fc.constantFrom(0, 1),
    csr: fc.array(i32, { minLength: 12, maxLength: 12 }),
    instret: u64,
    idle: u64,
    timerDeadline: fc.oneof(fc.constant(NO_DEADLINE), fc.integer({ min: -Number.MAX_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER })),
  }),
  vcpu: fc.record({ ipDevices: u32, waiting: fc.boolean(), halted: fc.boolean(), exitStatus: i32 }),
  devices: fc.record({
    console: fc.record({ rx, irqEnabled: fc.boolean(), ended: fc.boolean(), endPending: fc.boolean(), transmitted: u64 }),
    disk: fc.record({ sector: u32, addr: u32, count: u32, cmd: u32, status: fc.integer({ min: 0, max: 3 }), error: fc.integer({ min: 0, max: 5 }), reads: u64, writes: u64 }),
    net: fc.record({ rx, irqEnabled: fc.boolean(), connected: fc.boolean(), closed: fc.boolean(), changed: fc.boolean(), transmitted: u64, received: u64, dropped: u64 }),
    power: fc.constant({}),
  }),
}) as fc.Arbitrary<VmState>;

function refusal(f: () => unknown): VmStateError {
  try {
    f();
  } catch (e) {
    if (e instanceof VmStateError) return e;
    throw new Error(`not a VmStateError: ${String(e)}`);
  }
  throw new Error('accepted');
}

/** Edit a copy of the bytes and seal its checksum again, so only the edit is wrong. */
function reseal(bytes: Uint8Array, edit: (v: DataView, b: Uint8Array) => void): Uint8Array {
  const out = bytes.slice();
  edit(new DataView(out.buffer), out);
  const v = new DataView(out.buffer);
  v.setUint32(8, out.length, true);
  v.setUint32(12, 0, true);
  v.setUint32(12, crc32(out), true);
  return out;
}

/** Where each section's body starts, by tag, and its length. */
function sections(bytes: Uint8Array): Map<number, { at: number; len: number }> {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const out = new Map<number, { at: number; len: number }>();
  for (let at = STATE_HEADER_SIZE; at < bytes.length; ) {
    const len = v.getUint32(at + 2, true);
    out.set(v.getUint16(at, true), { at: at + 6, len });
    at += 6 + len;
  }
  return out;
}

const FIELD_AND_OFFSET = /^VM state: [\w.[\]]+ at offset \d+: /;

// A real state: the guest kernel booted under the native monitor and stopped mid-run, with input queued.
let realVm: { state: VmState; bytes: Uint8Array; restoreInto: () => VmState };

beforeAll(async () => {
  const r = assemble(readFileSync(KERNEL, 'utf8'), { filename: KERNEL, defaultTextBase: RAM_BASE });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  const image = r.image;
  const mon = new NativeMonitor([{ name: 'vm1', image, memSize: MEM }], { maxInstructions: 1_000_000 });
  await mon.run();
  const vm = mon.vmNamed('vm1')!;
  vm.console.input(Uint8Array.of(0x68, 0x69, 0x0a));
  vm.net.connect();
  vm.net.receive(Uint8Array.of(1, 2, 3, 250));
  const state = vm.save('native', 'paused');
  const bytes = encodeVmState(state);
  realVm = {
    state,
    bytes,
    // A second VM given the first one's memory and decoded state is the same VM.
    restoreInto: () => {
      const other = new NativeMonitor([{ name: 'vm2', image, memSize: MEM }]);
      const copy = other.vmNamed('vm2')!;
      copy.memory.u8.set(vm.memory.u8);
      copy.restore(decodeVmState(bytes));
      return copy.save('native', 'paused');
    },
  };
});

describe('round trip', () => {
  test('any valid state comes back equal', () => {
    fc.assert(
      fc.property(anyState, (s) => {
        expect(decodeVmState(encodeVmState(s))).toEqual(s);
      }),
      { numRuns: 300 },
    );
  });

  test('a real state from the guest kernel comes back equal, and restores into another VM that then saves the same state', () => {
    const { state, bytes } = realVm;
    expect(state.cpu.instret).toBeGreaterThan(500_000);
    expect(state.cpu.timerDeadline).not.toBe(NO_DEADLINE); // the kernel's scheduler has armed the timer
    expect(state.devices.console.rx).toEqual(Uint8Array.of(0x68, 0x69, 0x0a));
    expect(decodeVmState(bytes)).toEqual(state);
    expect({ ...realVm.restoreInto(), name: 'vm1' }).toEqual(state);
  });
});

describe('bad bytes are refused, naming the field and its offset', () => {
  test('every prefix of a real state', () => {
    const { bytes } = realVm;
    const fields = new Set<string>();
    for (let n = 0; n < bytes.length; n++) {
      const e = refusal(() => decodeVmState(bytes.subarray(0, n)));
      expect(e.message).toMatch(FIELD_AND_OFFSET);
      expect(e.offset).toBeLessThanOrEqual(n);
      fields.add(e.field);
    }
    // The cut is named where it falls, not only as a wrong length.
    for (const f of ['header.magic', 'header.checksum', 'vm.name', 'cpu.regs', 'cpu.timerDeadline', 'vcpu.exitStatus', 'devices.console.rx', 'devices.disk.writes', 'devices.net.dropped', 'devices.power']) expect(fields).toContain(f);
  });

  test('every flipped bit of a real state', () => {
    const { bytes } = realVm;
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const bad = bytes.slice();
        bad[i]! ^= 1 << bit;
        const e = refusal(() => decodeVmState(bad));
        expect(e.message).toMatch(FIELD_AND_OFFSET);
        if (i >= 16) expect(e.field).toBe('header.checksum');
      }
    }
  });

  test('random corruptions of random states', () => {
    fc.assert(
      fc.property(anyState, fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }), (s, flips) => {
        const bytes = encodeVmState(s);
        const bad = bytes.slice();
        for (const f of flips) bad[f.at % bad.length]! ^= f.xor;
        if (bad.every((b, i) => b === bytes[i])) return; // the flips undid each other
        expect(refusal(() => decodeVmState(bad)).message).toMatch(FIELD_AND_OFFSET);
      }),
      { numRuns: 300 },
    );
  });

  test('trailing bytes, wrong magic', () => {
    const { bytes } = realVm;
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(refusal(() => decodeVmState(longer)).message).toBe(`VM state: header.length at offset 8: says ${bytes.length} bytes; the state has ${bytes.length + 1}`);
    expect(refusal(() => decodeVmState(new TextEncoder().encode('{"cpu":{},"devices":{}}'))).field).toBe('header.magic');
  });
});

describe('versions', () => {
  test('a newer major is refused, even with a valid checksum', () => {
    const newer = reseal(realVm.bytes, (v) => v.setUint16(4, 2, true));
    const e = refusal(() => decodeVmState(newer));
    expect(e.field).toBe('header.major');
    expect(e.offset).toBe(4);
    expect(e.message).toContain('is 2.0');
  });

  test('an older minor is read by a newer reader', () => {
    // Format 1.0 is the first: a reader of 1.1 shows how it takes this one.
    expect(STATE_MINOR).toBe(0);
    expect(decodeVmStateAs(realVm.bytes, STATE_MINOR + 1)).toEqual(realVm.state);
  });

  test("a newer minor's trailing fields and unknown sections are skipped", () => {
    const { bytes, state } = realVm;
    const cpu = sections(bytes).get(2)!;
    // 1.1 as a writer might make it: four more bytes at the end of cpu, and a section with tag 99 after vcpu.
    const extra = Uint8Array.of(0xaa, 0xbb, 0xcc, 0xdd);
    const vcpuEnd = (() => { const s = sections(bytes).get(3)!; return s.at + s.len; })();
    const unknown = Uint8Array.of(99, 0, 3, 0, 0, 0, 7, 7, 7);
    const cpuEnd = cpu.at + cpu.len;
    const out = new Uint8Array(bytes.length + extra.length + unknown.length);
    out.set(bytes.subarray(0, cpuEnd), 0);
    out.set(extra, cpuEnd);
    out.set(bytes.subarray(cpuEnd, vcpuEnd), cpuEnd + extra.length);
    out.set(unknown, vcpuEnd + extra.length);
    out.set(bytes.subarray(vcpuEnd), vcpuEnd + extra.length + unknown.length);
    const v11 = reseal(out, (v) => {
      v.setUint16(6, 1, true);
      v.setUint32(cpu.at - 4, cpu.len + extra.length, true);
    });
    expect(decodeVmState(v11)).toEqual(state);
    // The same bytes claiming 1.0 were written by nobody: refused.
    const v10 = reseal(v11, (v) => v.setUint16(6, 0, true));
    expect(refusal(() => decodeVmState(v10)).message).toBe(`VM state: cpu at offset ${cpuEnd}: has 4 bytes after its last field (its length says ${cpu.len + 4}, its fields take ${cpu.len})`);
  });
});

describe('bad values are refused, on reading and on writing', () => {
  const base = (): VmState => realVm.state;

  test.each([
    ['devices.disk.status', 5, 16, 9, /is 9, not 0\.\.3/],
    ['devices.console.irqEnabled', 4, 7, 2, /is 2, not a boolean/],
    ['vm.lifecycle', 1, -1, 42, /is 42, not one of created, running/],
    ['cpu.mode', 2, 68, 7, /is 7, not 0\.\.1/],
  ] as const)('%s', (field, tag, at, value, problem) => {
    const s = sections(realVm.bytes).get(tag)!;
    const off = at >= 0 ? s.at + at : s.at + s.len - 1;
    const bad = reseal(realVm.bytes, (_v, b) => void (b[off] = value));
    const e = refusal(() => decodeVmState(bad));
    expect(e.field).toBe(field);
    expect(e.offset).toBe(off);
    expect(e.problem).toMatch(problem);
  });

  test('a time beyond 2^53 and a non-zero r0', () => {
    const cpu = sections(realVm.bytes).get(2)!;
    const instretAt = cpu.at + 16 * 4 + 4 + 1 + 12 * 4;
    const big = reseal(realVm.bytes, (v) => v.setBigUint64(instretAt, 1n << 60n, true));
    expect(refusal(() => decodeVmState(big)).message).toBe(`VM state: cpu.instret at offset ${instretAt}: is 1152921504606846976, not a whole number 0..2^53−1`);
    const r0 = reseal(realVm.bytes, (v) => v.setInt32(cpu.at, 5, true));
    expect(refusal(() => decodeVmState(r0)).message).toBe(`VM state: cpu.regs[0] at offset ${cpu.at}: is 5: r0 is hard-wired to zero`);
  });

  test('the writer refuses what the reader would, at the offset the field would have', () => {
    const s = base();
    const pcAt = sections(realVm.bytes).get(2)!.at + 64;
    expect(refusal(() => encodeVmState({ ...s, cpu: { ...s.cpu, pc: 2 ** 32 } })).message).toBe(`VM state: cpu.pc at offset ${pcAt}: is 4294967296, not a u32`);
    expect(refusal(() => encodeVmState({ ...s, cpu: { ...s.cpu, idle: 0.5 } })).field).toBe('cpu.idle');
    expect(refusal(() => encodeVmState({ ...s, devices: { ...s.devices, net: { ...s.devices.net, rx: new Uint8Array(5000) } } })).problem).toBe('holds 5000 bytes, more than 4096');
    expect(refusal(() => encodeVmState({ ...s, monitor: 'bare' as 'native' })).field).toBe('vm.monitor');
  });
});
