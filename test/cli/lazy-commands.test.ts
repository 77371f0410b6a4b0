/**
 * Startup: a command line loads the command it names and that command's
 * dependencies, nothing else. Checked on the built files by following their
 * static imports and top-level requires (what runs before the first line of
 * the program); the command table's require of a command's chunk, made when
 * the command is needed, is not followed.
 *
 * dist/cli/main.js is an esbuild bundle (cli/bundle.mjs): the entry (the
 * chunk loader) and its CommonJS chunks. What a bundled file holds is read
 * from its source map's `sources`, the .ts files (and packages) it was made of.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { COMMANDS, commandsNeeded } from '../../cli/commands/index.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const DIST = join(REPO_ROOT, 'dist');

/** Every project file `entry` loads through static imports and top-level requires (`var x = require("./…")`), relative to dist/. */
function staticGraph(entry: string): string[] {
  const seen = new Set<string>();
  const todo = [resolve(DIST, entry)];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|^import\s+['"](\.[^'"]+)['"]|^var \w+ = require\(['"](\.[^'"]+)['"]\)/gm)) {
      todo.push(resolve(dirname(file), (m[1] ?? m[2] ?? m[3])!));
    }
  }
  return [...seen].map((f) => relative(DIST, f)).sort();
}

/** The sources (repo-relative .ts files, node_modules/… for packages) of the bundled files `files` (relative to dist/) load. */
function bundledSources(files: readonly string[]): string[] {
  const sources = new Set<string>();
  for (const file of files) {
    const path = join(DIST, file);
    const map = JSON.parse(readFileSync(`${path}.map`, 'utf8')) as { sources: string[] };
    for (const s of map.sources) sources.add(relative(REPO_ROOT, resolve(dirname(path), s)));
  }
  return [...sources].sort();
}

const SHARED = 'cli/chunks/shared.cjs';

/** The chunk the shared chunk's command table requires when the command line names `command` (directly, or through a loader shared by several: `mkdisk: disks`). */
function commandChunk(command: string): string {
  const shared = readFileSync(join(DIST, SHARED), 'utf8');
  const load = String.raw`async \(\) => \(await Promise\.resolve\(\)\.then\(\(\) => __toESM\((require_[\w$]+)\(\)`;
  const m = new RegExp(String.raw`^\s*['"]?${command}['"]?: (?:${load}|(\w+),)`, 'm').exec(shared);
  const via = m?.[2] !== undefined ? new RegExp(String.raw`^var ${m[2]} = ${load}`, 'm').exec(shared) : undefined;
  const loader = m?.[1] ?? via?.[1];
  const chunk = loader === undefined ? undefined : new RegExp(String.raw`^var ${loader.replace('$', '\\$')} = __commonJS\(\{\n.*\n\s*module2?\.exports = require\("\./([\w-]+\.cjs)"\)`, 'm').exec(shared)?.[1];
  if (chunk === undefined) throw new Error(`no chunk for ${command} in ${SHARED}`);
  return join('cli', 'chunks', chunk);
}

describe('commands load lazily', () => {
  test('the entry points (the bin and main.js) are the chunk loader alone, and the shared chunk holds no command at all', () => {
    for (const entry of ['cli/main.js', 'cli/typevisor.cjs']) {
      expect(staticGraph(entry)).toEqual([entry]);
      expect(bundledSources([entry]).filter((f) => !f.startsWith('cli/entry'))).toEqual(['cli/chunk-loader.ts']);
    }
    const bin = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).bin.typevisor as string;
    expect(bin).toBe('dist/cli/typevisor.cjs');
    expect(execFileSync(process.execPath, [join(REPO_ROOT, bin), 'run', join(REPO_ROOT, 'guests', 'programs', 'hello.s')], { encoding: 'utf8' })).toBe('Hello, world!\n');
    const graph = staticGraph(SHARED);
    expect(graph).toEqual([SHARED]);
    const sources = bundledSources(graph);
    expect(sources).toContain('cli/main.ts');
    expect(sources).toContain('cli/commands/index.ts');
    expect(sources.filter((f) => f.startsWith('cli/commands/') && f !== 'cli/commands/index.ts')).toEqual([]);
    expect(sources.some((f) => /^(hypervisor|vm|isa)\//.test(f))).toBe(false);
  });

  test('bundled: assembling or running a file loads neither the monitors, the daemon, migration, the debugger nor the bench', () => {
    const entry = staticGraph(SHARED);
    for (const command of ['asm', 'run']) {
      const sources = bundledSources([...new Set([...entry, ...staticGraph(commandChunk(command))])]);
      expect(sources).toContain(`cli/commands/${command}.ts`);
      expect(sources).toContain('isa/asm/assembler.ts');
      expect(sources.filter((f) => /^(hypervisor\/(control|migration|native|hosted|lab)|bench)\/|debugger/.test(f))).toEqual([]);
    }
  });

  test('bundled: a command line reads three files — the entry, the shared chunk, the command — and commander and the colour state exist once', () => {
    for (const command of Object.keys(COMMANDS)) {
      const files = [...new Set(['cli/main.js', ...staticGraph(SHARED), ...staticGraph(commandChunk(command))])].sort();
      expect(files).toEqual([SHARED, commandChunk(command), 'cli/main.js'].sort());
      // A second copy of cli/color.ts would miss --no-color; a second commander would hold options main's Command never sees.
      expect(bundledSources([commandChunk(command)]).filter((f) => f === 'cli/color.ts' || f.startsWith('node_modules/commander/'))).toEqual([]);
    }
    expect(bundledSources([SHARED])).toContain('cli/color.ts');
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
