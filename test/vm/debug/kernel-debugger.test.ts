/**
 * The kernel debugger driven in-process over real kernels (guests/), on the
 * bare machine and under the native monitor: reverse execution returns to
 * the identical state, translate agrees with the MMU, bt names the frame
 * chain, reverse-continue finds the previous watchpoint hit, and no
 * malformed command gets more than one line (or a stack trace).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assembleFile } from '../../../isa/asm/index.js';
import type { Image } from '../../../isa/image.js';
import { RAM_BASE } from '../../../vm/memmap.js';
import { Mode } from '../../../vm/cpu.js';
import { BareTarget } from '../../../vm/debug/bare-target.js';
import { KernelDebugger } from '../../../vm/debug/kernel-debugger.js';
import type { DebugTarget } from '../../../vm/debug/target.js';
import { NativeMonitor } from '../../../hypervisor/native/native-monitor.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const MEM = 1 << 20;
const KERNELS = ['guests/kernel/kernel.s', 'guests/kernel/netkernel.s', 'guests/tour/ticker.s', 'guests/workloads/incrementer.s'];
const images = new Map<string, Image>();

function image(file: string): Image {
  let img = images.get(file);
  if (!img) {
    const r = assembleFile(join(REPO_ROOT, file), { defaultTextBase: RAM_BASE });
    if (!r.ok) throw new Error(`${file}: ${r.diagnostics[0]?.message}`);
    img = r.image;
    images.set(file, img);
  }
  return img;
}

function target(kind: 'bare' | 'native', file: string, memSize = 16 << 20): DebugTarget {
  const out = (): void => undefined;
  return kind === 'bare' ? new BareTarget(image(file), { memSize, output: out }) : new NativeMonitor([{ name: 'vm1', image: image(file), memSize }], { tier: 'interp', output: out }).find('vm1')!.debugTarget!();
}

function session(t: DebugTarget, file: string): { dbg: KernelDebugger; lines: string[]; run: (cmd: string) => Promise<string[]> } {
  const lines: string[] = [];
  const dbg = new KernelDebugger({ target: t, image: image(file), print: (l) => lines.push(l) });
  return {
    dbg,
    lines,
    run: async (cmd) => {
      lines.length = 0;
      await dbg.execute(cmd);
      return [...lines];
    },
  };
}

/** Everything the guest can observe, as one string. */
function fingerprint(t: DebugTarget): string {
  const c = t.cpu;
  const mem = createHash('sha256').update(t.memory.u8).digest('hex');
  return JSON.stringify({ regs: [...c.regs], pc: c.pc, mode: c.mode, csr: [...c.csr], instret: c.instret, time: c.time, mem });
}

describe('reverse-step N then step N returns to the identical state', () => {
  for (const kind of ['bare', 'native'] as const) {
    test(`${kind}: several kernels, random positions and N`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom(...KERNELS), fc.integer({ min: 1, max: 40_000 }), fc.integer({ min: 1, max: 12_000 }), async (file, at, back) => {
          const t = target(kind, file, 4 << 20);
          const s = session(t, file);
          await s.run(`step ${at}`);
          fc.pre(s.dbg.control.ended === undefined);
          const before = fingerprint(t);
          const n = Math.min(back, s.dbg.control.tick);
          await s.run(`reverse-step ${n}`);
          expect(s.dbg.control.tick).toBe(at - n);
          await s.run(`step ${n}`);
          expect(fingerprint(t)).toBe(before);
        }),
        { numRuns: 6 },
      );
    }, 60_000);
  }
});

describe('kernel-aware commands', () => {
  test('a breakpoint in the trap handler hits on the first system call; bt ends at the trap from user mode', async () => {
    const file = KERNELS[0]!;
    const s = session(target('bare', file), file);
    expect(await s.run('break trap_vector if $cause == 9')).toEqual([expect.stringMatching(/^breakpoint 1 at 80000[0-9a-f]{3} <trap_vector> if \$cause == 9: csrrw/)]);
    const out = await s.run('continue');
    expect(out.join('\n')).toMatch(/breakpoint 1, .*trap_vector/);
    expect(out.join('\n')).toMatch(/trap: syscall \d+ \(cause 0x00000009\) from user mode/);
    expect(s.dbg.control.traps.filter((t) => t.cause === 9)).toHaveLength(1);
    expect((await s.run('bt')).at(-1)).toMatch(/<trap from user mode: syscall at 0x/);
  });

  test("the current user program's own symbols, found through the kernel's process table", async () => {
    const file = KERNELS[0]!;
    const s = session(target('native', file), file);
    await s.run('break syscall');
    await s.run('continue');
    expect((await s.run('x/i $epc'))[0]).toMatch(/^ {3}[0-9a-f]{8} <hello:_start\+0x[0-9a-f]+>: syscall$/);
    const start = await s.run('print hello:_start');
    expect(start[0]).toMatch(/^hello:_start = 0x0000[0-9a-f]{4} /);
    expect((await s.run('print yield:_start'))[0]).toMatch(/not a number, a register/); // not the current process
  });

  test('bt names the functions of the frame chain', async () => {
    const file = KERNELS[0]!;
    for (const kind of ['bare', 'native'] as const) {
      const s = session(target(kind, file), file);
      await s.run('break sys_write');
      await s.run('continue');
      await s.run('step 6'); // into the body, past its prologue
      const bt = await s.run('bt');
      const names = bt.map((l) => /^#\d+\s+(\S+?)(\+0x[0-9a-f]+)? \(/.exec(l)?.[1] ?? l);
      expect(names.slice(0, 3)).toEqual(['sys_write', 'syscall', 'usertrap']);
      expect(bt.at(-1)).toMatch(/<trap from user mode: syscall/);
    }
  });

  test('translate agrees with the MMU for every page the guest has mapped near pc and sp', async () => {
    const file = KERNELS[0]!;
    const t = target('bare', file) as BareTarget;
    const s = session(t, file);
    await s.run('break syscall');
    await s.run('continue');
    const m = t.machine;
    const epc = m.cpu.csr[2]! >>> 0;
    const vas = [epc, (epc + 0x1000) >>> 0, (m.cpu.regs[2]! - 4) >>> 0, 0x80000000, 0x7fff_f000, 0x12345678];
    for (const va of vas) {
      const out = await s.run(`translate ${va}`);
      const got = /→ physical ([0-9a-f]{8})/.exec(out.join('\n'));
      const pa = m.mmu.peek(va, Mode.SUPERVISOR, 0);
      if (pa < 0) expect(got, `${va.toString(16)}: ${out.join('\n')}`).toBeNull();
      else expect(got && Number.parseInt(got[1]!, 16), va.toString(16)).toBe(pa >>> 0);
    }
  });

  test('reverse-continue stops at the previous watchpoint hit', async () => {
    const file = KERNELS[0]!;
    for (const kind of ['bare', 'native'] as const) {
      const s = session(target(kind, file), file);
      await s.run('break syscall');
      await s.run('continue');
      await s.run('delete');
      // usertrap moves the saved epc past the syscall instruction in the process's trap frame, on every call.
      expect((await s.run('watch *curproc+P_TF+TF_EPC'))[0]).toMatch(/^watchpoint 2: 4 bytes at/);
      const first = await s.run('continue');
      expect(first[0]).toMatch(/^watchpoint 2: /);
      const firstTick = s.dbg.control.tick;
      const firstState = fingerprint(s.dbg.control.target);
      await s.run('continue');
      expect(s.dbg.control.tick).toBeGreaterThan(firstTick);
      const back = await s.run('reverse-continue');
      expect(back[0]).toMatch(/^watchpoint 2: /);
      expect(s.dbg.control.tick).toBe(firstTick);
      expect(fingerprint(s.dbg.control.target)).toBe(firstState);
    }
  });

  test('reverse-next goes back over a call to the call itself, and next over it comes back', async () => {
    const file = KERNELS[0]!;
    for (const kind of ['bare', 'native'] as const) {
      const s = session(target(kind, file), file);
      await s.run('break usertrap+0x28'); // call syscall
      await s.run('continue');
      expect((await s.run('x/i pc'))[0]).toMatch(/call syscall/);
      const atCall = fingerprint(s.dbg.control.target);
      const tickAtCall = s.dbg.control.tick;
      await s.run('next');
      expect(s.dbg.control.tick).toBeGreaterThan(tickAtCall + 10); // the whole call ran
      await s.run('reverse-next');
      expect(s.dbg.control.tick).toBe(tickAtCall);
      expect(fingerprint(s.dbg.control.target)).toBe(atCall);
      // Not a return: reverse-next is one tick back, even where sp changes (the trap vector's lw sp).
      await s.run('reverse-next');
      expect(s.dbg.control.tick).toBe(tickAtCall - 1);
    }
  });

  test('goto N lands where N instructions had retired, both ways', async () => {
    const file = KERNELS[2]!;
    const s = session(target('native', file), file);
    await s.run('step 5000');
    await s.run('goto 1234');
    expect(s.dbg.control.target.cpu.instret).toBe(1234);
    await s.run('goto 4000');
    expect(s.dbg.control.target.cpu.instret).toBe(4000);
  });
});

describe('malformed commands', () => {
  const BAD = [
    'frobnicate', 'sto', 'step x', 'step -1', 'next 0', 'break', 'break trap bogus', 'break nowhere', 'break 0x80000002', 'break syscall a b',
    'watch', 'watch 0x10 0', 'x/zz sp', 'x/5000xw sp', 'x', 'print', 'print (1+', 'print 1/0', 'print *0x10', 'p/q 1', 'set', 'set zero = 1',
    'set foo = 1', 'set *3 = 1', 'set $time = 4', 'info', 'info nothing', 'info traps x', 'delete q', 'undisplay 9', 'translate', 'translate )',
    'goto x', 'reverse-step q', 'until', 'finish now', 'continue 3', 'bt full', 'disassemble a b c', 'help nosuch', 'info pagetable',
  ];
  test('each gets exactly one line, never a stack trace or an internal error', async () => {
    const file = KERNELS[0]!;
    const s = session(target('bare', file, MEM * 4), file);
    for (const cmd of BAD) {
      const out = await s.run(cmd);
      if (cmd === 'until') continue; // until alone is next: it steps
      expect(out, cmd).toHaveLength(1);
      expect(out[0], cmd).not.toMatch(/internal error|at .*\.js:\d+|TypeError|RangeError/);
    }
  });

  test('any command word with junk after it: no throw, no stack trace, no internal error', async () => {
    const file = KERNELS[0]!;
    const s = session(target('bare', file, MEM * 4), file);
    await s.run('step 100');
    // Commands that inspect or set up (the ones that run the guest could run for long on a valid argument).
    const words = ['break', 'tbreak', 'watch', 'delete', 'display', 'undisplay', 'print', 'p/x', 'set', 'x', 'x/4xw', 'x/s', 'x/2i', 'disassemble', 'registers', 'backtrace', 'translate', 'info', 'info traps', 'info pagetable', 'help', 'frob', 'b', 'tr'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...words), fc.string({ maxLength: 24 }), async (word, junk) => {
        const out = await s.run(`${word} ${junk}`);
        for (const l of out) expect(l).not.toMatch(/internal error|\.js:\d+|TypeError|RangeError/);
      }),
      { numRuns: 300 },
    );
  });

  test('random junk never throws and never prints a stack trace', async () => {
    const file = KERNELS[0]!;
    const s = session(target('bare', file, MEM * 4), file);
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 30 }), async (junk) => {
        const cmd = `p ${junk}`;
        const out = await s.run(cmd);
        expect(out.length).toBeLessThanOrEqual(1);
        for (const l of out) expect(l).not.toMatch(/internal error|\.js:\d+/);
      }),
      { numRuns: 200 },
    );
  });
});
