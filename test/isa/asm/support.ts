/** Shared helpers for the assembler tests: assemble from a string, look at the words. */
import { decode } from '../../../isa/encoding.js';
import type { Instruction } from '../../../isa/formats.js';
import type { Image, Section } from '../../../isa/image.js';
import { opInfo } from '../../../isa/opcodes.js';
import { assemble, formatDiagnostic, type AssembleOptions, type Diagnostic } from '../../../isa/asm/index.js';

type Options = Partial<AssembleOptions>;
type Success = Extract<ReturnType<typeof assemble>, { ok: true }>;

/** Assembles and expects success; a failure shows the diagnostics as the CLI would. */
export function ok(source: string, options: Options = {}): Success {
  const r = assemble(source, { filename: 'test.s', ...options });
  if (!r.ok) throw new Error(`expected success, got:\n${r.diagnostics.map((d) => formatDiagnostic(d)).join('\n')}`);
  return r;
}

/** Assembles and expects failure; returns the diagnostics. */
export function errors(source: string, options: Options = {}): readonly Diagnostic[] {
  const r = assemble(source, { filename: 'test.s', ...options });
  if (r.ok) throw new Error('expected the assembly to fail, but it succeeded');
  return r.diagnostics;
}

/** The one error, formatted: the tests compare exact text, caret included. */
export function oneError(source: string, options: Options = {}): string {
  const ds = errors(source, options).filter((d) => d.severity === 'error');
  if (ds.length !== 1) throw new Error(`expected one error, got ${ds.length}:\n${ds.map((d) => formatDiagnostic(d)).join('\n')}`);
  return formatDiagnostic(ds[0]!);
}

export function section(image: Image, name: string): Section {
  const s = image.sections.find((x) => x.name === name);
  if (!s) throw new Error(`no section ${name}; have ${image.sections.map((x) => x.name).join(', ')}`);
  return s;
}

/** The words of .text. */
export function words(source: string, options: Options = {}): number[] {
  const s = section(ok(source, options).image, '.text');
  const view = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
  return Array.from({ length: s.size / 4 }, (_, i) => view.getUint32(4 * i, true));
}

/** The decoded instructions of .text, with the opcode's name for readable failures. */
export function decoded(source: string, options: Options = {}): (Instruction & { readonly name: string })[] {
  return words(source, options).map((w) => {
    const ins = decode(w);
    if (!ins) throw new Error(`word 0x${w.toString(16)} does not decode`);
    return { ...ins, name: opName(ins.op) };
  });
}


function opName(op: number): string {
  return opInfo(op)?.name ?? '?';
}

/** A readFile over an in-memory set of files. */
export function files(map: Readonly<Record<string, string>>): (path: string) => string {
  return (p) => {
    const text = map[p];
    if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
    return text;
  };
}

export function symbol(image: Image, name: string): number {
  const s = image.symbols.find((x) => x.name === name);
  if (!s) throw new Error(`no symbol ${name}`);
  return s.value;
}
