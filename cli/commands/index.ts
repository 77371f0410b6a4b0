/** Every subcommand, in the order `--help` lists them. */
import type { Command } from 'commander';
import { registerDisasm } from './disasm.js';
import { registerSpec } from './spec.js';

export function registerCommands(program: Command): void {
  void program;
  registerDisasm(program);
  registerSpec(program);
}
