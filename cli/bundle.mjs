/**
 * `npm run build`, second step: bundle the command line — dist/cli/main.js
 * (the package's `bin`), dist/cli/chunks/shared.js (commander and the colour,
 * which the entry and every command share) and dist/cli/chunks/NAME.js, one
 * file per command with all it uses, which cli/commands/index.ts imports when
 * the command line names it. A command line reads three files.
 *
 * Why: tsc's output is ~200 ES modules and Node loads a module graph one file
 * at a time (resolve, read, compile, link each); `typevisor run hello.s`
 * loaded ~70 of them, and commander and binary-parser as CommonJS through a
 * second loader and a lexer pass per file. esbuild's own code splitting cut
 * the CLI into ~85 chunks, 14 of them for `run`: better, not enough.
 *
 * Measured with `npm run bench -- --sections startup` (whole process, median
 * of 16 rounds interleaved with `node -e 0` and with the unbundled CLI, kept
 * by this script as dist/cli/main-modules.js; 2 cores, load 8.2):
 *
 *                          bundled            unbundled (tsc's modules)
 *   node -e 0              101.1 ms
 *   typevisor --version    119.3 ms  1.18×    164.0 ms  1.62×
 *   typevisor run hello.s  206.3 ms  2.04×    361.4 ms  3.57×
 *   typevisor asm hello.s  217.6 ms  2.15×    324.9 ms  3.21×
 *
 * What is left of `run` is the assembler and the VM running cold and parsing
 * the ~440 KB of its two chunks (minifying them measured no clear gain, and
 * would cost readable stack traces).
 *
 * Code the commands share is copied into each command's file: disk, not time,
 * as one command runs per process (`--help` loads them all, once each). What
 * must exist once is in the shared chunk: a command's `new Option` joins the
 * entry's `Command`, and `--no-color`, seen by the entry, must reach the
 * colour a command paints with (test/cli/lazy-commands.test.ts checks both).
 *
 * What stays tsc's: everything else in dist/ — the library entry
 * (`exports`: dist/cli/library.js and its .d.ts), the benchmarks, the hosted
 * monitor's worker (dist/hypervisor/hosted/vcpu-worker.js, started by URL).
 * The bundle is not minified, and its source maps point into the .ts
 * sources (`node --enable-source-maps`).
 *
 * `import.meta.url` in a bundled module would name the chunk, not the module:
 * the few modules that find a file beside themselves (the worker, the shipped
 * include directory, the CLI entry for `demo`) get the URL of their tsc-built
 * copy in dist/ instead, which sits exactly where their relative paths expect.
 */
import { build } from 'esbuild';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
/** Where the chunks go: their names change with their content, so the folder is emptied first. */
const chunkDir = join(outdir, 'chunks');
/** The modules whose `import.meta.url` is rewritten: each must land in a chunk (see the check below). */
const ownUrl = new Set();

/** Rewrites `import.meta.url` to the URL of the module's own tsc output (see above). */
const ownUrlPlugin = {
  name: 'own-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      ownUrl.add(relative(root, args.path).split('\\').join('/'));
      // Relative to the chunks' folder: every chunk sits there, and the check below keeps these modules out of the entry.
      const built = relative(chunkDir, join(root, 'dist', relative(root, args.path))).replace(/\.ts$/, '.js').split('\\').join('/');
      const own = `new URL(${JSON.stringify(built)}, import.meta.url).href`;
      return { contents: source.replaceAll('import.meta.url', own), loader: 'ts' };
    });
  },
};

/**
 * tsc's dist/cli/main.js, kept as dist/cli/main-modules.js before the bundle takes its place: the same CLI
 * loading tsc's modules one by one, which the startup benchmark times beside the bundle in the same rounds.
 */
async function keepUnbundledEntry() {
  const tscMain = join(outdir, 'main.js');
  const text = await readFile(tscMain, 'utf8').catch(() => undefined);
  if (text === undefined || text.includes('./chunks/')) return; // no tsc output, or already bundled (bundle.mjs run twice)
  await writeFile(join(outdir, 'main-modules.js'), text.replace('//# sourceMappingURL=main.js.map', '//# sourceMappingURL=main-modules.js.map'));
  await writeFile(join(outdir, 'main-modules.js.map'), await readFile(`${tscMain}.map`));
}

/** The commands' modules, from cli/commands/index.ts's table: `NAME: async () => (await import('./FILE.js'))…`. */
async function commandModules() {
  const index = await readFile(join(root, 'cli', 'commands', 'index.ts'), 'utf8');
  return [...new Set([...index.matchAll(/import\('\.\/([\w-]+)\.js'\)/g)].map((m) => m[1]))];
}

/**
 * What the entry and every command share, one module instance for all: commander (a command's `new Option` is
 * added to the entry's `Command`) and cli/color.ts (`--no-color` is seen by the entry, the colour is painted by
 * the command). Resolved, wherever imported, to the shared chunk.
 */
const SHARED_FILE = 'shared.js';
const shareWith = (from) => ({
  name: 'shared',
  setup(b) {
    b.onResolve({ filter: /^commander$/ }, () => ({ path: from, external: true }));
    b.onResolve({ filter: /(^|\/)color\.js$/ }, (a) =>
      a.importer.startsWith(join(root, 'cli')) && resolvePath(a.resolveDir, a.path) === join(root, 'cli', 'color.js') ? { path: from, external: true } : undefined,
    );
  },
});

/**
 * commander requires node:child_process when it loads, for executable subcommands (`git-style`), which typevisor
 * has none of; loading child_process costs every command line ~10 ms (loaded machine). Inside commander it is
 * loaded at its first use instead.
 */
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (a) =>
      a.importer.includes(`${join('node_modules', 'commander')}`) ? { path: 'child_process', namespace: 'lazy-child-process' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-child-process' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get: (_, key) => (m ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  metafile: true,
  // commander and binary-parser are CommonJS; bundled, their `require('node:events')` and the like need a
  // `require` in an ES module: the banner makes one.
  banner: { js: "import { createRequire as __typevisorRequire } from 'node:module'; const require = __typevisorRequire(import.meta.url);" },
  logLevel: 'warning',
};

await keepUnbundledEntry();
await rm(chunkDir, { recursive: true, force: true });
const commands = await commandModules();

// 1. The shared chunk: commander and the colour.
await build({
  ...common,
  stdin: { contents: "export { Command, Option } from 'commander';\nexport * from './color.ts';\n", resolveDir: join(root, 'cli'), sourcefile: 'cli/shared.ts', loader: 'ts' },
  outfile: join(chunkDir, SHARED_FILE),
  plugins: [lazyChildProcess],
});

// 2. The entry: main.ts and the command table; each command's import() goes to its chunk.
const entry = await build({
  ...common,
  entryPoints: [join(root, 'cli', 'main.ts')],
  outfile: join(outdir, 'main.js'),
  plugins: [
    shareWith(`./chunks/${SHARED_FILE}`),
    {
      name: 'command-chunks',
      setup(b) {
        b.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (a) =>
          a.importer === join(root, 'cli', 'commands', 'index.ts') && a.kind === 'dynamic-import' ? { path: `./chunks/${a.path.slice(2)}`, external: true } : undefined,
        );
      },
    },
  ],
});

// 3. One file per command, with all it uses but the shared chunk.
await build({
  ...common,
  entryPoints: commands.map((name) => join(root, 'cli', 'commands', `${name}.ts`)),
  outdir: chunkDir,
  plugins: [shareWith(`./${SHARED_FILE}`), ownUrlPlugin],
});

// The entry is dist/cli/main.js, one folder above the chunks: a rewritten URL in it would point one level too high.
const misplaced = Object.keys(Object.values(entry.metafile.outputs).find((o) => o.entryPoint)?.inputs ?? {}).filter((input) => ownUrl.has(input));
if (misplaced.length > 0) throw new Error(`cli/bundle.mjs: ${misplaced.join(', ')} use import.meta.url but were bundled into the entry`);
