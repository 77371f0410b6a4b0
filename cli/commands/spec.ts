/** `typevisor spec`: the ISA reference, generated from the tables. */
import type { Command } from 'commander';
import { generateSpec } from '../spec.js';

export function registerSpec(program: Command): void {
  program
    .command('spec')
    .description('print the ISA reference (instructions, CSRs, traps, paging, syscall ABI) as Markdown')
    .addHelpText('after', '\nThe same text is committed as isa/SPEC.md (regenerate with `npm run docs`).\nExample:\n  typevisor spec | less')
    .action(() => {
      process.stdout.write(generateSpec());
    });
}
