/**
 * An image cut off inside its magic ("T", "TV", "TVI": all printable) was
 * called "a text file … if it is assembly source, assemble it first" by
 * disasm, while run said the header was cut off. Both now say where it ends.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { runCli } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tv-cut-off-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const full = join(dir, 'hello.img');
expect(runCli(['asm', 'guests/programs/hello.s', '-o', full]).status).toBe(0);
const bytes = readFileSync(full);

describe('an image cut off inside its magic', () => {
  test.each([1, 3])('%i bytes: disasm and run both say the header is cut off', (n) => {
    const cut = join(dir, `cut${n}.img`);
    writeFileSync(cut, bytes.subarray(0, n));
    const expected = `error: ${cut}: image: header.magic is cut off: the file ends inside the 40-byte header (offset 0x0, file is ${n} bytes)\n`;
    for (const cmd of ['disasm', 'run']) {
      const r = runCli([cmd, cut]);
      expect(r.stderr).toBe(expected);
      expect(r.status).toBe(1);
    }
  });
});
