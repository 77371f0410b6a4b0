/**
 * `-I DIR`: the same option, worded the same, on every command that
 * assembles; with TYPEVISOR_INCLUDE after it. The shipped guests/include is
 * searched last by the assembler itself (isa/asm/include-path.ts).
 */
import { Option } from 'commander';
import { INCLUDE_ENV, includeDirsFromEnv } from '../isa/asm/index.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function includeOption(): Option {
  return new Option('-I, --include <dir>', `look here for .include/.image files not found beside the file using them (repeatable; then $${INCLUDE_ENV}, then the shipped guests/include)`)
    .argParser(collect)
    .default([]);
}

/** The include directories for a command: its -I options, then TYPEVISOR_INCLUDE. */
export function includeDirs(fromOptions: readonly string[] | undefined): string[] {
  return [...(fromOptions ?? []), ...includeDirsFromEnv(process.env[INCLUDE_ENV])];
}
