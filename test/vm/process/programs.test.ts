/**
 * Whole programs, in assembly, run in-process: the runtime as a program sees
 * it, with output captured through callbacks.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { assemble, formatDiagnostic } from '../../../isa/asm/index.js';
import { Reg } from '../../../isa/registers.js';
import { ProcessVM, type ProcessOptions, type ProcessResult } from '../../../vm/process/index.js';
import { Capture, inputFrom } from './harness.js';

const SYS = `
.equ SYS_EXIT, 1
.equ SYS_READ, 2
.equ SYS_WRITE, 3
.equ SYS_OPEN, 4
.equ SYS_CLOSE, 5
.equ SYS_SEEK, 6
.equ SYS_BRK, 7
.equ SYS_CLOCK, 8
`;

interface Ran {
  readonly vm: ProcessVM;
  readonly result: ProcessResult;
  readonly stdout: string;
  readonly stderr: string;
}

function runAsm(source: string, options: ProcessOptions = {}): Ran {
  const r = assemble(SYS + source, { filename: 'test.s' });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
  const out = new Capture();
  const err = new Capture();
  const vm = new ProcessVM(r.image, { stdout: out.sink, stderr: err.sink, stdin: inputFrom(''), ...options });
  const result = vm.run();
  return { vm, result, stdout: out.text, stderr: err.text };
}

test('echo: standard input to standard output until end of input', () => {
  const { result, stdout } = runAsm(
    `
main:
    li   t0, SYS_READ
    li   a0, 0
    la   a1, buf
    li   a2, 16
    syscall
    beqz a0, done
    mv   a2, a0
    li   t0, SYS_WRITE
    li   a0, 1
    la   a1, buf
    syscall
    j    main
done:
    li   t0, SYS_EXIT
    syscall
.bss
buf: .space 16
`,
    { stdin: inputFrom('one\ntwo\nthree, four, five, six\n') },
  );
  expect(result).toEqual({ kind: 'exit', status: 0 });
  expect(stdout).toBe('one\ntwo\nthree, four, five, six\n');
});

test('clock counts the instructions retired before it, each served syscall included', () => {
  const { vm, result } = runAsm(`
main:
    li   a1, 77          ; must be replaced by the high word
    li   t0, SYS_CLOCK   ; 2 instructions before this syscall
    syscall
    mv   s0, a0
    mv   s1, a1
    li   s2, 5
loop:
    addi s2, s2, -1
    bnez s2, loop        ; 1 + 5 × 2 = 11
    li   t0, SYS_CLOCK   ; 2 + syscall + 2 moves + 11 + this = 17
    syscall
    break
`);
  expect(result.kind).toBe('breakpoint');
  const regs = vm.machine.cpu.regs;
  expect([regs[Reg.S0], regs[Reg.S1], regs[Reg.A0], regs[Reg.A1]]).toEqual([2, 0, 17, 0]);
  expect(vm.stats().instructions).toBe(18);
});

describe('brk', () => {
  test('a heap grown by brk is usable and zeroed; after shrinking, touching it faults, even once cached in the TLB', () => {
    const { result, vm } = runAsm(`
main:
    li   t0, SYS_BRK
    li   a0, 0
    syscall              ; a0 = the break: the start of the heap
    mv   s0, a0
    li   t1, 8192
    add  a0, s0, t1
    li   t0, SYS_BRK
    syscall              ; grow by two pages
    lw   s1, 4096(s0)    ; zeroed
    li   t1, 1234
    sw   t1, 4096(s0)
    lw   s2, 4096(s0)    ; the TLB now holds the page
    mv   a0, s0
    li   t0, SYS_BRK
    syscall              ; shrink back to nothing
    lw   s3, 4096(s0)    ; must fault
    li   t0, SYS_EXIT
    syscall
`);
    const regs = vm.machine.cpu.regs;
    expect(regs[Reg.S1]).toBe(0);
    expect(regs[Reg.S2]).toBe(1234);
    expect(result.kind).toBe('fault');
    if (result.kind !== 'fault') return;
    expect(result.trap).toBe('load-fault');
    expect(result.badaddr).toBe(regs[Reg.S0]! + 4096);
    expect(result.report).toContain('page not mapped');
  });
});

test('files: create, write, seek back, read, append — the program and the host agree', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tv-prog-'));
  try {
    const { result, stdout } = runAsm(
      `
main:
    li   t0, SYS_OPEN
    la   a0, path
    li   a1, 0x242         ; O_RDWR | O_CREAT | O_TRUNC
    syscall
    bltz a0, fail
    mv   s0, a0
    li   t0, SYS_WRITE
    mv   a0, s0
    la   a1, text
    li   a2, 6
    syscall
    li   t0, SYS_SEEK
    mv   a0, s0
    li   a1, 2
    li   a2, 0             ; from the start
    syscall
    li   t0, SYS_READ
    mv   a0, s0
    la   a1, buf
    li   a2, 16
    syscall                ; "rst!\\n" back: 4 bytes
    mv   a2, a0
    li   t0, SYS_WRITE
    li   a0, 1
    la   a1, buf
    syscall
    li   t0, SYS_CLOSE
    mv   a0, s0
    syscall
    li   t0, SYS_OPEN
    la   a0, path
    li   a1, 0x401         ; O_WRONLY | O_APPEND
    syscall
    mv   s0, a0
    li   t0, SYS_WRITE
    mv   a0, s0
    la   a1, more
    li   a2, 5
    syscall
    li   t0, SYS_EXIT
    li   a0, 0
    syscall
fail:
    neg  a0, a0
    li   t0, SYS_EXIT
    syscall
.data
path: .asciz "/notes/../first.txt"
text: .ascii "first\\n"
more: .ascii "more\\n"
.bss
buf: .space 16
`,
      { fsRoot: dir },
    );
    expect(result).toEqual({ kind: 'exit', status: 0 });
    expect(stdout).toBe('rst\n');
    expect(readFileSync(join(dir, 'first.txt'), 'utf8')).toBe('first\nmore\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
