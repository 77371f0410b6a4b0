import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { disassembleImage } from '../../isa/disasm.js';
import { encode } from '../../isa/encoding.js';
import { SECTION_EXEC, SECTION_READ, SECTION_WRITE, writeImage, type Image } from '../../isa/image.js';
import { Op } from '../../isa/opcodes.js';
import { Reg } from '../../isa/registers.js';
import { runCli } from '../helpers/cli.js';

const words = (...ws: number[]): Uint8Array => {
  const out = new Uint8Array(ws.length * 4);
  ws.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v, true));
  return out;
};

const program: Image = {
  entry: 0x1000,
  sections: [
    {
      name: '.text',
      addr: 0x1000,
      flags: SECTION_READ | SECTION_EXEC,
      size: 12,
      data: words(
        encode({ op: Op.ADD, rd: Reg.A0, rs1: Reg.A1, rs2: Reg.A2, imm: 0 }),
        encode({ op: Op.BNE, rd: 0, rs1: Reg.A0, rs2: Reg.ZERO, imm: 0 }),
        encode({ op: Op.HALT, rd: 0, rs1: 0, rs2: 0, imm: 0 }),
      ),
    },
    { name: '.data', addr: 0x2000, flags: SECTION_READ | SECTION_WRITE, size: 8, data: new TextEncoder().encode('hi there') },
  ],
  symbols: [
    { name: 'start', value: 0x1000, kind: 'label' },
    { name: 'spin', value: 0x1004, kind: 'label' },
  ],
};

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'typevisor-disasm-cli-'));
});

describe('typevisor disasm', () => {
  test('prints the disassembly of an image on stdout, exit 0', () => {
    const path = join(dir, 'prog.img');
    writeFileSync(path, writeImage(program));
    const r = runCli(['disasm', path]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(disassembleImage(program));
    expect(r.stdout).toMatch(/^\.entry start$/m);
    expect(r.stdout).toMatch(/^ {4}add a0, a1, a2 +; 00001000: [0-9a-f]{8}$/m);
    expect(r.stdout).toMatch(/^spin:\n {4}bne a0, zero, spin +; 00001004:/m);
    expect(r.stdout).toMatch(/^ {4}\.ascii "hi there" +; 00002000$/m);
  });

  test('a truncated image: field and offset on stderr, nothing on stdout, exit 1', () => {
    const path = join(dir, 'short.img');
    writeFileSync(path, writeImage(program).subarray(0, 60));
    const r = runCli(['disasm', path]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(path);
    expect(r.stderr).toMatch(/header\.fileSize = \d+ but the file is only 60 bytes: truncated \(offset 0x10\)/);
  });

  test('a corrupted image is reported as a checksum mismatch, exit 1', () => {
    const path = join(dir, 'flipped.img');
    const bytes = writeImage(program);
    bytes[bytes.length - 2]! ^= 0x04;
    writeFileSync(path, bytes);
    const r = runCli(['disasm', path]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/header\.checksum mismatch: expected 0x[0-9a-f]{8} \(CRC-32 of the file\), found 0x[0-9a-f]{8}.*\(offset 0x24\)/);
  });

  test('an assembly source file gets a hint instead of a magic-number error', () => {
    const path = join(dir, 'prog.s');
    writeFileSync(path, 'start:\n    halt\n');
    const r = runCli(['disasm', path]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/prog\.s looks like assembly source; disasm reads assembled images/);
  });

  test('a text file under another name is called a text file, with the way to assemble it if it is source', () => {
    const path = join(dir, 'notes.txt');
    writeFileSync(path, '; just some text\n');
    const r = runCli(['disasm', path]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/is a text file, not a typevisor image .*if it is assembly source, assemble it first: typevisor asm/);
  });

  test('a binary file that is not an image: bad magic, exit 1', () => {
    const path = join(dir, 'random.bin');
    writeFileSync(path, new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]));
    const r = runCli(['disasm', path]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/header\.magic = "\\x7fELF" is not "TVIM": this is not a typevisor image \(offset 0x0\)/);
  });

  test('a missing file: exit 1 naming the path', () => {
    const path = join(dir, 'nope.img');
    const r = runCli(['disasm', path]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${path}: cannot read`);
  });

  test('asm → disasm → asm reproduces the image file byte for byte', () => {
    // Constants first and labels in address order, so even the symbol table comes back in the same order.
    const source = [
      '        .equ EXIT, 1',
      '_start: la a0, msg',
      '        lw a1, 0(a0)',
      'loop:   addi a1, a1, -1',
      '        bnez a1, loop',
      '        li t0, EXIT',
      '        syscall',
      '        .data',
      'msg:    .word 3',
      '        .asciz "done"',
      '        .bss',
      'buf:    .space 64',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'orig.s'), source);
    const first = runCli(['asm', 'orig.s', '-o', 'orig.img'], { cwd: dir });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);

    const listing = runCli(['disasm', 'orig.img'], { cwd: dir });
    expect(listing.status).toBe(0);
    expect(listing.stdout).toMatch(/^ {4}bne a1, zero, loop +; 00001010: [0-9a-f]{8}$/m);
    writeFileSync(join(dir, 'again.s'), listing.stdout);

    const second = runCli(['asm', 'again.s', '-o', 'again.img'], { cwd: dir });
    expect(second.stderr).toBe('');
    expect(second.status).toBe(0);
    expect(readFileSync(join(dir, 'again.img'))).toEqual(readFileSync(join(dir, 'orig.img')));
  });
});
