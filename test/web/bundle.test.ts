/**
 * The page's bundle refuses Node: esbuild, with the options `npm run web`
 * uses, fails on anything that imports a Node built-in — so a layer that
 * starts to need fs, net or worker_threads on a path the page reaches breaks
 * the build, naming the file, instead of the page at run time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { afterAll, describe, expect, test } from 'vitest';
import { REPO } from './browser.js';

const { browserBundle } = (await import(join(REPO, 'web', 'build.mjs'))) as { browserBundle: (entry: string) => BuildOptions };
const dir = mkdtempSync(join(tmpdir(), 'typevisor-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function entry(imports: string): string {
  const file = join(dir, `e${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, `${imports}\nconsole.log(m);\n`);
  return file;
}

describe("the playground's bundle", () => {
  test('takes the layers the page uses', async () => {
    const r = await build(browserBundle(entry(`import * as m from '${join(REPO, 'hypervisor', 'lab', 'compare.js')}';`)));
    expect(Object.keys(r.metafile!.inputs).some((p) => p.endsWith('hypervisor/native/native-monitor.ts'))).toBe(true);
  });

  test('refuses the hosted monitor (worker threads), naming the import', async () => {
    await expect(build(browserBundle(entry(`import * as m from '${join(REPO, 'hypervisor', 'hosted', 'hosted-monitor.js')}';`)))).rejects.toThrow(/Could not resolve "(node:)?(worker_threads|fs|net|os|path)"/);
  });

  test('refuses a file that imports node:fs itself', async () => {
    await expect(build(browserBundle(entry(`import * as m from 'node:fs';`)))).rejects.toThrow(/Could not resolve "node:fs"/);
  });
});
