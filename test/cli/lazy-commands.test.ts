/**
 * Startup: a command line loads the command it names and that command's
 * dependencies, nothing else. Checked on the built files by following their
 * static imports (what Node loads before the first line runs); the dynamic
 * import() of each command in commands/index.ts is not followed.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { COMMANDS, commandsNeeded } from '../../cli/commands/index.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const DIST = join(REPO_ROOT, 'dist');

/** Every project file `entry` loads through static imports, relative to dist/. */
function staticGraph(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [resolve(DIST, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|^import\s+['"](\.[^'"]+)['"]/gm)) {
      todo.push(resolve(dirname(file), (m[1] ?? m[2])!));
    }
  }
  return [...seen].map((f) => relative(DIST, f)).sort();
}

describe('commands load lazily', () => {
  test('the entry point loads no command at all', () => {
    const graph = staticGraph('cli/main.js');
    expect(graph.filter((f) => f.startsWith('cli/commands/') && f !== 'cli/commands/index.js')).toEqual([]);
    expect(graph.some((f) => f.startsWith('hypervisor/') || f.startsWith('vm/') || f.startsWith('isa/'))).toBe(false);
  });

  test('assembling a file loads neither the monitors, the daemon, migration, the debugger nor the bench', () => {
    const graph = staticGraph('cli/commands/asm.js');
    expect(graph.filter((f) => /^(hypervisor|bench)\/|debugger/.test(f))).toEqual([]);
    const run = staticGraph('cli/commands/run.js');
    expect(run.filter((f) => /^(hypervisor\/(control|migration|native|hosted|lab)|bench)\/|debugger/.test(f))).toEqual([]);
  });

  test('which commands a command line registers', () => {
    const all = Object.keys(COMMANDS);
    expect(commandsNeeded(['--version'])).toEqual([]);
    expect(commandsNeeded(['-V'])).toEqual([]);
    expect(commandsNeeded(['asm', 'x.s', '-o', 'y.img'])).toEqual(['asm']);
    expect(commandsNeeded(['--no-color', 'run', 'x.s'])).toEqual(['run']);
    expect(commandsNeeded(['help', 'vm'])).toEqual(['vm']);
    expect(commandsNeeded([])).toEqual(all);
    expect(commandsNeeded(['--help'])).toEqual(all);
    expect(commandsNeeded(['runn'])).toEqual(all);
  });

  test('help still lists every command, and an unknown one still gets a suggestion', () => {
    const help = runCli(['--help']);
    for (const name of Object.keys(COMMANDS)) expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const wrong = runCli(['runn']);
    expect(wrong.stderr).toContain('(Did you mean run?)');
    expect(runCli(['--version']).stdout).toBe('0.1.0\n');
    expect(runCli(['help', 'diskls']).stdout).toContain('Usage: typevisor diskls');
  });
});
