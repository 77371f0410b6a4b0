/**
 * `npm run web`: bundle the playground into dist/web/index.html — one file,
 * its script and style inlined, so it also works opened from file:// and
 * needs no network at run time.
 *
 * The bundle imports the project's own layers (isa, vm, hypervisor/core,
 * native, migration, lab). `platform: 'browser'` makes esbuild refuse any
 * Node built-in (`node:fs`, `net`, `worker_threads` …) one of them pulls in:
 * the build fails naming the import, which is how the layers are kept
 * runnable in a browser. The guest sources (guests/**\/*.s, *.inc) go in as
 * text, so examples, `.include "sys.inc"`, the kernel and the workloads
 * assemble in the page from the same files the CLI reads.
 */
import { build } from 'esbuild';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');

/** guests/ as { '/guests/programs/hello.s': text, … }. */
function guestSources() {
  const files = {};
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(s|inc)$/.test(e.name)) files[`/${relative(root, p).split('\\').join('/')}`] = readFileSync(p, 'utf8');
    }
  };
  walk(join(root, 'guests'));
  return files;
}

const guestSourcesPlugin = {
  name: 'guest-sources',
  setup(b) {
    b.onResolve({ filter: /^virtual:guest-sources$/ }, (a) => ({ path: a.path, namespace: 'guest-sources' }));
    b.onLoad({ filter: /.*/, namespace: 'guest-sources' }, () => ({ contents: `export default ${JSON.stringify(guestSources())};`, loader: 'js' }));
  },
};

/**
 * The esbuild options of the page's bundle, for `entry`: the browser platform,
 * so a Node built-in anywhere in the import graph fails the build
 * (test/web/bundle.test.ts bundles the hosted monitor to see it refused).
 */
export function browserBundle(entry) {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
    plugins: [guestSourcesPlugin],
  };
}

async function main() {
  let result;
  try {
    result = await build(browserBundle(join(root, 'web', 'main.ts')));
  } catch (e) {
    for (const m of e.errors ?? []) console.error(`${m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ` : ''}error: ${m.text}`);
    console.error('npm run web: the playground did not build (a Node built-in in a browser bundle is refused on purpose: keep it behind isa/host-builtin.ts)');
    process.exit(1);
  }

  const script = result.outputFiles[0].text.replace(/<\/script/gi, '<\\/script');
  const style = readFileSync(join(root, 'web', 'style.css'), 'utf8');
  const page = readFileSync(join(root, 'web', 'index.html'), 'utf8')
    .replace('/*STYLE*/', () => style)
    .replace('/*SCRIPT*/', () => script);
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'index.html'), page);
  const layers = Object.keys(result.metafile.inputs).filter((p) => /^(isa|vm|hypervisor)\//.test(p)).length;
  console.log(`dist/web/index.html: ${(page.length / 1024).toFixed(0)} KiB, ${layers} modules of the layers bundled`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
