/**
 * `npm run layers` can fail. The project's own layering check (the command in
 * package.json, .dependency-cruiser.cjs and tsconfig.json, unchanged) runs on
 * a small tree laid out like the project, where each rule is broken exactly
 * once and the allowed imports are present too. The check must report exactly
 * those violations and exit non-zero; a rule that silently stopped matching,
 * or one that started to match allowed imports, fails here.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The fixture: file → its source. Comments name the rule a file breaks. */
const FILES: Record<string, string> = {
  // Allowed: each layer importing what is below it, Node built-ins, packages.
  'isa/ok.ts': `import { readFileSync } from 'node:fs';\nexport const isa = readFileSync;\n`,
  'vm/ok.ts': `import { isa } from '../isa/ok.js';\nexport const vm = isa;\n`,
  'hypervisor/core/ok.ts': `import { vm } from '../../vm/ok.js';\nimport { isa } from '../../isa/ok.js';\nexport const core = [vm, isa];\n`,
  'hypervisor/native/ok.ts': `import { core } from '../core/ok.js';\nexport const native = core;\n`,
  'hypervisor/hosted/ok.ts': `import { core } from '../core/ok.js';\nexport const hosted = core;\n`,
  'hypervisor/migration/ok.ts': `import { core } from '../core/ok.js';\nexport const migration = core;\n`,
  'hypervisor/control/ok.ts': `import { migration } from '../migration/ok.js';\nimport { core } from '../core/ok.js';\nexport const control = [migration, core];\n`,
  'hypervisor/lab/ok.ts':
    `import { native } from '../native/ok.js';\nimport { migration } from '../migration/ok.js';\nexport const lab = [native, migration];\n`,
  'cli/color.ts': `import chalk from 'chalk';\nexport const color = chalk;\n`,
  'cli/table.ts': `export const table = 1;\n`,
  'cli/ok.ts':
    `import { lab } from '../hypervisor/lab/ok.js';\nimport { hosted } from '../hypervisor/hosted/ok.js';\nimport { control } from '../hypervisor/control/ok.js';\n` +
    `import { table } from './table.js';\nexport const cli = [lab, hosted, control, table];\n`,
  'bench/ok.ts':
    `import { table } from '../cli/table.js';\nimport { color } from '../cli/color.js';\nimport { native } from '../hypervisor/native/ok.js';\nexport const bench = [table, color, native];\n`,
  // A cycle closed by an `import type` is erased by the compiler: allowed.
  'vm/owner.ts': `import { engine } from './engine.js';\nexport class Owner { run = engine; }\n`,
  'vm/engine.ts': `import type { Owner } from './owner.js';\nexport const engine = (o: Owner): Owner => o;\n`,
  'test/helper.ts': `export const helper = 1;\n`,
  // The playground: the browser-safe layers and its bundled guest sources; its build script is Node.
  'web/ok.ts':
    `import { lab } from '../hypervisor/lab/ok.js';\nimport { native } from '../hypervisor/native/ok.js';\nimport sources from 'virtual:guest-sources';\nexport const web = [lab, native, sources];\n`,
  'web/build.mjs': `import { readFileSync } from 'node:fs';\nexport const build = readFileSync;\n`,

  // One violation each.
  'isa/up.ts': `import { vm } from '../vm/ok.js';\nexport const up = vm;\n`,
  'vm/up.ts': `import { core } from '../hypervisor/core/ok.js';\nexport const up = core;\n`,
  'hypervisor/core/up.ts': `import { native } from '../native/ok.js';\nexport const up = native;\n`,
  'hypervisor/native/peer.ts': `import { hosted } from '../hosted/ok.js';\nexport const peer = hosted;\n`,
  'hypervisor/hosted/peer.ts': `import { native } from '../native/ok.js';\nexport const peer = native;\n`,
  // A type-only import counts for the layers.
  'hypervisor/migration/monitor.ts': `import type { native } from '../native/ok.js';\nexport type M = typeof native;\n`,
  'hypervisor/control/monitor.ts': `import { hosted } from '../hosted/ok.js';\nexport const m = hosted;\n`,
  'hypervisor/migration/daemon.ts': `import { control } from '../control/ok.js';\nexport const d = control;\n`,
  'hypervisor/native/lab.ts': `import { lab } from '../lab/ok.js';\nexport const l = lab;\n`,
  'hypervisor/lab/cli.ts': `import { cli } from '../../cli/ok.js';\nexport const c = cli;\n`,
  'cli/bench.ts': `import { bench } from '../bench/ok.js';\nexport const b = bench;\n`,
  'bench/cli.ts': `import { cli } from '../cli/ok.js';\nexport const c = cli;\n`,
  'cli/test.ts': `import { helper } from '../test/helper.js';\nexport const t = helper;\n`,
  'vm/ping.ts': `import { pong } from './pong.js';\nexport const ping = (): number => pong();\n`,
  'vm/pong.ts': `import { ping } from './ping.js';\nexport const pong = (): number => ping();\n`,
  'cli/missing.ts': `import { nothing } from './nowhere.js';\nexport const m = nothing;\n`,
  'web/hosted.ts': `import { hosted } from '../hypervisor/hosted/ok.js';\nexport const h = hosted;\n`,
  'web/fs.ts': `import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n`,
};

/** rule: from → to, as the check must report them (and nothing else). */
const EXPECTED = [
  'isa-imports-only-isa: isa/up.ts → vm/ok.ts',
  'vm-imports-only-isa-and-vm: vm/up.ts → hypervisor/core/ok.ts',
  'core-imports-only-isa-vm-and-core: hypervisor/core/up.ts → hypervisor/native/ok.ts',
  'native-does-not-import-hosted: hypervisor/native/peer.ts → hypervisor/hosted/ok.ts',
  'hosted-does-not-import-native: hypervisor/hosted/peer.ts → hypervisor/native/ok.ts',
  'migration-and-control-reach-vms-through-core: hypervisor/migration/monitor.ts → hypervisor/native/ok.ts',
  'migration-and-control-reach-vms-through-core: hypervisor/control/monitor.ts → hypervisor/hosted/ok.ts',
  'migration-does-not-import-control: hypervisor/migration/daemon.ts → hypervisor/control/ok.ts',
  'nothing-below-lab-imports-lab: hypervisor/native/lab.ts → hypervisor/lab/ok.ts',
  'hypervisor-does-not-import-cli-or-bench: hypervisor/lab/cli.ts → cli/ok.ts',
  'cli-does-not-import-bench: cli/bench.ts → bench/ok.ts',
  'bench-uses-only-shared-cli-helpers: bench/cli.ts → cli/ok.ts',
  'production-does-not-import-test: cli/test.ts → test/helper.ts',
  'no-circular: vm/ping.ts → vm/pong.ts', // a cycle is reported once
  'not-to-unresolvable: cli/missing.ts → ./nowhere.js',
  'web-uses-only-the-browser-safe-layers: web/hosted.ts → hypervisor/hosted/ok.ts',
  'web-imports-no-node-built-in: web/fs.ts → fs',
].sort();

interface Violation {
  readonly from: string;
  readonly to: string;
  readonly rule: { readonly name: string; readonly severity: string };
}

let dir: string;

/** Runs the `layers` script of package.json in the fixture, with extra arguments; resolves with its exit code and output. */
function layers(extra: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['layers']!;
  const env = { ...process.env, PATH: `${path.join(root, 'node_modules', '.bin')}${path.delimiter}${process.env['PATH'] ?? ''}` };
  return new Promise((resolve) => {
    execFile('sh', ['-c', `${script} ${extra}`], { cwd: dir, env, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'typevisor-layers-'));
  for (const [file, source] of Object.entries(FILES)) {
    mkdirSync(path.join(dir, path.dirname(file)), { recursive: true });
    writeFileSync(path.join(dir, file), source);
  }
  copyFileSync(path.join(root, '.dependency-cruiser.cjs'), path.join(dir, '.dependency-cruiser.cjs'));
  copyFileSync(path.join(root, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'layers-fixture', type: 'module', dependencies: { chalk: '*' } }));
  symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
});

afterAll(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('npm run layers', () => {
  test('reports every rule broken in the fixture, and only those imports', async () => {
    const { stdout } = await layers('--output-type json'); // (only the text reporters set the exit code)
    const result = JSON.parse(stdout) as { summary: { violations: Violation[]; error: number } };
    const found = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    expect(found).toEqual(EXPECTED);
    expect(result.summary.violations.every((v) => v.rule.severity === 'error')).toBe(true);
  });

  test('fails with the import that broke the rule, and why', async () => {
    const { code, stdout } = await layers('');
    expect(code).toBe(EXPECTED.length); // depcruise exits with the number of errors
    expect(stdout).toContain('error hosted-does-not-import-native: hypervisor/hosted/peer.ts → hypervisor/native/ok.ts');
    expect(stdout).toContain('The hosted and native monitors are peers');
  });
});
