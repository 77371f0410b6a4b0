import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble } from '../../../isa/asm/index.js';
import type { Image } from '../../../isa/image.js';
import { Debugger, DEBUGGER_COMMANDS, type DebuggerOptions } from '../../../vm/process/debugger.js';
import { ProcessVM } from '../../../vm/process/index.js';
import { inputFrom } from './harness.js';

function image(source: string): Image {
  const r = assemble(source, { filename: 'prog.s' });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.image;
}

/**
 * A debugging session over one program. The debugger's lines and the
 * program's output go into one transcript, in the order they happened.
 */
class Session {
  readonly dbg: Debugger;
  /** Everything so far; `take()` returns what came since the last take. */
  private text = '';
  private taken = 0;

  constructor(source: string, options: { stdin?: string } & Partial<Omit<DebuggerOptions, 'launch' | 'print'>> = {}) {
    const img = image(source);
    this.dbg = new Debugger({
      launch: () => new ProcessVM(img, { stdout: (b) => void (this.text += new TextDecoder().decode(b)), stdin: inputFrom(options.stdin ?? '') }),
      print: (line) => void (this.text += `${line}\n`),
      ...options,
    });
    this.dbg.begin();
  }

  take(): string[] {
    const out = this.text.slice(this.taken);
    this.taken = this.text.length;
    return out.split('\n').slice(0, -1);
  }

  /** Run a command; the lines it produced. */
  async do(line: string): Promise<string[]> {
    this.take();
    await this.dbg.execute(line);
    return this.take();
  }

  get cpu() {
    return this.dbg.process.machine.cpu;
  }
}

/** s0 counts 1..3 into `total`; a dot is written each round; exit(s0). */
const LOOP = `
main:
    li   s0, 0
    la   s2, total
loop:
    addi s0, s0, 1
    sw   s0, 0(s2)
    li   t0, 3
    li   a0, 1
    la   a1, dot
    li   a2, 1
    syscall
    li   t1, 3
    bne  s0, t1, loop
done:
    li   t0, 1
    mv   a0, s0
    syscall
.data
total: .word 0
dot:   .ascii "."
`;
// main: 0x1000 li; 0x1004/0x1008 la; loop: 0x100c addi, 0x1010 sw, 0x1014 li t0 ... 0x1030 syscall? computed below from the image.

/** factorial(5) by recursion; stores the result in `result`, exits with it. */
const FACT = `
_start:
    li   a0, 5
    call fact
    la   a1, result
    sw   a0, 0(a1)
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
.data
result: .word 0
`;

const labelOf = (source: string, name: string): number => {
  const s = image(source).symbols.find((x) => x.name === name);
  if (!s) throw new Error(`no label ${name}`);
  return s.value;
};
const hex8 = (n: number): string => `0x${n.toString(16).padStart(8, '0')}`;

describe('starting and stopping', () => {
  test('the program stops before its first instruction, and says where', () => {
    const s = new Session(LOOP);
    expect(s.take()).toEqual(['stopped at main (0x00001000): li s0, 0']);
    expect(s.cpu.instret).toBe(0);
  });

  test('continue without breakpoints runs to the exit; the program output appears as it runs', async () => {
    const s = new Session(LOOP);
    expect(await s.do('continue')).toEqual(['...program exited with status 3']);
    expect(s.dbg.exitStatus).toBe(3);
  });

  test('once the program has ended, step and continue say it is not running; run starts it again', async () => {
    const s = new Session(LOOP);
    await s.do('c');
    const again = "the program is not running (it exited with status 3) — 'run' starts it again";
    expect(await s.do('step')).toEqual([again]);
    expect(await s.do('next')).toEqual([again]);
    expect(await s.do('continue')).toEqual([again]);
    expect(await s.do('restart')).toEqual(['started the program again', 'stopped at main (0x00001000): li s0, 0']);
    expect(s.dbg.exitStatus).toBe(0);
    expect(s.cpu.instret).toBe(0);
    expect(await s.do('c')).toEqual(['...program exited with status 3']);
  });

  test('quit, q and a prefix of quit end the session; other commands do not', async () => {
    const s = new Session(LOOP);
    for (const q of ['quit', 'q', 'qu', 'exit', 'QUIT']) expect(await s.dbg.execute(q)).toBe(true);
    expect(await s.dbg.execute('regs')).toBe(false);
  });
});

describe('breakpoints', () => {
  test('on a label: continue stops there each time round, counting hits', async () => {
    const s = new Session(LOOP);
    const loop = labelOf(LOOP, 'loop');
    expect(await s.do('break loop')).toEqual([`breakpoint 1 at loop (${hex8(loop)}): addi s0, s0, 1`]);
    expect(await s.do('c')).toEqual(['breakpoint 1 hit (1 time)', `stopped at loop (${hex8(loop)}): addi s0, s0, 1`]);
    expect(s.cpu.regs[12]).toBe(0);
    // Continuing from the breakpoint does not stop on it again at once: a whole round runs.
    expect(await s.do('c')).toEqual(['.breakpoint 1 hit (2 times)', `stopped at loop (${hex8(loop)}): addi s0, s0, 1`]);
    expect(s.cpu.regs[12]).toBe(1);
    expect(await s.do('info breakpoints')).toEqual([
      '  #  kind        address     where',
      `  1  breakpoint  ${hex8(loop)}  loop             hit 2 times`,
    ]);
  });

  test('on an address and on an expression', async () => {
    const s = new Session(LOOP);
    const done = labelOf(LOOP, 'done');
    expect(await s.do(`b ${hex8(done + 4)}`)).toEqual([`breakpoint 1 at done+0x4 (${hex8(done + 4)}): mv a0, s0`]);
    expect(await s.do('b done+8')).toEqual([`breakpoint 2 at done+0x8 (${hex8(done + 8)}): syscall`]);
    expect(await s.do('c')).toEqual(['...breakpoint 1 hit (1 time)', `stopped at done+0x4 (${hex8(done + 4)}): mv a0, s0`]);
    expect(await s.do('c')).toEqual(['breakpoint 2 hit (1 time)', `stopped at done+0x8 (${hex8(done + 8)}): syscall`]);
  });

  test('addresses that cannot hold an instruction are refused, saying why', async () => {
    const s = new Session(LOOP);
    const code = '(code is at 0x00001000..0x00001040)';
    expect(await s.do('break 0x10')).toEqual([`break: 0x00000010 is not in the program's code ${code}`]);
    expect(await s.do('break total')).toEqual([`break: 0x00002000 is not in the program's code ${code}`]);
    expect(await s.do('break 0x1040')).toEqual([`break: 0x00001040 is not in the program's code ${code}`]);
    expect(await s.do('break loop+2')).toEqual(['break: 0x0000100e is not a multiple of 4: instructions are 4-byte aligned']);
    expect(await s.do('break nowhere')).toEqual(["break: 'nowhere' is not a number, a register or a label"]);
    expect(await s.do('break loop done')).toEqual(['usage: break [LOC]   (LOC: a label, an address, loop+8, FILE:LINE; no spaces)']);
    expect(await s.do('break prog.s:3')).toEqual(['break: no source line information (the program was loaded from an image): give a label or an address']);
    await s.do('break loop');
    expect(await s.do('break 0x100c')).toEqual(['breakpoint 1 is already at loop (0x0000100c)']);
    expect(await s.do('breakpoints')).toHaveLength(2);
  });

  test('FILE:LINE when the source lines are known', async () => {
    const loop = labelOf(LOOP, 'loop');
    // Line numbers of LOOP: line 1 is empty, `loop:` is line 5 and its first instruction line 6.
    const s = new Session(LOOP, { lines: [{ addr: loop, file: 'dir/prog.s', line: 6 }, { addr: loop + 4, file: 'dir/prog.s', line: 7 }] });
    expect(await s.do('break prog.s:7')).toEqual([`breakpoint 1 at loop+0x4 (${hex8(loop + 4)}): sw s0, 0(s2)   ; dir/prog.s:7`]);
    expect(await s.do('break prog.s:99')).toEqual(['break: prog.s:99 produced no instruction']);
    expect(await s.do('break other.s:6')).toEqual(["break: no source file 'other.s' in this program"]);
  });

  test('delete removes by number or all; a deleted breakpoint no longer stops the program', async () => {
    const s = new Session(LOOP);
    await s.do('b loop');
    await s.do('b done');
    expect(await s.do('delete 1')).toEqual(['deleted breakpoint 1']);
    expect(await s.do('d 1')).toEqual(['delete: there is no breakpoint or watchpoint 1']);
    expect(await s.do('d x')).toEqual(["delete: 'x' is not a breakpoint number"]);
    expect(await s.do('c')).toEqual(['...breakpoint 2 hit (1 time)', `stopped at done (${hex8(labelOf(LOOP, 'done'))}): li t0, 1`]);
    await s.do('watch total');
    expect(await s.do('delete all')).toEqual(['deleted 1 breakpoint and 1 watchpoint']);
    expect(await s.do('breakpoints')).toEqual(['no breakpoints or watchpoints']);
    expect(await s.do('c')).toEqual(['program exited with status 3']);
  });

  test("the program's own break instruction stops it; going on steps over it", async () => {
    const s = new Session('main:\n    li a0, 1\n    break\n    li a0, 2\n    li t0, 1\n    syscall\n');
    expect(await s.do('c')).toEqual([
      'the program executed a break instruction at main+0x4 (0x00001004); going on steps over it',
      'stopped at main+0x4 (0x00001004): break',
    ]);
    expect(await s.do('step')).toEqual(['00001004  break', 'stopped at main+0x8 (0x00001008): li a0, 2']);
    expect(await s.do('c')).toEqual(['program exited with status 2']);
  });
});

describe('step and next', () => {
  test('step N executes N instructions, each shown as --trace shows it, then the next one', async () => {
    const s = new Session(LOOP);
    expect(await s.do('step 3')).toEqual([
      '00001000  li s0, 0                s0=0x00000000',
      '00001004  lui s2, 0               s2=0x00000000',
      '00001008  ori s2, s2, 0x2000      s2=0x00002000',
      'stopped at loop (0x0000100c): addi s0, s0, 1',
    ]);
    expect(s.cpu.instret).toBe(3);
    expect(await s.do('s')).toEqual(['0000100c  addi s0, s0, 1          s0=0x00000001', 'stopped at loop+0x4 (0x00001010): sw s0, 0(s2)']);
    expect(s.cpu.instret).toBe(4);
  });

  test("a system call: its line, the program's output, then the call as the tracer shows it", async () => {
    const s = new Session(LOOP);
    await s.do('b loop+0x1c');
    await s.do('c');
    // The program's "." comes between the instruction and the call's result (this transcript joins them on one line; the CLI breaks it).
    expect(await s.do('step')).toEqual(['00001028  syscall', '.  -> write(1, 0x2004, 1) = 1', 'stopped at loop+0x20 (0x0000102c): li t1, 3']);
  });

  test('step stops early at a breakpoint, or when the program ends', async () => {
    const s = new Session(LOOP);
    await s.do('b loop+4');
    const lines = await s.do('step 100');
    expect(lines.slice(-2)).toEqual(['breakpoint 1 hit (1 time)', 'stopped at loop+0x4 (0x00001010): sw s0, 0(s2)']);
    expect(s.cpu.instret).toBe(4);
    await s.do('delete all');
    const end = await s.do('step 1000');
    expect(end[end.length - 1]).toBe('program exited with status 3');
    expect(s.cpu.instret).toBeLessThan(1000);
  });

  test('an empty line repeats the last step or next, only right after it', async () => {
    const s = new Session(LOOP);
    await s.do('step 2');
    expect(await s.do('')).toHaveLength(3);
    expect(s.cpu.instret).toBe(4);
    await s.do('regs');
    expect(await s.do('')).toEqual([]);
    expect(s.cpu.instret).toBe(4);
  });

  test('next over a call runs the whole call and stops after it', async () => {
    const s = new Session(FACT);
    await s.do('step');
    expect(await s.do('next')).toEqual([
      '00001004  call fact               ra=0x00001008',
      // fact(5): 4 recursive calls of 9 instructions before the inner call... counted by the machine.
      expect.stringMatching(/^ {2}\(returned after \d+ instructions\)$/),
      'stopped at _start+0x8 (0x00001008): lui a1, 0',
    ]);
    expect(s.cpu.regs[4]).toBe(120);
  });

  test('next over a recursive call returns at the same depth, not at a deeper return to the same place', async () => {
    const s = new Session(FACT);
    const inner = labelOf(FACT, 'inner');
    await s.do('break inner');
    await s.do('c');
    await s.do('c');
    // Second time at `inner`: fact(4) is about to call fact(3).
    const sp = s.cpu.regs[2]! >>> 0;
    expect(s.cpu.regs[12]).toBe(4);
    await s.do('delete all');
    const lines = await s.do('next');
    expect(lines[lines.length - 1]).toBe(`stopped at inner+0x4 (${hex8(inner + 4)}): mul a0, a0, s0`);
    // fact(3) came back: a0 = 6, and the stack is where it was (the deeper returns to inner+4 went by).
    expect(s.cpu.regs[4]).toBe(6);
    expect(s.cpu.regs[2]! >>> 0).toBe(sp);
    expect(s.cpu.regs[12]).toBe(4);
  });

  test('next stops at a breakpoint inside the call', async () => {
    const s = new Session(FACT);
    await s.do('b base');
    await s.do('step');
    const lines = await s.do('next');
    expect(lines.slice(-2)).toEqual(['breakpoint 1 hit (1 time)', `stopped at base (${hex8(labelOf(FACT, 'base'))}): li a0, 1`]);
  });

  test('next over an ordinary instruction is step', async () => {
    const s = new Session(FACT);
    expect(await s.do('next')).toEqual(['00001000  li a0, 5                a0=0x00000005', 'stopped at _start+0x4 (0x00001004): call fact']);
  });

  test('bad counts are explained', async () => {
    const s = new Session(LOOP);
    expect(await s.do('step x')).toEqual(["step: 'x' is not a positive whole number"]);
    expect(await s.do('step 0')).toEqual(["step: '0' is not a positive whole number"]);
    expect(await s.do('next 1 2')).toEqual(['usage: next [N]']);
    expect(await s.do('continue 5')).toEqual(['continue takes no arguments']);
    expect(s.cpu.instret).toBe(0);
  });
});

describe('watchpoints', () => {
  test('a store to the watched word stops the program: old and new values, the instruction that changed it', async () => {
    const s = new Session(LOOP);
    const loop = labelOf(LOOP, 'loop');
    expect(await s.do('watch total')).toEqual([
      'watchpoint 1 at total (0x00002000): 0x00000000 (0)',
      '  (while a watchpoint is set, continue goes one instruction at a time: slower)',
    ]);
    expect(await s.do('c')).toEqual([
      'watchpoint 1: the word at total (0x00002000) changed',
      '  old 0x00000000 (0)',
      '  new 0x00000001 (1)',
      `  by loop+0x4 (${hex8(loop + 4)}): sw s0, 0(s2)`,
      `stopped at loop+0x8 (${hex8(loop + 8)}): li t0, 3`,
    ]);
    const second = await s.do('c');
    expect(second.slice(0, 3)).toEqual(['.watchpoint 1: the word at total (0x00002000) changed', '  old 0x00000001 (1)', '  new 0x00000002 (2)']);
    expect(await s.do('breakpoints')).toEqual([
      '  #  kind        address     where',
      '  1  watchpoint  0x00002000  total            0x00000002 (2), changed 2 times',
    ]);
  });

  test('a system call that fills the word counts too', async () => {
    const src = 'main:\n    li t0, 2\n    li a0, 0\n    la a1, buf\n    li a2, 4\n    syscall\n    li t0, 1\n    syscall\n.data\nbuf: .word 0\n';
    const s = new Session(src, { stdin: 'ABCD' });
    await s.do('watch buf');
    const lines = await s.do('c');
    expect(lines.slice(0, 4)).toEqual(['watchpoint 1: the word at buf (0x00002000) changed', '  old 0x00000000 (0)', '  new 0x44434241 (1145258561)', '  by main+0x14 (0x00001014): syscall']);
  });

  test('watch needs a mapped, aligned word', async () => {
    const s = new Session(LOOP);
    expect(await s.do('watch 0x10')).toEqual(['watch: 0x00000010 is not mapped readable memory']);
    expect(await s.do('watch total+2')).toEqual(['watch: 0x00002002 is not a multiple of 4 (a watchpoint covers the aligned word a lw or sw reaches)']);
    expect(await s.do('watch')).toEqual(['usage: watch ADDR   (a number, register, label or sum like counter+4; no spaces)']);
  });

  test('after run, a watchpoint compares against the fresh program', async () => {
    const s = new Session(LOOP);
    await s.do('c');
    await s.do('watch total');
    await s.do('run');
    const lines = await s.do('c');
    expect(lines.slice(1, 3)).toEqual(['  old 0x00000000 (0)', '  new 0x00000001 (1)']);
  });
});

describe('looking at the program', () => {
  test('regs: every register in hex and decimal, and pc; * marks what changed since the previous stop', async () => {
    const s = new Session(LOOP, { style: { changed: (t) => `<${t}>`, alert: (t) => t } });
    await s.do('step 3');
    expect(await s.do('regs')).toEqual([
      ' zero 0x00000000           0       ra 0x00000000           0',
      '   sp 0x7ffff000  2147479552       fp 0x00000000           0',
      '   a0 0x00000000           0       a1 0x00000000           0',
      '   a2 0x00000000           0       a3 0x00000000           0',
      '   t0 0x00000000           0       t1 0x00000000           0',
      '   t2 0x00000000           0       t3 0x00000000           0',
      '   s0 0x00000000           0       s1 0x00000000           0',
      '<*  s2 0x00002000        8192>       s3 0x00000000           0',
      '<*  pc 0x0000100c        4108>  <loop>',
      '(* changed since the previous stop)',
    ]);
    await s.do('step');
    const after = await s.do('r');
    expect(after.filter((l) => l.includes('*'))).toEqual(['<*  s0 0x00000001           1>       s1 0x00000000           0', '<*  pc 0x00001010        4112>  <loop+0x4>', '(* changed since the previous stop)']);
  });

  test('negative values read as negative decimals', async () => {
    const s = new Session('main:\n    li a0, -5\n    li t0, 1\n    syscall\n');
    await s.do('s');
    expect((await s.do('regs'))[2]).toBe('*  a0 0xfffffffb          -5       a1 0x00000000           0');
  });

  test('mem: 16 bytes a line with an ASCII column; 64 bytes by default; registers, labels and sums as the address', async () => {
    const s = new Session(LOOP);
    s.dbg.process.machine.writeVirtual(0x2008, new TextEncoder().encode('Hi!\n'));
    expect(await s.do('mem total 12')).toEqual(['00002000  00 00 00 00 2e 00 00 00  48 69 21 0a              |........Hi!.|']);
    expect(await s.do('x dot-4 6')).toEqual(['00002000  00 00 00 00 2e 00                                 |......|']);
    const full = await s.do('m total');
    expect(full).toHaveLength(4);
    expect(full[3]).toBe('00002030  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|');
    s.cpu.regs[5] = 0x2000;
    expect(await s.do('mem a1+8 3')).toEqual([`${'00002008  48 69 21'.padEnd(60)}|Hi!|`]);
  });

  test('mem: unmapped bytes show as ?? with a note saying which', async () => {
    const s = new Session(LOOP);
    expect(await s.do('mem sp-8 16')).toEqual([
      '7fffeff8  00 00 00 00 00 00 00 00  ?? ?? ?? ?? ?? ?? ?? ??  |........        |',
      'note: 0x7ffff000..0x7ffff008 (8 bytes) is not mapped: shown as ??',
    ]);
    expect(await s.do('mem 0 4')).toEqual(['00000000  ?? ?? ?? ??                                       |    |', 'note: 0x00000000..0x00000004 (4 bytes) is not mapped: shown as ??']);
  });

  test('mem: bad arguments are explained', async () => {
    const s = new Session(LOOP);
    expect(await s.do('mem')).toEqual(['usage: mem ADDR [LEN]   (default 64 bytes; ADDR like sp, msg, sp+16, 0x2000 — no spaces)']);
    expect(await s.do('mem sp+')).toEqual(['mem: an operand is missing at the end']);
    expect(await s.do('mem sp 0')).toEqual(["mem: the length must be a whole number from 1 to 65536, got '0'"]);
    expect(await s.do('mem sp 100000')).toEqual(["mem: the length must be a whole number from 1 to 65536, got '100000'"]);
    expect(await s.do('mem 0x100000000')).toEqual(['mem: 0x100000000 does not fit in 32 bits']);
  });

  test('disasm: labels as headers, => at pc, breakpoints marked, stops at the end of the code', async () => {
    const s = new Session(LOOP);
    await s.do('b loop+4');
    await s.do('step 2');
    expect(await s.do('disasm')).toEqual([
      '=> 00001008  ori s2, s2, 0x2000',
      'loop:',
      '   0000100c  addi s0, s0, 1',
      '   00001010  sw s0, 0(s2)            [breakpoint 1]',
      '   00001014  li t0, 3',
      '   00001018  li a0, 1',
      '   0000101c  lui a1, 0',
      '   00001020  ori a1, a1, 0x2004',
      '   00001024  li a2, 1',
    ]);
    expect(await s.do('disasm done 10')).toEqual(['done:', '   00001034  li t0, 1', '   00001038  mv a0, s0', '   0000103c  syscall', '   00001040  (the end of the code)']);
    expect(await s.do('disasm total')).toEqual(["disasm: 0x00002000 is not in the program's code (code is at 0x00001000..0x00001040)"]);
    expect(await s.do('disasm pc 0')).toEqual(["disasm: the count must be a whole number from 1 to 4096, got '0'"]);
  });

  test('where and info: pc, the instruction, the nearest label, instructions retired', async () => {
    const s = new Session(LOOP);
    await s.do('step 4');
    const where = ['pc loop+0x4 (0x00001010): sw s0, 0(s2)', 'instructions retired: 4', 'sp 0x7ffff000'];
    expect(await s.do('where')).toEqual(where);
    expect(await s.do('info')).toEqual(where);
    await s.do('c');
    expect((await s.do('info')).slice(-1)).toEqual(['the program exited with status 3']);
  });

  test('print evaluates expressions', async () => {
    const s = new Session(LOOP);
    expect(await s.do('p loop+8')).toEqual(['0x00001014  4116  4116  <loop+0x8>']);
    expect(await s.do('p -1')).toEqual(['0xffffffff  4294967295  -1']);
    expect(await s.do('p sp-0x10+4')).toEqual(['0x7fffeff4  2147479540  2147479540']);
    // The kernel debugger's grammar: loads through the program's memory, C's operators, spaces.
    await s.do('break loop+8');
    await s.do('continue');
    expect(await s.do('p *total')).toEqual(['0x00000001  1  1']);
    expect(await s.do('p total[0] * 2 + (1 << 4)')).toEqual(['0x00000012  18  18']);
    expect(await s.do('p *0')).toEqual(['print: cannot read the word at 0x00000000: nothing maps it']);
  });
});

describe('faults', () => {
  test('a fault shows the same report run prints; the state can still be inspected', async () => {
    const src = 'main:\n    li a0, 7\n    li a1, 0\n    lw a0, 0(a1)\n';
    const s = new Session(src);
    const lines = await s.do('c');
    expect(lines[0]).toBe('load-fault at 0x00001008 <main+0x8>: lw a0, 0(a1) — address 0x00000000: page not mapped');
    expect(lines.slice(0, 5).join('\n')).toBe(s.dbg.process.result?.kind === 'fault' ? s.dbg.process.result.report : 'no fault');
    expect(lines[5]).toBe("the program cannot go on; registers and memory can still be inspected, 'run' starts it again");
    expect(s.dbg.exitStatus).toBe(134);
    expect(await s.do('step')).toEqual(["the program is not running (it stopped by a load-fault) — 'run' starts it again"]);
    expect((await s.do('regs'))[2]).toContain('a0 0x00000007           7');
  });

  test('a fault while stepping comes after the faulting instruction', async () => {
    const s = new Session('main:\n    li t1, 0\n    div a0, a0, t1\n');
    const lines = await s.do('step 5');
    expect(lines.slice(0, 3)).toEqual([
      '00001000  li t1, 0                t1=0x00000000',
      '00001004  div a0, a0, t1',
      'divide-by-zero at 0x00001004 <main+0x4>: div a0, a0, t1 — the divisor (t1) is 0',
    ]);
  });
});

describe('interrupting a long run', () => {
  const SPIN = 'main:\n    addi s0, s0, 1\n    j main\n';

  test('interrupt() during continue stops it at the next pause', async () => {
    let pauses = 0;
    const s: Session = new Session(SPIN, {
      pause: async () => {
        if (++pauses === 3) s.dbg.interrupt();
      },
    });
    const lines = await s.do('c');
    expect(lines[0]).toBe('interrupted');
    expect(lines[1]).toMatch(/^stopped at main(\+0x4)? \(0x0000100[04]\)/);
    expect(s.cpu.instret).toBeGreaterThan(1000);
    expect(s.dbg.running).toBe(false);
  });

  test('and while a watchpoint makes it go one instruction at a time', async () => {
    let pauses = 0;
    const s: Session = new Session(`${SPIN}.data\nw: .word 0\n`, {
      pause: async () => {
        if (++pauses === 2) s.dbg.interrupt();
      },
    });
    await s.do('watch w');
    expect((await s.do('c'))[0]).toBe('interrupted');
  });
});

describe('commands', () => {
  test('unknown and ambiguous commands are explained', async () => {
    const s = new Session(LOOP);
    expect(await s.do('foo')).toEqual(["unknown command 'foo' — type help"]);
    expect(await s.do('re')).toEqual(["ambiguous command 're': regs, restart"]);
    expect(await s.do('rest')).toEqual(['started the program again', 'stopped at main (0x00001000): li s0, 0']);
    expect(await s.do('info frobs')).toEqual(["info: no 'frobs' to show — try info breakpoints, info registers"]);
  });

  test('short forms and prefixes', async () => {
    const s = new Session(LOOP);
    expect(await s.do('conti')).toEqual(['...program exited with status 3']);
    expect(await s.do('dis main 1')).toEqual(['main:', '   00001000  li s0, 0']);
    expect((await s.do('wh'))[0]).toMatch(/^pc /);
  });

  test('help lists every command with one line each', async () => {
    const s = new Session(LOOP);
    const lines = await s.do('help');
    for (const c of DEBUGGER_COMMANDS) expect(lines.some((l) => l.startsWith(`  ${c.usage}`) && l.includes(c.help))).toBe(true);
  });

  test('comments and blank lines do nothing', async () => {
    const s = new Session(LOOP);
    expect(await s.do('# a comment')).toEqual([]);
    expect(await s.do('   ')).toEqual([]);
  });

  test('no input makes the debugger fail: every line is answered without an internal error', async () => {
    const s = new Session(LOOP);
    const word = fc.oneof(fc.constantFrom(...DEBUGGER_COMMANDS.flatMap((c) => [c.name, ...c.aliases]), 'info', 'b', 'x'), fc.string({ maxLength: 6 }));
    const arg = fc.oneof(
      fc.constantFrom('sp', 'loop', 'total', '0x1000', '-1', 'all', 'dot+2', 'pc', 'prog.s:3', '0xffffffff', '1e9', '++', 'breakpoints', 'registers'),
      fc.integer({ min: -5, max: 300 }).map(String),
      fc.string({ maxLength: 8 }),
    );
    await fc.assert(
      fc.asyncProperty(word, fc.array(arg, { maxLength: 3 }), async (w, args) => {
        s.take();
        const quit = await s.dbg.execute([w, ...args].join(' '));
        expect(typeof quit).toBe('boolean');
        expect(s.take().some((l) => l.includes('internal error'))).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
