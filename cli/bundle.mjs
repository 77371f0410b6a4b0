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
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
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

await rm(chunkDir, { recursive: true, force: true });
const result = await build({
  entryPoints: { main: join(root, 'cli', 'main.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  sourcemap: 'linked',
  // The packages go in too: commander and binary-parser are CommonJS, which Node loads through a second loader and
  // a lexer pass per file (~30 ms of `run` before this). Their `require('node:events')` and the like need a
  // `require` in an ES module: the banner makes one.
  banner: { js: "import { createRequire as __typevisorRequire } from 'node:module'; const require = __typevisorRequire(import.meta.url);" },
  plugins: [ownUrlPlugin],
  logLevel: 'warning',
});

// The entry is dist/cli/main.js, one folder above the chunks: a rewritten URL in it would point one level too high.
const entry = result.metafile.outputs[relative(root, join(outdir, 'main.js')).split('\\').join('/')];
const misplaced = Object.keys(entry?.inputs ?? {}).filter((input) => ownUrl.has(input));
if (misplaced.length > 0) throw new Error(`cli/bundle.mjs: ${misplaced.join(', ')} use import.meta.url but were bundled into the entry, not a chunk`);
