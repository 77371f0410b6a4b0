import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { generateSpec } from '../../cli/spec.js';
import { OPCODES } from '../../isa/opcodes.js';
import { CSRS } from '../../isa/csr.js';
import { SYSCALLS } from '../../isa/syscalls.js';
import { CAUSES } from '../../vm/trap.js';

describe('isa/SPEC.md', () => {
  const spec = generateSpec();

  test('the committed SPEC.md is what the tables generate (run `npm run docs`)', () => {
    expect(readFileSync(new URL('../../isa/SPEC.md', import.meta.url), 'utf8')).toBe(spec);
  });

  test('documents every instruction, CSR, trap cause and syscall', () => {
    for (const o of OPCODES) expect(spec).toContain(`| \`${o.name}`);
    for (const c of CSRS) expect(spec).toContain(`| \`${c.name}\` |`);
    for (const c of CAUSES) expect(spec).toContain(`| ${c.name} |`);
    for (const s of SYSCALLS) expect(spec).toContain(`| \`${s.name}\` |`);
  });
});
