/**
 * `npm run build`, second step: bundle the command line into dist/cli/main.js
 * (the package's `bin`) — one ES module for the entry, commander, chalk and
 * what every command shares, plus one chunk per command that
 * cli/commands/index.ts imports when the command line names it.
 *
 * Why: tsc's output is ~200 modules, and Node loads an ES module graph one
 * file at a time (resolve, read, compile, link each). `typevisor run hello.s`
 * loaded ~70 of them before assembling a byte. Bundled, `--version` reads one
 * file and `run` three or four. Measured with `npm run bench -- --sections
 * startup` (whole process, median of interleaved rounds, loaded 2-core machine):
 *
 *   before (tsc modules): see the README's Startup section for the table
 *   after (this bundle):  ditto — the figures are regenerated from a real run
 *
 * What stays tsc's: everything else in dist/ — the library entry
 * (`exports`: dist/cli/library.js and its .d.ts), the benchmarks, the hosted
 * monitor's worker (dist/hypervisor/hosted/vcpu-worker.js, started by URL).
 * Source maps point into the .ts sources, so `--enable-source-maps` stack
 * traces name the real files.
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
