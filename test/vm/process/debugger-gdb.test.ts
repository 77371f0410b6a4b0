/**
 * The gdb commands `typevisor debug` shares with the kernel debugger:
 * conditional and temporary breakpoints, until, finish, display, x/NFU and
 * print/F — parsed by the shared resolver (vm/debug/commands.ts), formatted
 * by vm/debug/format.ts, run on the process debugger's software-breakpoint
 * path.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble } from '../../../isa/asm/index.js';
import type { Image } from '../../../isa/image.js';
import { Reg } from '../../../isa/registers.js';
import { Debugger } from '../../../vm/process/debugger.js';
import { ProcessVM } from '../../../vm/process/index.js';
import { inputFrom } from './harness.js';

function image(source: string): Image {
  const r = assemble(source, { filename: 'prog.s' });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.image;
}

class Session {
  readonly dbg: Debugger;
  private text = '';
  private taken = 0;
  readonly img: Image;

  constructor(source: string) {
    this.img = image(source);
    this.dbg = new Debugger({
      launch: () => new ProcessVM(this.img, { stdout: (b) => void (this.text += new TextDecoder().decode(b)), stdin: inputFrom('') }),
      print: (line) => void (this.text += `${line}\n`),
    });
    this.dbg.begin();
  }

  take(): string[] {
    const out = this.text.slice(this.taken);
    this.taken = this.text.length;
    return out.split('\n').slice(0, -1);
  }

  async do(line: string): Promise<string[]> {
    this.take();
    await this.dbg.execute(line);
    return this.take();
  }

  get cpu() {
    return this.dbg.process.machine.cpu;
  }

  label(name: string): number {
    return this.img.symbols.find((s) => s.name === name)!.value >>> 0;
  }
}

/** s0 counts 1..N (N in `limit`) into `total`; exits with s0. */
const COUNT = (n: number): string => `
main:
    li   s0, 0
    la   s2, total
    li   s3, ${n}
loop:
    addi s0, s0, 1
    sw   s0, 0(s2)
    bne  s0, s3, loop
done:
    li   t0, 1
    mv   a0, s0
    syscall
.data
total: .word 0
msg:   .asciz "hi!"
`;

/** factorial(5) by recursion. */
const FACT = `
_start:
    li   a0, 5
    call fact
after:
    li   t0, 1
    syscall
fact:
    push ra, s0
    mv   s0, a0
    li   t1, 1
    ble  a0, t1, base
    addi a0, a0, -1
inner:
    call fact
    mul  a0, a0, s0
    pop  ra, s0
    ret
base:
    li   a0, 1
    pop  ra, s0
    ret
`;

describe('software breakpoints and translated code', () => {
  test('a breakpoint in a hot loop stops on every round, after the loop is translated too', async () => {
    const s = new Session(COUNT(400));
    await s.do('break loop+4');
    const seen: number[] = [];
    for (let i = 0; i < 60; i++) {
      await s.do('continue');
      seen.push(s.cpu.regs[Reg.S0]!);
    }
    expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  });
});

describe('conditional and temporary breakpoints', () => {
  test('break LOC if EXPR stops only where EXPR holds, for any K', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), async (k) => {
        const s = new Session(COUNT(40));
        expect(await s.do(`break loop+4 if s0 == ${k}`)).toEqual([`breakpoint 1 (if s0 == ${k}) at loop+0x4 (${hex8(s.label('loop') + 4)}): sw s0, 0(s2)`]);
        const out = await s.do('continue');
        expect(out[0]).toBe('breakpoint 1 hit (1 time)');
        expect(s.cpu.regs[Reg.S0]).toBe(k);
        // The next round does not hold: on to the exit.
        expect(await s.do('continue')).toEqual(['program exited with status 40']);
      }),
      { numRuns: 12 },
    );
  });

  test('tbreak stops once and is gone', async () => {
    const s = new Session(COUNT(5));
    expect((await s.do('tbreak loop'))[0]).toMatch(/^temporary breakpoint 1 at loop/);
    expect(await s.do('continue')).toEqual(['temporary breakpoint 1 hit (now deleted)', `stopped at loop (${hex8(s.label('loop'))}): addi s0, s0, 1`]);
    expect(await s.do('info breakpoints')).toEqual(['no breakpoints or watchpoints']);
    expect(await s.do('continue')).toEqual(['program exited with status 5']);
  });

  test('a malformed condition is refused with one line, and nothing is set', async () => {
    const s = new Session(COUNT(3));
    const out = await s.do('break loop if s0 ==');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^break: the condition: /);
    expect(await s.do('break loop if')).toEqual(['usage: break [LOC] [if EXPR]   (LOC: a label, an address, loop+8, FILE:LINE; no spaces)']);
    expect(await s.do('info breakpoints')).toEqual(['no breakpoints or watchpoints']);
  });

  test('info breakpoints shows the condition and the temporary ones', async () => {
    const s = new Session(COUNT(3));
    await s.do('break loop if s0 > 1');
    await s.do('tbreak done');
    const lines = await s.do('info breakpoints');
    expect(lines[1]).toMatch(/hit 0 times, if s0 > 1$/);
    expect(lines[2]).toMatch(/hit 0 times, temporary$/);
  });
});

describe('until and finish', () => {
  test('until LOC runs to LOC at full speed, and stops at a breakpoint on the way', async () => {
    const s = new Session(COUNT(10));
    expect(await s.do('until done')).toEqual([`stopped at done (${hex8(s.label('done'))}): li t0, 1`]);
    expect(s.cpu.regs[Reg.S0]).toBe(10);
    const t = new Session(COUNT(10));
    await t.do('break loop+4');
    expect((await t.do('until done'))[0]).toBe('breakpoint 1 hit (1 time)');
    const bad = await t.do('until nowhere');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatch(/^until: .*nowhere/);
  });

  test('finish from any depth of the recursion returns to its caller with the stack popped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), async (depth) => {
        const s = new Session(FACT);
        await s.do('break fact');
        for (let i = 0; i < depth; i++) await s.do('continue');
        const spAtEntry = s.cpu.regs[Reg.SP]! >>> 0;
        await s.do('delete all');
        await s.do('step 2'); // into the body: ra is saved on the stack now
        const out = await s.do('finish');
        expect(out[0]).toMatch(/^run till exit from fact, back to /);
        // The caller: `after` for the outermost call, just past `call fact` at inner otherwise.
        expect(s.cpu.pc).toBe(depth === 1 ? s.label('after') : s.label('inner') + 4);
        expect(s.cpu.regs[Reg.SP]! >>> 0).toBe(spAtEntry);
        // fact(6 - depth) is what the call returned.
        const want = [1, 1, 2, 6, 24, 120][6 - depth]!;
        expect(s.cpu.regs[Reg.A0]).toBe(want);
      }),
      { numRuns: 5 },
    );
  });

  test('bt names each frame of the recursion, innermost first, back to _start', async () => {
    // Local labels (.base, named fact.base) are not functions: the frames are fact's.
    const s = new Session(FACT.replace(/^base:/m, '.base:').replace(/^inner:/m, '.inner:').replace('ble  a0, t1, base', 'ble  a0, t1, .base'));
    await s.do('break fact.base');
    await s.do('continue');
    const lines = await s.do('bt');
    // fact(5) → fact(4) → … → fact(1) at base: five frames of fact, then _start.
    expect(lines.slice(6)).toEqual(['(_start keeps no saved ra)']);
    expect(lines[0]).toMatch(/^#0 {2}fact\+0x\w+ \(0x[0-9a-f]{8}\) {2}sp 0x[0-9a-f]{8}$/);
    for (let i = 1; i < 5; i++) expect(lines[i]).toMatch(new RegExp(`^#${i}  fact\\+0x\\w+ \\(${hex8(s.label('fact.inner') + 4)}\\)  sp `));
    expect(lines[5]).toMatch(new RegExp(`^#5  _start\\+0x4 \\(${hex8(s.label('after'))}\\)  sp `));
    expect(await s.do('where')).toHaveLength(3);
  });

  test('finish where there is no caller says so', async () => {
    const s = new Session(COUNT(3));
    expect(await s.do('finish')).toEqual(['finish: there is no caller to return to (the frame chain ends here — try until LOC)']);
  });
});

describe('display, x/NFU, print/F', () => {
  test('display prints at every stop until undisplay', async () => {
    const s = new Session(COUNT(3));
    expect(await s.do('display s0')).toEqual(['1: s0 = 0x00000000 (0)']);
    await s.do('break loop+4');
    expect((await s.do('continue')).slice(-1)).toEqual(['1: s0 = 0x00000001 (1)']);
    expect((await s.do('step')).slice(-1)).toEqual(['1: s0 = 0x00000001 (1)']);
    await s.do('undisplay 1');
    expect((await s.do('continue')).some((l) => l.startsWith('1: '))).toBe(false);
  });

  test('x/NFU reads memory as the kernel debugger shows it; Enter goes on', async () => {
    const s = new Session(COUNT(3));
    await s.do('until done');
    const total = s.label('total');
    expect(await s.do('x/1dw total')).toEqual([`${total.toString(16).padStart(8, '0')} <total>:  3`]);
    expect(await s.do('x/s msg')).toEqual([`${s.label('msg').toString(16).padStart(8, '0')} <msg>: "hi!"`]);
    expect(await s.do('x/2i done')).toEqual([`=> done (${hex8(s.label('done'))}): li t0, 1`, `   done+0x4 (${hex8(s.label('done') + 4)}): mv a0, s0`]);
    // Enter after x/2i: the next two instructions.
    expect((await s.do(''))[0]).toMatch(/^ {3}done\+0x8 /);
    expect(await s.do('x/4q total')).toEqual(["x: bad format '/4q': give /NFU — N a count, F one of x d u c s i, U one of b h w (e.g. x/4xw sp)"]);
    // x without a format is still the hex dump.
    expect((await s.do('x total 4'))[0]).toMatch(/03 00 00 00/);
  });

  test('print/F formats one value', async () => {
    const s = new Session(COUNT(3));
    expect(await s.do('print/x 255')).toEqual(['0x000000ff']);
    expect(await s.do('p/d -1')).toEqual(['-1']);
    expect(await s.do('p/c 65')).toEqual(["'A'"]);
    expect(await s.do('p/q 1')).toEqual(["print: bad format '/q': one of x d u c"]);
    expect(await s.do('step/x')).toEqual(['step takes no /FORMAT (only x/NFU and print/F do)']);
  });
});

function hex8(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
