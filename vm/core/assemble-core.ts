/**
 * Assemble the interpreter core's WebAssembly text (core-wat.ts) and write
 * the bytes into core-binary.ts, which the machine loads: the package ships
 * the binary, not the assembler (wabt is a development dependency).
 *
 *   npm run core             rewrite vm/core/core-binary.ts
 *   npm run core -- --check  exit 1 if it is not what core-wat.ts assembles to
 *
 * Run after a change to core-wat.ts (then build again); test/vm/core.test.ts
 * fails while the two disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { coreWat } from './core-wat.js';

/** WebAssembly text assembled and validated by wabt (the bench's own loops use it too). Throws wabt's error, naming `name`. */
export async function assembleWat(name: string, text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat(name, text);
  try {
    parsed.resolveNames();
    parsed.validate();
    return parsed.toBinary({}).buffer;
  } finally {
    parsed.destroy();
  }
}

/** The core assembled, base64. */
export async function assembleCore(): Promise<string> {
  return Buffer.from(await assembleWat('core.wat', coreWat())).toString('base64');
}

/** core-binary.ts with these bytes. */
export function binarySource(base64: string): string {
  const lines = base64.match(/.{1,100}/g) ?? [];
  return `/**
 * The interpreter core, assembled from core-wat.ts by assemble-core.ts
 * (\`npm run core\`): generated, do not edit.
 */
export const CORE_BINARY =
${lines.map((l) => `  '${l}'`).join(' +\n')};
`;
}

const target = fileURLToPath(new URL('../../../vm/core/core-binary.ts', import.meta.url));

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const source = binarySource(await assembleCore());
  if (process.argv.includes('--check')) {
    const now = readFileSync(target, 'utf8');
    if (now !== source) {
      process.stderr.write('vm/core/core-binary.ts is not what core-wat.ts assembles to: run `npm run core`, then build\n');
      process.exit(1);
    }
  } else {
    writeFileSync(target, source);
    process.stdout.write(`wrote ${target}\n`);
  }
}
