/**
 * The library API as a user gets it: the package packed with `npm pack`,
 * installed from the tarball into a fresh project, imported by name and
 * type-checked there. Offline: the package's own dependencies are copied from
 * this checkout's node_modules into the project first, so npm finds them
 * satisfied and fetches nothing (`--offline` makes any fetch an error).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../helpers/cli.js';
import { cleanup, spawnDaemon, TOKEN } from '../hypervisor/control/daemons.js';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
let project = '';

const USE_MJS = `
import { assemble, assembleFile, disassembleImage, readImage, writeImage, runProgram, BareMachine, RAM_BASE,
  ControlClient, parseAddress, shippedIncludeDir } from 'typevisor';
import { join } from 'node:path';

const r = assemble('.include "sys.inc"\\n.include "lib.inc"\\n_start:\\n print msg\\n exit 3\\n.data\\nmsg: .asciz "from the library\\\\n"\\n', { filename: 'x.s' });
if (!r.ok) throw new Error(r.diagnostics[0].message);
const run = runProgram(r.image);
const bytes = writeImage(r.image);
const again = assemble(disassembleImage(readImage(bytes)), { filename: 'again.s' });

const kernel = assembleFile(join(shippedIncludeDir(), '..', 'kernel', 'kernel.s'), { defaultTextBase: RAM_BASE });
if (!kernel.ok) throw new Error(kernel.diagnostics[0].message);
let console = '';
const boot = await new BareMachine(kernel.image, { output: (b) => { console += Buffer.from(b).toString(); } }).run();

const client = await ControlClient.connect({ address: parseAddress(process.env.DAEMON), token: process.env.TOKEN });
const vms = await client.list();
client.close();

process.stdout.write(JSON.stringify({
  stdout: run.stdout, result: run.result, instructions: run.stats.instructions > 0,
  roundTrip: again.ok && Buffer.compare(Buffer.from(writeImage(again.image)), Buffer.from(bytes)) === 0,
  boot, hello: console.includes('Hello, world!'), vms: vms.length,
}));
`;

const USE_TS = `
import { assemble, runProgram, type AssembleResult, type ProgramRun, type ProcessStats, ControlClient } from 'typevisor';
const r: AssembleResult = assemble('_start: halt\\n', { filename: 'x.s' });
if (r.ok) {
  const run: ProgramRun = runProgram(r.image, { maxInstructions: 10 });
  const n: number = run.stats.instructions;
  const s: ProcessStats = run.stats;
  void n; void s;
}
// @ts-expect-error: assemble needs options with a filename
assemble('nop');
void ControlClient.connect;
`;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), 'tv-library-'));
  execFileSync(NPM, ['pack', '--ignore-scripts', '--pack-destination', project], { cwd: REPO_ROOT, stdio: 'pipe' });
  const tarball = readdirSync(project).find((f) => f.endsWith('.tgz'))!;
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dep of Object.keys(pkg.dependencies)) {
    cpSync(join(REPO_ROOT, 'node_modules', dep), join(project, 'node_modules', dep), { recursive: true, dereference: true });
  }
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'uses-typevisor', private: true, type: 'module' }));
  execFileSync(NPM, ['install', `./${tarball}`, '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], { cwd: project, stdio: 'pipe' });
  mkdirSync(join(project, 'src'));
}, 180_000);

afterAll(() => {
  cleanup();
  if (project) rmSync(project, { recursive: true, force: true });
});

describe('the packed package, installed elsewhere', () => {
  test('assembles, runs a program with its stats, boots the kernel and talks to a daemon', async () => {
    const daemon = await spawnDaemon();
    writeFileSync(join(project, 'use.mjs'), USE_MJS);
    const out = execFileSync(process.execPath, ['use.mjs'], { cwd: project, env: { ...process.env, DAEMON: daemon.address, TOKEN }, encoding: 'utf8', timeout: 60_000 });
    expect(JSON.parse(out)).toEqual({
      stdout: 'from the library\n',
      result: { kind: 'exit', status: 3 },
      instructions: true,
      roundTrip: true,
      boot: { kind: 'poweroff', status: 0 },
      hello: true,
      vms: 0,
    });
  }, 90_000);

  test('its type declarations check in a strict TypeScript project', () => {
    writeFileSync(join(project, 'src', 'use.ts'), USE_TS);
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck',
      '--typeRoots', join(REPO_ROOT, 'node_modules', '@types'), '--types', 'node', join('src', 'use.ts')];
    const result = (() => {
      try {
        return { status: 0, out: execFileSync(process.execPath, [tsc, ...args], { cwd: project, encoding: 'utf8' }) };
      } catch (e) {
        return { status: 1, out: String((e as { stdout?: string }).stdout ?? e) };
      }
    })();
    expect(result.out).toBe('');
    expect(result.status).toBe(0);
  }, 60_000);

  test('only the documented entry point is exported', () => {
    const pkg = JSON.parse(readFileSync(join(project, 'node_modules', 'typevisor', 'package.json'), 'utf8')) as { exports: Record<string, unknown> };
    expect(Object.keys(pkg.exports)).toEqual(['.', './package.json']);
    let error = '';
    try {
      execFileSync(process.execPath, ['--input-type=module', '-e', "await import('typevisor/dist/vm/cpu.js')"], { cwd: project, stdio: 'pipe' });
    } catch (e) {
      error = String((e as { stderr?: Buffer }).stderr);
    }
    expect(error).toContain('ERR_PACKAGE_PATH_NOT_EXPORTED');
  });
});
