import { describe, expect, test } from 'vitest';
import { Op } from '../../../isa/opcodes.js';
import { Reg } from '../../../isa/registers.js';
import { ERRNO, Sys, USER_STACK_TOP } from '../../../isa/syscalls.js';
import { HEAP_LIMIT, ProcessVM } from '../../../vm/process/index.js';
import { DATA, I, RODATA, TEXT, cstring, harness, inputFrom, li, peek, poke, program, sys, text } from './harness.js';

describe('exit', () => {
  test('ends the run with the low 8 bits of a0', () => {
    const vm = new ProcessVM(program({ text: [...li(Reg.A0, 300), ...sys(Sys.EXIT)] }));
    expect(vm.run()).toEqual({ kind: 'exit', status: 300 & 0xff });
    expect(vm.result).toEqual({ kind: 'exit', status: 44 });
  });

  test('a finished program stays finished', () => {
    const vm = new ProcessVM(program({ text: [...li(Reg.A0, 3), ...sys(Sys.EXIT)] }));
    vm.run();
    expect(vm.step(5)).toEqual({ kind: 'exit', status: 3 });
  });
});

describe('write', () => {
  test('writes to stdout and stderr in call order', () => {
    const h = harness({ data: text('hello, world\n') });
    expect(h.call(Sys.WRITE, 1, DATA, 13)).toBe(13);
    expect(h.call(Sys.WRITE, 2, DATA, 5)).toBe(5);
    expect(h.stdout.text).toBe('hello, world\n');
    expect(h.stderr.text).toBe('hello');
  });

  test('a read-only buffer is fine to write from', () => {
    const h = harness({ rodata: text('const') });
    expect(h.call(Sys.WRITE, 1, RODATA, 5)).toBe(5);
    expect(h.stdout.text).toBe('const');
  });

  test('bad descriptors: EBADF', () => {
    const h = harness({ data: text('x') });
    expect(h.call(Sys.WRITE, 0, DATA, 1)).toBe(-ERRNO.EBADF);
    expect(h.call(Sys.WRITE, 7, DATA, 1)).toBe(-ERRNO.EBADF);
    expect(h.call(Sys.WRITE, -1, DATA, 1)).toBe(-ERRNO.EBADF);
    expect(h.call(Sys.WRITE, 1000, DATA, 1)).toBe(-ERRNO.EBADF);
    expect(h.stdout.text).toBe('');
  });

  test('bad buffers: EFAULT, and nothing is written', () => {
    const h = harness();
    expect(h.call(Sys.WRITE, 1, 0, 1)).toBe(-ERRNO.EFAULT); // page 0
    expect(h.call(Sys.WRITE, 1, RODATA + 4096 - 4, 8)).toBe(-ERRNO.EFAULT); // runs off the end of .rodata
    expect(h.call(Sys.WRITE, 1, DATA, -1)).toBe(-ERRNO.EFAULT); // 4 GiB
    expect(h.call(Sys.WRITE, 1, 0xffff_fff0, 0x20)).toBe(-ERRNO.EFAULT); // wraps
    expect(h.call(Sys.WRITE, 1, 0x8000_0000, 4)).toBe(-ERRNO.EFAULT); // kernel half: nothing there
    expect(h.stdout.text).toBe('');
  });

  test('length 0 writes nothing, whatever the pointer', () => {
    const h = harness();
    expect(h.call(Sys.WRITE, 1, 0, 0)).toBe(0);
  });

  test('a buffer spanning pages is written whole', () => {
    const h = harness();
    const bytes = new Uint8Array(5000).map((_, i) => 65 + (i % 26));
    poke(h.vm, DATA, bytes);
    expect(h.call(Sys.WRITE, 1, DATA, 5000)).toBe(5000);
    expect(Buffer.concat(h.stdout.chunks)).toEqual(Buffer.from(bytes));
  });
});

describe('read', () => {
  test('reads standard input into the buffer; 0 at end of input', () => {
    const h = harness({ stdin: inputFrom('abcdef') });
    expect(h.call(Sys.READ, 0, DATA, 4)).toBe(4);
    expect(h.call(Sys.READ, 0, DATA + 4, 100)).toBe(2);
    expect(Buffer.from(peek(h.vm, DATA, 6)).toString()).toBe('abcdef');
    expect(h.call(Sys.READ, 0, DATA, 100)).toBe(0);
  });

  test('a buffer the program cannot write: EFAULT, and the input is not consumed', () => {
    const h = harness({ stdin: inputFrom('keep') });
    expect(h.call(Sys.READ, 0, TEXT, 4)).toBe(-ERRNO.EFAULT); // text is r-x
    expect(h.call(Sys.READ, 0, RODATA, 4)).toBe(-ERRNO.EFAULT); // r--
    expect(h.call(Sys.READ, 0, 0, 4)).toBe(-ERRNO.EFAULT);
    expect(h.call(Sys.READ, 0, DATA + 8190, 4)).toBe(-ERRNO.EFAULT); // .data, then read-only .rodata
    expect(h.call(Sys.READ, 0, DATA, 4)).toBe(4);
    expect(Buffer.from(peek(h.vm, DATA, 4)).toString()).toBe('keep');
  });

  test('bad descriptors: EBADF', () => {
    const h = harness();
    expect(h.call(Sys.READ, 1, DATA, 1)).toBe(-ERRNO.EBADF);
    expect(h.call(Sys.READ, 2, DATA, 1)).toBe(-ERRNO.EBADF);
    expect(h.call(Sys.READ, 9, DATA, 1)).toBe(-ERRNO.EBADF);
  });
});

describe('brk', () => {
  test('starts at the first page after the highest section, and 0 asks without moving', () => {
    const h = harness();
    // .rodata at 0x6000, 4 KiB: the heap starts at 0x7000.
    expect(h.call(Sys.BRK, 0) >>> 0).toBe(0x7000);
    expect(h.vm.space.heapStart).toBe(0x7000);
  });

  test('grows with fresh zeroed pages the program can use, and shrinks them away', () => {
    const h = harness();
    expect(h.call(Sys.BRK, 0x7000 + 10000)).toBe(0x7000 + 10000);
    expect(peek(h.vm, 0x7000, 3 * 4096).every((b) => b === 0)).toBe(true);
    poke(h.vm, 0x9000, text('heap'));
    expect(h.call(Sys.BRK, 0)).toBe(0x7000 + 10000);
    expect(h.call(Sys.BRK, 0x7001)).toBe(0x7001);
    expect(h.vm.machine.readVirtual(0x8000, 1)).toBeUndefined();
    expect(h.vm.machine.readVirtual(0x7000, 1)).toBeDefined();
    // grown again: the page that left comes back zeroed
    expect(h.call(Sys.BRK, 0xa000)).toBe(0xa000);
    expect(peek(h.vm, 0x9000, 4).every((b) => b === 0)).toBe(true);
  });

  test('refuses to go below the heap start, into the stack guard, or past RAM, leaving the break', () => {
    const h = harness({ memSize: 256 * 1024 });
    const start = h.call(Sys.BRK, 0);
    expect(h.call(Sys.BRK, start - 4)).toBe(start);
    expect(h.call(Sys.BRK, 0x1000)).toBe(start);
    expect(h.call(Sys.BRK, HEAP_LIMIT + 1)).toBe(start);
    expect(h.call(Sys.BRK, USER_STACK_TOP - 8)).toBe(start);
    expect(h.call(Sys.BRK, -4)).toBe(start);
    // 256 KiB of RAM cannot hold a 1 MiB heap: refused, and nothing leaks.
    const used = h.vm.space.frames.used;
    expect(h.call(Sys.BRK, start + (1 << 20))).toBe(start);
    expect(h.vm.space.frames.used).toBe(used);
    // up to the guard page is fine when RAM allows
    const big = new ProcessVM(program({ text: [I(Op.SYSCALL)] }), { memSize: 64 * 1024 * 1024 });
    big.machine.cpu.regs[Reg.T0] = Sys.BRK;
    big.machine.cpu.regs[Reg.A0] = 0x1000 + 32 * 1024 * 1024;
    big.step(1);
    expect(big.machine.cpu.regs[Reg.A0]).toBe(0x1000 + 32 * 1024 * 1024);
  });
});

describe('clock', () => {
  test('is monotonic across slices', () => {
    const h = harness();
    let last = -1;
    for (let i = 0; i < 5; i++) {
      const t = h.call(Sys.CLOCK);
      expect(t).toBeGreaterThan(last);
      last = t;
    }
  });

  test('carries into the high word', () => {
    const h = harness();
    h.vm.machine.cpu.instret = 2 ** 32 + 5;
    expect(h.call(Sys.CLOCK)).toBe(5);
    expect(h.vm.machine.cpu.regs[Reg.A1]).toBe(1);
  });
});

describe('argc and argv', () => {
  const args = ['prog.s', 'hello', 'wörld'];

  test('argc counts argument 0, the program path', () => {
    expect(harness({ args }).call(Sys.ARGC)).toBe(3);
    expect(harness().call(Sys.ARGC)).toBe(1);
  });

  test('argv copies the argument NUL-terminated and returns its full length', () => {
    const h = harness({ args });
    expect(h.call(Sys.ARGV, 0, DATA, 64)).toBe(6);
    expect(Buffer.from(peek(h.vm, DATA, 7)).toString('latin1')).toBe('prog.s\0');
    expect(h.call(Sys.ARGV, 2, DATA, 64)).toBe(6); // UTF-8 bytes
    expect(Buffer.from(peek(h.vm, DATA, 6)).toString()).toBe('wörld');
  });

  test('argv truncates to len bytes, the NUL included, and still returns the full length', () => {
    const h = harness({ args });
    poke(h.vm, DATA, text('XXXXXXXX'));
    expect(h.call(Sys.ARGV, 1, DATA, 3)).toBe(5);
    expect(Buffer.from(peek(h.vm, DATA, 5)).toString('latin1')).toBe('he\0XX');
    expect(h.call(Sys.ARGV, 1, DATA + 100, 0)).toBe(5); // len 0: nothing written
    expect(peek(h.vm, DATA + 100, 1)[0]).toBe(0);
  });

  test('a bad index is EINVAL; a bad buffer EFAULT', () => {
    const h = harness({ args });
    expect(h.call(Sys.ARGV, 3, DATA, 10)).toBe(-ERRNO.EINVAL);
    expect(h.call(Sys.ARGV, -1, DATA, 10)).toBe(-ERRNO.EINVAL);
    expect(h.call(Sys.ARGV, 0, RODATA, 10)).toBe(-ERRNO.EFAULT);
    expect(h.call(Sys.ARGV, 0, 0, 10)).toBe(-ERRNO.EFAULT);
  });
});

describe('the small ones', () => {
  test('yield is 0, getpid is 1, wait is ECHILD and leaves status_ptr alone', () => {
    const h = harness();
    poke(h.vm, DATA, text('ssss'));
    expect(h.call(Sys.YIELD)).toBe(0);
    expect(h.call(Sys.GETPID)).toBe(1);
    expect(h.call(Sys.WAIT, DATA)).toBe(-ERRNO.ECHILD);
    expect(Buffer.from(peek(h.vm, DATA, 4)).toString()).toBe('ssss');
  });

  test('an unknown number is ENOSYS, and counted', () => {
    const h = harness();
    expect(h.call(99)).toBe(-ERRNO.ENOSYS);
    expect(h.call(0)).toBe(-ERRNO.ENOSYS);
    expect(h.call(-5)).toBe(-ERRNO.ENOSYS);
    const s = h.vm.stats();
    expect(s.unknownSyscalls).toBe(3);
    expect(s.syscalls['syscall#99']).toBe(1);
  });

  test('a call preserves every register but a0 (and a1 for clock), and moves pc past it', () => {
    const h = harness();
    const regs = h.vm.machine.cpu.regs;
    for (let r = 1; r < 16; r++) regs[r] = 0x1000 * r + r;
    regs[Reg.T0] = Sys.GETPID;
    const before = Array.from(regs);
    h.call(Sys.GETPID);
    const after = Array.from(regs);
    expect(after[Reg.A0]).toBe(1);
    expect(after.filter((_, r) => r !== Reg.A0)).toEqual(before.filter((_, r) => r !== Reg.A0));
    expect(h.vm.machine.cpu.pc).toBe(TEXT + 4);
  });

  test('syscall counts by name and trap counts by cause reach the stats', () => {
    const h = harness({ data: text('hi') });
    h.call(Sys.WRITE, 1, DATA, 2);
    h.call(Sys.WRITE, 1, DATA, 2);
    h.call(Sys.GETPID);
    const s = h.vm.stats();
    expect(s.syscalls).toEqual({ write: 2, getpid: 1 });
    expect(s.traps).toEqual({ syscall: 3 });
    expect(s.instructions).toBe(3);
  });
});

test('open: the path must be mapped and NUL-terminated within PATH_MAX', () => {
  const h = harness({ fsRoot: '.', rodata: new Uint8Array(4096).fill(0x61) });
  expect(h.call(Sys.OPEN, 0, 0)).toBe(-ERRNO.EFAULT);
  poke(h.vm, DATA, new Uint8Array(8192).fill(0x61));
  expect(h.call(Sys.OPEN, DATA, 0)).toBe(-ERRNO.ENAMETOOLONG);
  expect(h.call(Sys.OPEN, RODATA + 4096 - 3, 0)).toBe(-ERRNO.EFAULT); // runs off the mapping before a NUL
  expect(h.call(Sys.OPEN, cstring(h.vm, DATA, 'no-such-file-here'), 0)).toBe(-ERRNO.ENOENT);
});
