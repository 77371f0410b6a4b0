/**
 * The monitor's fast path (hypervisor/core/fast-path.ts) and its world switch
 * (world-switch.ts) are invisible: generated guest kernels heavy in
 * privileged instructions, traps, sret to user mode and back, timer
 * interrupts and wfi end in exactly the state the bare machine ends in — every
 * register, CSR, the mode, the instruction count and the idle time — and in
 * the same state and counts as the slow path (forced by watching the traps).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble } from '../../../isa/asm/index.js';
import type { Image } from '../../../isa/image.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import type { VmStats } from '../../../hypervisor/core/stats.js';
import { BareMachine } from '../../../vm/bare.js';
import type { CpuSnapshot } from '../../../vm/cpu.js';
import { RAM_BASE } from '../../../vm/memmap.js';

const MEM = 4 * 1024 * 1024;
/** Where the user half runs: the kernel's first 32 pages mapped again with U (paging variant). */
const ALIAS = 0x0040_0000;

/**
 * Registers the generated operations use. s2 and s3 are the trap handler's
 * (an interrupt may come between any two instructions), s1 counts rounds, fp
 * points at kernel data; a3 is the temporary of the multi-instruction steps.
 */
const POOL = ['a0', 'a1', 'a2', 'a3', 't0', 't1', 't2', 't3', 's0'] as const;
const READABLE = ['status', 'tvec', 'epc', 'cause', 'badaddr', 'scratch', 'ptbase', 'timecmp', 'ie', 'ip', 'time', 'timeh'] as const;
const FREE = ['scratch', 'epc', 'cause', 'badaddr'] as const;

const reg = fc.constantFrom(...POOL);

/** One supervisor-mode step of the generated kernel. */
const kernelOp: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(reg, reg, fc.integer({ min: -2048, max: 2047 })).map(([d, s, i]) => `addi ${d}, ${s}, ${i}`),
  fc.tuple(reg, reg, reg).map(([d, a, b]) => `xor ${d}, ${a}, ${b}`),
  fc.tuple(reg, fc.constantFrom(...READABLE)).map(([d, c]) => `csrr ${d}, ${c}`),
  fc.tuple(fc.constantFrom(...FREE), reg).map(([c, s]) => `csrw ${c}, ${s}`),
  fc.tuple(reg, reg).map(([d, s]) => `csrrw ${d}, scratch, ${s}`),
  fc.tuple(fc.constantFrom('csrs', 'csrc'), reg).map(([op, s]) => `${op} scratch, ${s}`),
  fc.tuple(reg, fc.integer({ min: 0, max: 60 }).map((x) => x * 4)).map(([s, o]) => `sw ${s}, ${o}(fp)`),
  fc.tuple(reg, fc.integer({ min: 0, max: 60 }).map((x) => x * 4)).map(([d, o]) => `lw ${d}, ${o}(fp)`),
  fc.constant('syscall'),
  fc.constant('tlbflush'),
  fc.constantFrom('li a3, 1\n    csrs status, a3', 'li a3, 1\n    csrc status, a3'),
  // Arm the timer a few instructions ahead (its line on in ie); maybe wait for it.
  fc.tuple(fc.integer({ min: 1, max: 40 }), fc.boolean()).map(([k, wait]) => `csrr a3, time\n    addi a3, a3, ${k}\n    csrw timecmp, a3\n    li a3, 1\n    csrw ie, a3${wait ? '\n    wfi' : ''}`),
);

/** One user-mode step: its privileged instructions and faults are the guest kernel's traps. */
const userOp: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(reg, reg, fc.integer({ min: -2048, max: 2047 })).map(([d, s, i]) => `addi ${d}, ${s}, ${i}`),
  fc.tuple(reg, reg, reg).map(([d, a, b]) => `add ${d}, ${a}, ${b}`),
  fc.tuple(reg, fc.constantFrom(...READABLE)).map(([d, c]) => `csrr ${d}, ${c}`),
  fc.tuple(reg).map(([s]) => `csrw scratch, ${s}`),
  fc.constant('sret'),
  fc.constant('syscall'),
  fc.tuple(reg, fc.integer({ min: 0, max: 60 }).map((x) => x * 4)).map(([d, o]) => `lw ${d}, ${o}(fp)`),
);

const step = fc.oneof(
  { weight: 4, arbitrary: kernelOp },
  { weight: 1, arbitrary: fc.array(userOp, { minLength: 1, maxLength: 8 }).map((ops) => ({ user: ops })) },
);

/**
 * The kernel: a trap handler that skips the trapping instruction (a0 = 99
 * from user mode asks to come back in supervisor mode) and sets the timer
 * 1000 instructions on when it fires; with `paging`, a table mapping its image
 * supervisor-only at RAM_BASE and again with U at ALIAS, where user code runs
 * (and the power device, to end).
 */
function kernelSource(steps: readonly (string | { user: readonly string[] })[], paging: boolean, rounds: number): string {
  let label = 0;
  const body = steps.map((s) => {
    if (typeof s === 'string') return `    ${s}`;
    const n = label++;
    // Interrupts off (status: PIE only, PM user) before epc is set: an interrupt would overwrite it.
    const at = paging ? `    la   a3, u${n}\n    li   a2, ${ALIAS - RAM_BASE}\n    add  a3, a3, a2` : `    la   a3, u${n}`;
    return ['    li   a3, 2', '    csrw status, a3', at, '    csrw epc, a3', '    sret', `u${n}:`, ...s.user.map((o) => `    ${o}`), '    li   a0, 99', '    syscall'].join('\n');
  });
  const pagingOn = paging
    ? `    li   t0, 0x80100000
    li   t1, 0x80101000
    ori  t2, t1, 1
    sw   t2, 2048(t0)
    li   t1, 0x80102000
    ori  t2, t1, 1
    sw   t2, 4(t0)
    li   t3, 0
1:  slli t2, t3, 12
    li   t1, 0x80000000
    add  t2, t2, t1
    slli a1, t3, 2
    ori  a0, t2, 111
    li   t1, 0x80101000
    add  t1, t1, a1
    sw   a0, 0(t1)
    ori  a0, t2, 127
    li   t1, 0x80102000
    add  t1, t1, a1
    sw   a0, 0(t1)
    addi t3, t3, 1
    li   t1, 32
    bne  t3, t1, 1b
    li   t0, 0x80100000
    li   t1, 0x80103000
    ori  t2, t1, 1
    sw   t2, 3840(t0)
    li   t2, 0xF0002067
    sw   t2, 8(t1)
    li   t0, 0x80100001
    csrw ptbase, t0`
    : '';
  return `
_start:
    la   t0, handler
    csrw tvec, t0
    li   fp, 0x80018000
${pagingOn}
    li   s1, ${rounds}
    li   s0, 0
round:
${body.join('\n')}
    li   a3, 1
    csrc status, a3
    addi s1, s1, -1
    bnez s1, round
    li   a3, 0xF0002000
    sw   zero, 0(a3)
1:  j    1b

handler:
    csrr s2, cause
    bltz s2, .irq
    csrr s3, epc
    addi s3, s3, 4
    csrw epc, s3
    li   s3, 99
    bne  a0, s3, 1f
    li   s3, 4
    csrs status, s3
1:  sret
.irq:
    csrr s3, time
    addi s3, s3, 1000
    csrw timecmp, s3
    sret
`;
}

function image(source: string): Image {
  const r = assemble(source, { filename: 'fast-path.s', defaultTextBase: RAM_BASE });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n') + '\n' + source);
  return r.image;
}

interface End {
  readonly outcome: unknown;
  readonly cpu: CpuSnapshot;
}

async function onBare(img: Image): Promise<End> {
  const b = new BareMachine(img, { memSize: MEM, maxInstructions: 2_000_000 });
  const outcome = await b.run();
  return { outcome, cpu: b.machine.cpu.save() };
}

async function onNative(img: Image, slowPath: boolean): Promise<End & { stats: VmStats }> {
  const mon = new NativeMonitor([{ name: 'vm1', image: img, memSize: MEM }], { maxInstructions: 2_000_000, ...(slowPath ? { onEvent: () => {} } : {}) });
  const r = await mon.run();
  const vm = r.vms[0]!;
  const outcome = vm.outcome.kind === 'poweroff' ? { kind: 'poweroff', status: vm.outcome.status } : vm.outcome;
  return { outcome, cpu: mon.vms[0]!.cpu.save(), stats: vm.stats };
}

const counts = (s: VmStats) => ({ traps: { ...s.traps }, emulated: { ...s.emulated }, reflected: { ...s.reflected }, injected: { ...s.injected }, hidden: s.hiddenFaults, reflectedFaults: s.reflectedFaults, mmio: s.mmio });

describe('the fast path is invisible to the guest', () => {
  test.each([false, true])('generated kernels (paging %s) end as on the bare machine, and as on the slow path, counts included', async (paging) => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 3 }), async (steps, rounds) => {
        const img = image(kernelSource(steps, paging, rounds));
        const bare = await onBare(img);
        const fast = await onNative(img, false);
        const slow = await onNative(img, true);
        expect(bare.outcome).toEqual({ kind: 'poweroff', status: 0 });
        expect(fast.outcome).toEqual(bare.outcome);
        expect(fast.cpu).toEqual(bare.cpu);
        expect(slow.cpu).toEqual(fast.cpu);
        expect(counts(fast.stats)).toEqual(counts(slow.stats));
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  test('a trap vector that traps itself stops the VM with a reason instead of hanging the monitor', async () => {
    // tvec points at a syscall: every delivery traps again, and nothing ever retires.
    const img = image(`
_start:
    la   t0, vec
    csrw tvec, t0
vec:
    syscall
`);
    const mon = new NativeMonitor([{ name: 'vm1', image: img, memSize: MEM }], {});
    const r = await mon.run();
    expect(r.vms[0]!.outcome).toEqual({ kind: 'failed', reason: expect.stringMatching(/^no progress: 100000 traps in a row at pc 0x8000000c/) });
  }, 60_000);
});
