import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { DIRECTIVE_NAMES } from '../../../isa/asm/directives.js';
import { PSEUDO_NAMES } from '../../../isa/asm/pseudo.js';
import { ok } from './support.js';

const README = readFileSync(new URL('../../../isa/asm/README.md', import.meta.url), 'utf8');
const examples = [...README.matchAll(/```asm\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('the language reference (isa/asm/README.md)', () => {
  test('documents every directive and pseudo-instruction the assembler knows', () => {
    for (const name of [...DIRECTIVE_NAMES, ...PSEUDO_NAMES]) expect(README, name).toMatch(new RegExp(`\`[^\`]*${name.replace('.', '\\.')}\\b`));
  });

  test.each(examples.map((e, i) => [i + 1, e] as const))('example %d assembles cleanly', (_, source) => {
    expect(ok(source).warnings).toEqual([]);
  });
});
