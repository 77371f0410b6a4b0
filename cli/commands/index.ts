/** Every subcommand, in the order `--help` lists them. */
import type { Command } from 'commander';
import { registerAsm } from './asm.js';
import { registerBoot } from './boot.js';
import { registerDebug } from './debug.js';
import { registerDemo } from './demo.js';
import { registerDisasm } from './disasm.js';
import { registerMigrate } from './migrate.js';
import { registerMigrateCompare } from './migrate-compare.js';
import { registerMkdisk } from './mkdisk.js';
import { registerServe } from './serve.js';
import { registerVm } from './vm.js';
import { registerVolume } from './volume.js';
import { registerRun } from './run.js';
import { registerSpec } from './spec.js';
import { registerWeb } from './web.js';

export function registerCommands(program: Command): void {
  registerAsm(program);
  registerDisasm(program);
  registerRun(program);
  registerDebug(program);
  registerBoot(program);
  registerMkdisk(program);
  registerServe(program);
  registerVm(program);
  registerVolume(program);
  registerMigrate(program);
  registerMigrateCompare(program);
  registerSpec(program);
  registerDemo(program);
  registerWeb(program);
}
