/**
 * `disasm` then `asm` gives back the identical image file, byte for byte —
 * symbol table order included — for every program shipped in guests/ and the
 * README's first program; through the library and through the real commands.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { describe, expect, test } from 'vitest';
import { assemble, assembleFile } from '../../isa/asm/index.js';
import { disassembleImage } from '../../isa/disasm.js';
import { writeImage } from '../../isa/image.js';
import { RAM_BASE } from '../../vm/memmap.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const GUESTS = join(REPO_ROOT, 'guests');
const sources = (dir: string): string[] => readdirSync(join(GUESTS, dir)).filter((f) => f.endsWith('.s')).map((f) => join(GUESTS, dir, f));

/** Every whole program in guests/ (the other kernel/*.s files are pieces core.s includes). */
const KERNELS = ['kernel.s', 'netkernel.s'].map((f) => join(GUESTS, 'kernel', f));
const PROGRAMS = [...sources('programs'), ...sources('workloads'), ...sources('tour'), ...sources('kernel/tests'), ...sources('kernel/user')];

function readmeHello(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const m = /```asm\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf('## Write a program')));
  return m![1]!;
}

function roundTrip(bytes: Uint8Array, image: Parameters<typeof disassembleImage>[0], name: string): Uint8Array {
  const again = assemble(disassembleImage(image), { filename: `${name}.dis.s` });
  if (!again.ok) throw new Error(`${name}: the disassembly does not assemble: ${again.diagnostics[0]!.message}`);
  return writeImage(again.image);
}

describe('disasm → asm is byte-identical', () => {
  test.each([...KERNELS, ...PROGRAMS].map((f) => [relative(REPO_ROOT, f), f] as const))('%s', (_name, file) => {
    const r = assembleFile(file, KERNELS.includes(file) ? { defaultTextBase: RAM_BASE } : {});
    if (!r.ok) throw new Error(`${file} does not assemble: ${r.diagnostics[0]!.message}`);
    const bytes = writeImage(r.image);
    expect(Buffer.from(roundTrip(bytes, r.image, basename(file))).equals(Buffer.from(bytes))).toBe(true);
  });

  test("the README's hello.s, through the commands", () => {
    const dir = mkdtempSync(join(tmpdir(), 'tv-roundtrip-'));
    writeFileSync(join(dir, 'hello.s'), readmeHello());
    expect(runCli(['asm', 'hello.s'], { cwd: dir }).status).toBe(0);
    const dis = runCli(['disasm', 'hello.img'], { cwd: dir });
    expect(dis.status).toBe(0);
    writeFileSync(join(dir, 'again.s'), dis.stdout);
    expect(runCli(['asm', 'again.s', '-o', 'again.img'], { cwd: dir }).status).toBe(0);
    expect(readFileSync(join(dir, 'again.img')).equals(readFileSync(join(dir, 'hello.img')))).toBe(true);
  });
});
