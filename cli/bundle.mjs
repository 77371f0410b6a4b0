/**
 * `npm run build`, second step: bundle the command line — the chunk loader
 * (cli/chunk-loader.ts) as dist/cli/typevisor.cjs (the package's `bin`) and
 * as dist/cli/main.js (an ES module, what the tests and docs spawn),
 * dist/cli/chunks/shared.cjs (the program of cli/main.ts with the command
 * table, commander and the colour) and dist/cli/chunks/NAME.cjs, one file per
 * command with all it uses, which the command table requires when the
 * command line names it. A command line reads three files.
 *
 * Why bundle: tsc's output is ~200 ES modules and Node loads a module graph
 * one file at a time (resolve, read, compile, link each); `typevisor run
 * hello.s` loaded ~70 of them. Why CommonJS chunks: they can run as
 * `vm.Script`s with a V8 code cache (cli/chunk-loader.ts), and ES modules
 * cannot on Node 20; what was left of a run after bundling was V8 compiling.
 *
 * Measured with `npm run bench -- --sections startup` (whole process, median
 * of 16 rounds interleaved with `node -e 0`; 2 cores shared with other work,
 * so compare ratios within a column, not times across them):
 *
 *                          before (3 ES module files)   now (bin, code cache)  now, TYPEVISOR_CODE_CACHE=off
 *                          load 8.2                     load 19.2              same run
 *   node -e 0              101.1 ms                     225.8 ms
 *   typevisor --version    119.3 ms  1.18×              258.7 ms  1.15×        268.6 ms  1.19×
 *   typevisor run hello.s  206.3 ms  2.04×              325.5 ms  1.44×        384.0 ms  1.70×
 *   typevisor asm hello.s  217.6 ms  2.15×              357.7 ms  1.58×        391.3 ms  1.73×
 *
 * The steps, by CPU per run of `run hello.s` (process.resourceUsage, median
 * of 20 interleaved, node -e 0 ~63 ms): the chunks through the code cache
 * with an ES module entry 96.9 ms; the bin a CommonJS entry 91.2; no
 * terminal stream, no chalk detection, no zlib, a faster lexer ~90 — against
 * 104.3 for the same bin with TYPEVISOR_CODE_CACHE=off in the same rounds.
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
 * sources (`node --enable-source-maps`, which loads the chunks with Node's
 * own require so that the maps apply).
 *
 * A CommonJS chunk has no `import.meta.url`: the few modules that find a file
 * beside themselves (the worker, the shipped include directory, the CLI entry
 * for `demo`) get the URL of their tsc-built copy in dist/ instead, found
 * from the chunk's `__filename`, which sits exactly where their relative
 * paths expect.
 */
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve as resolvePath } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'cli');
/** Where the chunks go: emptied first, so a removed command leaves no file behind. */
const chunkDir = join(outdir, 'chunks');

/**
 * Rewrites `import.meta.url` (which a CommonJS chunk has not) to the URL of the module's own tsc output, found
 * from the chunk's `__filename` (see above).
 */
const ownUrlPlugin = {
  name: 'own-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      // Relative to the chunks' folder, where every chunk sits.
      const built = relative(chunkDir, join(root, 'dist', relative(root, args.path))).replace(/\.ts$/, '.js').split('\\').join('/');
      const own = `new URL(${JSON.stringify(built)}, require('node:url').pathToFileURL(__filename)).href`;
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
  if (text === undefined || text.includes(SHARED_FILE)) return; // no tsc output, or already bundled (bundle.mjs run twice)
  await writeFile(join(outdir, 'main-modules.js'), text.replace('//# sourceMappingURL=main.js.map', '//# sourceMappingURL=main-modules.js.map'));
  await writeFile(join(outdir, 'main-modules.js.map'), await readFile(`${tscMain}.map`));
}

/** The commands' modules, from cli/commands/index.ts's table: `NAME: async () => (await import('./FILE.js'))…`. */
async function commandModules() {
  const index = await readFile(join(root, 'cli', 'commands', 'index.ts'), 'utf8');
  return [...new Set([...index.matchAll(/import\('\.\/([\w-]+)\.js'\)/g)].map((m) => m[1]))];
}

/**
 * The chunk the entry runs: cli/main.ts (the program and the command table) with commander and cli/color.ts,
 * which must exist once — a command's `new Option` joins the entry's `Command`, and `--no-color`, seen by the
 * entry, must reach the colour a command paints with. A command's chunk requires them from here.
 */
const SHARED_FILE = 'shared.cjs';
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

/**
 * chalk works out the terminal's colour support when it loads, for its default instance, which typevisor never
 * uses: cli/color.ts decides and gives every `Chalk` its level. The detection loads node:tty, and through it net
 * and Node's streams (~4 ms of CPU per run): it is replaced by "no support", which nothing reads.
 */
const noChalkDetection = {
  name: 'no-chalk-detection',
  setup(b) {
    b.onResolve({ filter: /^#supports-color$/ }, (a) => (a.importer.includes(join('node_modules', 'chalk')) ? { path: 'supports-color', namespace: 'no-chalk-detection' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'no-chalk-detection' }, () => ({ contents: 'export default { stdout: false, stderr: false };', loader: 'js' }));
  },
};

/**
 * commands/index.ts's `import('./NAME.js')` becomes `require('./NAME.cjs')` when the command is needed: the
 * command's chunk, which the loader (or Node) runs then. A dynamic `import()` would not do: a `vm.Script` has
 * no module loader behind it.
 */
const commandChunks = {
  name: 'command-chunks',
  setup(b) {
    b.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (a) =>
      a.importer === join(root, 'cli', 'commands', 'index.ts') && a.kind === 'dynamic-import' ? { path: a.path.slice(2, -3), namespace: 'command-chunk' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'command-chunk' }, (a) => ({ contents: `module.exports = require('./${a.path}.cjs');`, loader: 'js' }));
    b.onResolve({ filter: /^\.\/[\w-]+\.cjs$/ }, (a) => (a.namespace === 'command-chunk' ? { path: a.path, external: true } : undefined));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
  // A CommonJS chunk has no import.meta: a module reading it outside ownUrlPlugin's reach (the shared chunk) fails the build.
  logOverride: { 'empty-import-meta': 'error' },
};

await keepUnbundledEntry();
await rm(chunkDir, { recursive: true, force: true });
const commands = await commandModules();

// 1. The shared chunk: the program, commander and the colour.
await build({
  ...common,
  format: 'cjs',
  stdin: {
    contents: "export { Command, Option } from 'commander';\nexport * from './color.ts';\nimport './main.ts';\n",
    resolveDir: join(root, 'cli'),
    sourcefile: 'shared.ts',
    loader: 'ts',
  },
  outfile: join(chunkDir, SHARED_FILE),
  plugins: [lazyChildProcess, noChalkDetection, commandChunks],
});

// 2. One file per command, with all it uses but the shared chunk.
await build({
  ...common,
  format: 'cjs',
  entryPoints: commands.map((name) => join(root, 'cli', 'commands', `${name}.ts`)),
  outdir: chunkDir,
  outExtension: { '.js': '.cjs' },
  plugins: [shareWith(`./${SHARED_FILE}`), ownUrlPlugin],
});

// 3. The entries: the loader, told each chunk's content hash (the key of its code cache). The package's `bin`,
// dist/cli/typevisor.cjs, is CommonJS: Node runs an ES module entry through its ES loader, which reads the file with
// fs/promises and so loads them and readline (~6 ms of CPU per run, measured with process.resourceUsage over 20
// runs: `run hello.s` 96.9 → 91.2 ms, `--version` 75.4 → 69.3). dist/cli/main.js, the same loader as an ES
// module, is what the tests, the docs and `demo` spawn by path.
const hashes = {};
for (const name of [SHARED_FILE, ...commands.map((c) => `${c}.cjs`)]) {
  hashes[name] = createHash('sha256').update(await readFile(join(chunkDir, name))).digest('hex').slice(0, 16);
}
for (const [format, file, here] of [
  ['esm', 'main.js', 'import.meta.dirname'],
  ['cjs', 'typevisor.cjs', '__dirname'],
]) {
  await build({
    ...common,
    format,
    stdin: {
      contents: [
        "import { launch } from './chunk-loader.ts';",
        `launch(\`\${${here}}/chunks/\`, ${JSON.stringify(SHARED_FILE)}, ${JSON.stringify(hashes, null, 2)});`,
      ].join('\n'),
      resolveDir: join(root, 'cli'),
      sourcefile: 'entry.ts',
      loader: 'ts',
    },
    banner: { js: '#!/usr/bin/env node' },
    outfile: join(outdir, file),
  });
}
