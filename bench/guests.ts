/**
 * The guest programs, assembled at a chosen size. Each guest names its sizes
 * in `NAME = value` lines near its top; to build another size the source is
 * assembled with those lines' values replaced (the file itself, its includes
 * and its line numbers are unchanged, so diagnostics still point into it).
 */
import { readFileSync } from 'node:fs';
import { assemble, formatDiagnostic } from '../isa/asm/index.js';
import type { Image } from '../isa/image.js';
import { BenchError } from './bench-error.js';
import { guestSource } from './sources.js';
import type { Params } from './suite.js';

/** `source` with each `NAME = value` line's value replaced. Throws BenchError if a name has no such line, or more than one. */
export function withParams(source: string, params: Params): string {
  let text = source;
  for (const [name, value] of Object.entries(params)) {
    const line = new RegExp(`^(${name}\\s*=\\s*)[^;\\n]*?(\\s*(;.*)?)$`, 'gm');
    const found = text.match(line)?.length ?? 0;
    if (found !== 1) throw new BenchError(`expected one line \`${name} = …\` in the guest, found ${found}`);
    text = text.replace(line, `$1${value}$2`);
  }
  return text;
}

/** bench/guests/NAME.s assembled with these sizes. Throws BenchError with the assembler's diagnostics. */
export function assembleGuest(name: string, params: Params): Image {
  const file = guestSource(name);
  const result = assemble(withParams(readFileSync(file, 'utf8'), params), { filename: file });
  if (!result.ok) throw new BenchError(`${file} does not assemble:\n${result.diagnostics.map((d) => formatDiagnostic(d)).join('\n')}`);
  return result.image;
}
