#!/usr/bin/env node
/**
 * The `typevisor` command. Thin: each subcommand lives in cli/commands/ and
 * calls into the layers; nothing here knows how a machine works. Commands
 * are imported only when the command line needs them (commands/index.ts).
 */
import { Command } from 'commander';
import { exitQuietlyOnClosedPipe } from './closed-pipe.js';
import { disableColor } from './color.js';
import { registerCommands } from './commands/index.js';

exitQuietlyOnClosedPipe();

const program = new Command();
program
  .name('typevisor')
  .description('A bytecode VM and a small hypervisor: assemble, run, trace and debug programs; boot guest kernels bare or under a monitor.')
  .version('0.1.0')
  .option('--no-color', 'plain output even on a terminal (NO_COLOR is honoured too)')
  .showHelpAfterError('(run with --help for usage)')
  .hook('preAction', (cmd) => {
    if (cmd.opts()['color'] === false) disableColor();
  });

registerCommands(program, process.argv.slice(2))
  .then(() => program.parseAsync(process.argv))
  .catch((err: unknown) => {
  process.stderr.write(`typevisor: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 2;
});
