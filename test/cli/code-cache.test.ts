/**
 * The bundled CLI's V8 code cache (cli/chunk-loader.ts): written on the first
 * run, used on the next, and never able to break a run — a missing,
 * truncated, corrupt, stale or unwritable cache only means compiling as
 * without one. Each case runs the real CLI with its own XDG_CACHE_HOME.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { cacheFileName, codeCacheDir, decodeCache, encodeCache, shortHash } from '../../cli/chunk-loader.js';
import { REPO_ROOT, runCli, type CliResult } from '../helpers/cli.js';

const HELLO = join(REPO_ROOT, 'guests', 'programs', 'hello.s');
const CHUNKS = join(REPO_ROOT, 'dist', 'cli', 'chunks');
let home = '';

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'tv-code-cache-'));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** A fresh cache home for one case. */
function freshHome(name: string): string {
  const dir = join(home, name);
  mkdirSync(dir);
  return dir;
}

/** `typevisor run hello.s` with the cache under `cacheHome`. */
function runHello(cacheHome: string, env: Record<string, string> = {}): CliResult {
  return runCli(['run', HELLO], { env: { XDG_CACHE_HOME: cacheHome, ...env } });
}

/** The cache files under `cacheHome`, by chunk file name. */
function cacheFiles(cacheHome: string): Map<string, string> {
  const dir = codeCacheDir(`${CHUNKS}/`, { XDG_CACHE_HOME: cacheHome })!;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return new Map();
  }
  return new Map(names.map((n) => [n.slice(0, n.indexOf('.cjs-') + 4), join(dir, n)]));
}

const HELLO_OUT = { status: 0, stdout: 'Hello, world!\n', stderr: '' };

describe('code cache', () => {
  test('the first run writes one file per chunk it ran; the next runs from them and rewrites nothing', () => {
    const cacheHome = freshHome('first');
    expect(runHello(cacheHome)).toEqual(HELLO_OUT);
    const files = cacheFiles(cacheHome);
    expect([...files.keys()].sort()).toEqual(['run.cjs', 'shared.cjs']);
    for (const file of files.values()) expect(statSync(file).size).toBeGreaterThan(1000);
    // V8's data runs as code: its folder is the owner's alone.
    expect(statSync(codeCacheDir(`${CHUNKS}/`, { XDG_CACHE_HOME: cacheHome })!).mode & 0o777).toBe(0o700);
    const written = [...files.values()].map((f) => statSync(f).mtimeMs);
    expect(runHello(cacheHome)).toEqual(HELLO_OUT);
    expect([...cacheFiles(cacheHome).values()].map((f) => statSync(f).mtimeMs)).toEqual(written);
    // A file's name: chunk, content hash, Node, architecture.
    expect(files.get('run.cjs')).toMatch(new RegExp(`run\\.cjs-[0-9a-f]{16}-${process.version}-${process.arch}\\.v8cache$`));
  });

  test('a truncated, corrupted or emptied cache file is compiled around and written anew', () => {
    const cacheHome = freshHome('damaged');
    expect(runHello(cacheHome)).toEqual(HELLO_OUT);
    const file = cacheFiles(cacheHome).get('run.cjs')!;
    const good = readFileSync(file);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: good.length - 1 }) }),
          fc.record({ kind: fc.constant('flip' as const), at: fc.nat({ max: good.length - 1 }), mask: fc.integer({ min: 1, max: 255 }) }),
        ),
        (damage) => {
          if (damage.kind === 'truncate') {
            writeFileSync(file, good);
            truncateSync(file, damage.at);
          } else {
            const bytes = Buffer.from(good);
            bytes[damage.at] ^= damage.mask;
            writeFileSync(file, bytes);
          }
          expect(runHello(cacheHome)).toEqual(HELLO_OUT);
          // Refused, so rewritten whole at exit.
          expect(decodeCache(readFileSync(file))).toBeDefined();
        },
      ),
      { numRuns: 8 },
    );
  }, 60_000);

  test('a cache file reads back only whole and intact: any truncation or flipped bit is refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 300 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (data, where, mask) => {
        const file = encodeCache(data);
        expect(decodeCache(file)).toEqual(Buffer.from(data));
        expect(decodeCache(file.subarray(0, where % file.length))).toBeUndefined();
        const flipped = Buffer.from(file);
        flipped[where % file.length] ^= mask;
        expect(decodeCache(flipped)).toBeUndefined();
      }),
    );
  });

  test('a stale cache — another chunk\'s data under this chunk\'s key — is rejected, not run', () => {
    const cacheHome = freshHome('stale');
    expect(runCli(['asm', HELLO, '-o', join(cacheHome, 'hello.img')], { env: { XDG_CACHE_HOME: cacheHome } }).status).toBe(0);
    expect(runHello(cacheHome)).toEqual(HELLO_OUT);
    const files = cacheFiles(cacheHome);
    const asmData = readFileSync(files.get('asm.cjs')!);
    copyFileSync(files.get('asm.cjs')!, files.get('run.cjs')!);
    expect(runHello(cacheHome)).toEqual(HELLO_OUT);
    expect(readFileSync(cacheFiles(cacheHome).get('run.cjs')!).equals(asmData)).toBe(false);
  });

  test('an older build\'s file for a chunk is replaced by this build\'s', () => {
    const cacheHome = freshHome('old');
    const dir = codeCacheDir(`${CHUNKS}/`, { XDG_CACHE_HOME: cacheHome })!;
    mkdirSync(dir, { recursive: true });
    const old = join(dir, cacheFileName('run.cjs', '0123456789abcdef'));
    writeFileSync(old, 'not a cache');
    expect(runHello(cacheHome)).toEqual(HELLO_OUT);
    expect(readdirSync(dir).sort()).toEqual([...cacheFiles(cacheHome).values()].map((f) => f.slice(dir.length + 1)).sort());
    expect(readdirSync(dir)).not.toContain(cacheFileName('run.cjs', '0123456789abcdef'));
  });

  test('a cache folder that cannot be written, TYPEVISOR_CODE_CACHE=off and --enable-source-maps run without one', () => {
    const cacheHome = freshHome('unwritable');
    writeFileSync(join(cacheHome, 'typevisor'), 'a file where the folder would go');
    expect(runHello(cacheHome)).toEqual(HELLO_OUT);
    const off = freshHome('off');
    expect(runHello(off, { TYPEVISOR_CODE_CACHE: 'off' })).toEqual(HELLO_OUT);
    expect(readdirSync(off)).toEqual([]);
    const maps = freshHome('maps');
    expect(runHello(maps, { NODE_OPTIONS: '--enable-source-maps' })).toEqual(HELLO_OUT);
    expect(readdirSync(maps)).toEqual([]);
  });

  test('two installations keep separate folders', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        fc.pre(a !== b);
        expect(shortHash(a)).toMatch(/^[0-9a-f]{8}$/);
        return codeCacheDir(a, { XDG_CACHE_HOME: '/c' }) !== codeCacheDir(b, { XDG_CACHE_HOME: '/c' }) || shortHash(a) === shortHash(b);
      }),
    );
    expect(codeCacheDir('/x/', { XDG_CACHE_HOME: '/c' })).toBe(`/c/typevisor/code-${shortHash('/x/')}`);
    expect(codeCacheDir('/x/', { TYPEVISOR_CODE_CACHE: 'off' })).toBeUndefined();
  });
});

describe('chunk loader', () => {
  /** Chunks in a folder of their own, run by the loader in a child process with a cache home. */
  function launchChunks(chunks: Record<string, string>, cacheHome: string, nodeOptions = '', into?: string): { status: number | null; stdout: string; stderr: string } {
    const dir = into ?? mkdtempSync(join(home, 'chunks-'));
    for (const [name, text] of Object.entries(chunks)) writeFileSync(join(dir, name), text);
    const hashes = Object.fromEntries(Object.keys(chunks).map((n) => [n, shortHash(chunks[n]!) + shortHash(`${chunks[n]!}.`)]));
    const loader = join(REPO_ROOT, 'dist', 'cli', 'chunk-loader.js');
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { launch } from ${JSON.stringify(loader)}; launch(${JSON.stringify(`${dir}/`)}, 'a.cjs', ${JSON.stringify(hashes)});`], {
      env: { ...process.env, XDG_CACHE_HOME: cacheHome, NODE_OPTIONS: nodeOptions },
      encoding: 'utf8',
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  const CHUNKS_ONCE = {
    'a.cjs': "const b = require('./b.cjs');\nconst again = require('./b.cjs');\nb.count++;\nconsole.log(again.count, __filename.endsWith('a.cjs'), typeof require('node:path').join);\n",
    'b.cjs': 'exports.count = 41;\n',
  };

  test('a chunk required twice runs once, with or without a cache', () => {
    const cacheHome = freshHome('once');
    for (let i = 0; i < 2; i++) expect(launchChunks(CHUNKS_ONCE, cacheHome)).toMatchObject({ status: 0, stdout: '42 true function\n' });
    expect(launchChunks(CHUNKS_ONCE, cacheHome, '--enable-source-maps')).toMatchObject({ status: 0, stdout: '42 true function\n' });
  });

  test('with --enable-source-maps an error\'s stack leads through the source map to the .ts source', () => {
    const dir = mkdtempSync(join(home, 'mapped-'));
    writeFileSync(join(dir, 'boom.ts'), 'export function boom(x: number): number {\n  if (x > 1) throw new Error("kaboom");\n  return x;\n}\nboom(2);\n');
    buildSync({ entryPoints: [join(dir, 'boom.ts')], bundle: true, format: 'cjs', platform: 'node', sourcemap: 'linked', outfile: join(dir, 'b.cjs'), logLevel: 'error' });
    const chunks = { 'a.cjs': "require('./b.cjs');\n", 'b.cjs': readFileSync(join(dir, 'b.cjs'), 'utf8') };
    const cacheHome = freshHome('mapped');
    const mapped = launchChunks(chunks, cacheHome, '--enable-source-maps', dir);
    expect(mapped.stderr).toMatch(/at (?:Object\.)?boom \(.*boom\.ts:2:20\)/);
    const unmapped = launchChunks(chunks, cacheHome, '', dir);
    expect(unmapped.stderr).toMatch(/at (?:Object\.)?boom \(.*b\.cjs:\d+:20\)/);
  });

  test("an error's stack names the chunk's file and its real line", () => {
    const cacheHome = freshHome('stack');
    const chunks = { 'a.cjs': "require('./b.cjs').boom();\n", 'b.cjs': '// one\n// two\nexports.boom = function boom() {\n  throw new Error("kaboom");\n};\n' };
    for (let i = 0; i < 2; i++) {
      const r = launchChunks(chunks, cacheHome);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/Error: kaboom\n\s+at (?:Object\.)?boom \(.*b\.cjs:4:9\)/);
    }
  });
});
