/**
 * Programs from the disk, and the shell: a program written here goes on a
 * disk with `typevisor mkdisk`, the kernel boots with `--init sh`, and the
 * commands typed into the shell (stdin) run it with arguments from the disk.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tv-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// greet: "greetings:" then each argument after a space, then exit 3.
const GREET = join(dir, 'greet.s');
writeFileSync(GREET, `.include "sys.inc"
.include "lib.inc"
_start:
    print hi
    sys  SYS_ARGC
    mv   s0, a0
    li   s1, 1
.loop:
    bge  s1, s0, .done
    mv   a0, s1
    la   a1, buf
    li   a2, 64
    sys  SYS_ARGV
    li   a0, ' '
    call print_char
    la   a0, buf
    call print_str
    addi s1, s1, 1
    j    .loop
.done:
    call print_nl
    exit 3
.data
hi: .asciz "greetings:"
.bss
buf: .space 64
`);
const NOTE = join(dir, 'note.txt');
writeFileSync(NOTE, 'a note on the disk\n');
const DISK = join(dir, 'my.img');
const KERNEL = 'guests/kernel/kernel.s';

function shell(input: string, disk = DISK): { status: number | null; stdout: string; stderr: string } {
  return runCli(['boot', KERNEL, '--disk', disk, '--init', 'sh'], { input });
}

describe('boot --init sh, with programs from a mkdisk disk', () => {
  test('mkdisk assembles a .s file and puts its image on the disk under the name without .s', () => {
    const r = runCli(['mkdisk', '-o', DISK, '--size', '64K', GREET, NOTE]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^greet +\d+ /m);
    expect(r.stdout).toMatch(/^note\.txt +19 /m);
  });

  test('the shell lists the disk, runs the program from it with arguments, cats, echoes, complains and exits', () => {
    const r = shell('ls\ngreet alice  bob\ncat note.txt\necho one   two\nnosuch x\necho a | b\nexit\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/^\$ greet +\d+\nnote\.txt +19\n/m);
    expect(out).toContain('$ greetings: alice bob\n');
    expect(out).toContain('$ a note on the disk\n');
    expect(out).toContain('$ one two\n');
    expect(out).toContain('$ sh: nosuch: no such file or directory\n');
    expect(out).toContain('$ sh: cannot parse that line');
    // The final table: the shell, and greet (from the disk) with its exit status.
    expect(out).toMatch(/^ +1 +sh +exit 0 /m);
    expect(out).toMatch(/^ +2 +greet +exit 3 /m);
  });

  test('arguments typed at the prompt reach the disk program as its argv, line after line (property)', () => {
    const word = fc.stringMatching(/^[a-z0-9.-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(fc.array(word, { maxLength: 6 }), { minLength: 1, maxLength: 5 }), (lines) => {
        const r = shell(lines.map((words) => `greet ${words.join('  ')}\n`).join(''));
        expect(r.status).toBe(0);
        const said = r.stdout.split('\n').filter((l) => l.startsWith('$ greetings:'));
        expect(said).toEqual(lines.map((words) => `$ greetings:${words.map((w) => ` ${w}`).join('')}`));
      }),
      { numRuns: 3 },
    );
  });

  test('programs linked into the kernel still run, started from the shell', () => {
    const r = shell('hello\nspin\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Hello, world!');
    // End of input ends the shell as exit does.
    expect(r.stdout).toMatch(/^ +1 +sh +exit 0 /m);
  });

  test('a file that is not a program is refused by the kernel, not run', () => {
    const r = shell('note.txt\nexit\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('sh: note.txt: invalid argument\n');
  });

  test('--init with a name nothing has says so; --init on a kernel without boot_init is a clear error', () => {
    const r = runCli(['boot', KERNEL, '--disk', DISK, '--init', 'nosuch']);
    expect(r.stdout).toContain('kernel: cannot start nosuch (error -2)');
    const bare = runCli(['boot', 'guests/programs/hello.s', '--init', 'sh']);
    expect(bare.status).toBe(1);
    expect(bare.stderr).toMatch(/--init: this kernel has no boot_init symbol/);
    expect(runCli(['boot', KERNEL, '--init', 'x'.repeat(40)]).stderr).toMatch(/at most 31 bytes/);
  });

  test('mkdisk rejects an .img file that is not a program image, saying why', () => {
    const bad = join(dir, 'bad.img');
    writeFileSync(bad, 'not an image at all');
    const r = runCli(['mkdisk', '-o', join(dir, 'x.img'), bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/bad\.img: not a program image: /);
  });
});

describe('a disk program shadows the linked-in one of the same name', () => {
  test('hello on the disk is what the shell runs as hello', () => {
    const mine = join(dir, 'hello.s');
    writeFileSync(mine, '.include "sys.inc"\n.include "lib.inc"\n_start:\n    print m\n    exit 0\n.data\nm: .asciz "my own hello\\n"\n');
    const disk = join(dir, 'hello-disk.img');
    expect(runCli(['mkdisk', '-o', disk, '--size', '32K', mine]).status).toBe(0);
    const r = shell('hello\nexit\n', disk);
    expect(r.stdout).toContain('$ my own hello\n');
    expect(r.stdout).not.toContain('Hello, world!');
  });
});

describe('--init under the monitors', () => {
  // The name travels inside the kernel image, so every monitor boots it alike.
  test.each(['native', 'hosted'])('--monitor %s: the shell runs the disk program', (monitor) => {
    const r = runCli(['boot', KERNEL, '--monitor', monitor, '--disk', DISK, '--init', 'sh'], { input: 'greet from the monitor\nexit\n' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('$ greetings: from the monitor\n');
  });
});

describe('spawnv and readdir refuse bad arguments with an errno, never hurting the kernel', () => {
  test('bad pointers, short buffers and indexes past the end', () => {
    const probe = join(dir, 'probe.s');
    writeFileSync(probe, `.include "sys.inc"
.include "lib.inc"
.macro show
    call print_dec
    call print_nl
.endm
_start:
    la   a0, greet
    li   a1, 16                 ; args in the unmapped page 0
    sys  SYS_SPAWNV
    show
    li   a0, 16                 ; the name there
    li   a1, 0
    sys  SYS_SPAWNV
    show
    li   a0, 0
    la   a1, buf
    li   a2, 4                  ; shorter than a name may be
    sys  SYS_READDIR
    show
    li   a0, 99
    la   a1, buf
    li   a2, 20
    sys  SYS_READDIR
    show
    li   a0, 0
    li   a1, 0x80000000         ; the kernel's memory
    li   a2, 20
    sys  SYS_READDIR
    show
    la   a0, greet              ; and a good one still works
    la   a1, args
    sys  SYS_SPAWNV
    la   a0, 0
    sys  SYS_WAIT
    exit 0
.data
greet: .asciz "greet"
args:  .asciz "still"
       .asciz "fine"
       .byte 0
.bss
buf:   .space 20
`);
    const disk = join(dir, 'probe-disk.img');
    expect(runCli(['mkdisk', '-o', disk, '--size', '64K', probe, GREET]).status).toBe(0);
    const r = runCli(['boot', KERNEL, '--disk', disk, '--init', 'probe']);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    const at = lines.findIndex((l) => l === '-14');
    expect(lines.slice(at, at + 5)).toEqual(['-14', '-14', '-22', '-2', '-14']);
    expect(r.stdout).toContain('greetings: still fine\n');
  });
});
