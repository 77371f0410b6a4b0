/**
 * Every subcommand, in the order `--help` lists them — one line each: the
 * name, and the module that registers it, imported only when needed.
 *
 * Why lazily: importing every command imports the whole project (the
 * migration engine, the daemon, the monitors, the debugger), ~140 ms before
 * `typevisor asm` could do anything. Now a run of `typevisor NAME …` imports
 * NAME's module alone; `--version` imports none; only a listing of all the
 * commands (`typevisor`, `--help`, `help`, an unknown name to suggest from)
 * imports them all. Adding a command is adding its line here.
 */
import type { Command } from 'commander';

type Register = (program: Command) => void;

// mkdisk.ts registers diskls and diskcat beside mkdisk.
const disks = async (): Promise<Register> => (await import('./mkdisk.js')).registerMkdisk;

export const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  asm: async () => (await import('./asm.js')).registerAsm,
  disasm: async () => (await import('./disasm.js')).registerDisasm,
  run: async () => (await import('./run.js')).registerRun,
  debug: async () => (await import('./debug.js')).registerDebug,
  boot: async () => (await import('./boot.js')).registerBoot,
  mkdisk: disks,
  diskls: disks,
  diskcat: disks,
  serve: async () => (await import('./serve.js')).registerServe,
  vm: async () => (await import('./vm.js')).registerVm,
  volume: async () => (await import('./volume.js')).registerVolume,
  image: async () => (await import('./image.js')).registerImage,
  migrate: async () => (await import('./migrate.js')).registerMigrate,
  'migrate-compare': async () => (await import('./migrate-compare.js')).registerMigrateCompare,
  cluster: async () => (await import('./cluster.js')).registerCluster,
  spec: async () => (await import('./spec.js')).registerSpec,
  demo: async () => (await import('./demo.js')).registerDemo,
  web: async () => (await import('./web.js')).registerWeb,
};

/**
 * The commands a command line needs registered: the one it names; none for
 * `--version`; all of them otherwise. The program's own options take no
 * value, so the first word not starting with '-' is the command.
 */
export function commandsNeeded(args: readonly string[]): string[] {
  const words = args.filter((a) => !a.startsWith('-'));
  const first = words[0];
  const all = Object.keys(COMMANDS);
  if (first === undefined) return args.includes('--version') || args.includes('-V') ? [] : all;
  if (first === 'help') return words[1] !== undefined && words[1] in COMMANDS ? [words[1]] : all;
  return first in COMMANDS ? [first] : all;
}

/** Register the commands `args` (process.argv without node and the script) needs, in listing order. */
export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const loaders = new Set(commandsNeeded(args).map((name) => COMMANDS[name]!));
  const registers = await Promise.all([...loaders].map((load) => load()));
  for (const register of registers) register(program);
}
