/**
 * How the bundled `typevisor` (dist/cli/main.js, see cli/bundle.mjs) loads
 * its chunks: each is a CommonJS script compiled through `vm.Script` with a
 * V8 code cache, so a command's code is not parsed and compiled again on
 * every run.
 *
 * Why: what was left of `typevisor run hello.s` after bundling was V8
 * compiling code, not running it. Profiled (`node --cpu-prof`, 5 runs),
 * ~30 ms of a ~90 ms process: compiling the three ES modules' top levels
 * (~10 ms) and then each function of commander, the assembler and the VM at
 * its first call — assembling hello.s's two include files first-calls most
 * of the assembler. Node 20 has no compile cache for modules (22's
 * `module.enableCompileCache`), but `vm.Script` takes `cachedData`, and
 * `createCachedData()` called after the run holds the bytecode of every
 * function compiled so far, lazily compiled ones included.
 *
 * Measured, median of 16 rounds interleaved with `node -e 0` (2 cores,
 * shared): the same run path as ES modules 1.80×, as one CommonJS file
 * 1.61×, through `vm.Script` without a cache 1.65×, with the cache 1.39×.
 * The bench's startup section keeps the uncached bundle beside it
 * (TYPEVISOR_CODE_CACHE=off).
 *
 * The cache: one file per chunk in $XDG_CACHE_HOME/typevisor (~/.cache
 * when unset), in a folder named for this installation's path, so two
 * checkouts keep one each. A file's name carries the chunk's content hash
 * (written into main.js by the build), Node's version and the architecture;
 * its content is V8's data behind a header of our own (magic, checksum,
 * length), because V8 in Node 20 does not verify its own checksum: one
 * flipped bit in the data (found by test/cli/code-cache.test.ts) crashed the
 * process in V8's deserializer. V8 checks the rest (its version and flags,
 * the source's length) and rejects what does not fit. Nothing here is
 * trusted: a missing, truncated, corrupt or stale cache file only means
 * compiling as without one, and a rejected or missing one is written anew when the
 * process exits (to a temporary name, then renamed, so two processes never
 * read half a file), replacing the chunk's older files. A folder that cannot
 * be written is no error: the run just goes without a cache.
 *
 * Where the cache is not used, Node's own `require` loads the chunks:
 * TYPEVISOR_CODE_CACHE=off, and `node --enable-source-maps` (Node 20 maps
 * stack traces of modules only, not of `vm.Script`s, and an error's
 * frames should lead to the .ts sources when asked for).
 */
import type { Script } from 'node:vm';

// Node's modules by process.getBuiltinModule, not `import`: the entry is an ES module, and an ES import of
// node:fs builds its module namespace by reading every export, fs.promises and fs.ReadStream among them, which
// loads Node's streams (~3 ms of CPU per run, measured by process.resourceUsage over 20 runs).
const { mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } = process.getBuiltinModule('node:fs');
const { createRequire } = process.getBuiltinModule('node:module');
const { homedir } = process.getBuiltinModule('node:os');
const { join } = process.getBuiltinModule('node:path');
const vm = process.getBuiltinModule('node:vm');

/** Chunk file name → hash of its content, written into the entry by the build. */
export type ChunkHashes = Readonly<Record<string, string>>;

interface Module {
  exports: unknown;
}

type ModuleFunction = (exports: unknown, require: (id: string) => unknown, module: Module, filename: string, dirname: string) => void;

/** A chunk compiled this run whose cache file is to be (re)written at exit. */
interface Pending {
  readonly script: Script;
  readonly chunk: string;
  readonly file: string;
}

/** FNV-1a of a short string, as 8 hex digits: names the installation's cache folder without loading node:crypto. */
export function shortHash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** The folder holding this installation's cache files, or undefined when the cache is off. */
export function codeCacheDir(chunkDir: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env['TYPEVISOR_CODE_CACHE'] === 'off') return undefined;
  const base = env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'typevisor', `code-${shortHash(chunkDir)}`);
}

/** A chunk's cache file name: the chunk, its content, this Node and this architecture. */
export function cacheFileName(chunk: string, hash: string): string {
  return `${chunk}-${hash}-${process.version}-${process.arch}.v8cache`;
}

/** 'TVC1': a cache file of this format. */
const MAGIC = 0x31435654;
/** magic, the data's checksum (two words), the data's length; u32 little-endian each. */
const HEADER = 16;

/**
 * A Fletcher-style sum of the data's 32-bit words (two running sums, mod 2^32): any changed word changes the
 * first, any reordering the second. In JavaScript because Node's zlib.crc32 costs its module, and zlib loads
 * Node's streams: about the same CPU per run (~2 ms for ~400 KB) either way, so the one that loads nothing.
 */
export function checksum(data: Uint8Array): readonly [number, number] {
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  const words = new Int32Array(aligned.buffer, aligned.byteOffset, aligned.length >>> 2);
  let a = 1;
  let b = 0;
  const n = words.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    a = (a + words[i]!) | 0;
    b = (b + a) | 0;
    a = (a + words[i + 1]!) | 0;
    b = (b + a) | 0;
    a = (a + words[i + 2]!) | 0;
    b = (b + a) | 0;
    a = (a + words[i + 3]!) | 0;
    b = (b + a) | 0;
  }
  for (; i < n; i++) {
    a = (a + words[i]!) | 0;
    b = (b + a) | 0;
  }
  for (let k = n * 4; k < aligned.length; k++) {
    a = (a + aligned[k]!) | 0;
    b = (b + a) | 0;
  }
  return [a >>> 0, b >>> 0];
}

/** V8's data in a cache file: `data` behind the header. */
export function encodeCache(data: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(HEADER + data.length);
  const [a, b] = checksum(data);
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(a, 4);
  out.writeUInt32LE(b, 8);
  out.writeUInt32LE(data.length, 12);
  out.set(data, HEADER);
  return out;
}

/** The V8 data a cache file holds, or undefined when it is not whole and intact. */
export function decodeCache(file: Uint8Array): Buffer | undefined {
  if (file.length < HEADER) return undefined;
  const b = Buffer.from(file.buffer, file.byteOffset, file.length);
  if (b.readUInt32LE(0) !== MAGIC || b.readUInt32LE(12) !== b.length - HEADER) return undefined;
  const data = b.subarray(HEADER);
  const [sumA, sumB] = checksum(data);
  return sumA === b.readUInt32LE(4) && sumB === b.readUInt32LE(8) ? data : undefined;
}

function readCache(file: string): Buffer | undefined {
  try {
    return decodeCache(readFileSync(file));
  } catch {
    return undefined;
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Gone already.
  }
}

/** Write what V8 made of each pending chunk; any failure (read-only home, full disk) just leaves no cache. */
function writeCaches(dir: string, pending: readonly Pending[]): void {
  try {
    // Owner-only: V8's data is code that runs as whoever reads it, so no one else may write there.
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const existing = readdirSync(dir);
    for (const p of pending) {
      const target = join(dir, p.file);
      const temporary = `${target}.${process.pid}.tmp`;
      writeFileSync(temporary, encodeCache(p.script.createCachedData()));
      renameSync(temporary, target);
      // Older builds' files for this chunk: nothing will read them again (another process may be removing them too).
      for (const old of existing) if (old.startsWith(`${p.chunk}-`) && old !== p.file && old.endsWith('.v8cache')) removeQuietly(join(dir, old));
    }
  } catch {
    // No cache this time: the next run compiles as this one did and tries again.
  }
}

/**
 * Run the chunk `entry` of `chunkDir` (a folder path ending in '/'), each chunk
 * it requires by './NAME' loaded once from the same folder; other ids (node:fs,
 * …) go to Node's require.
 */
export function launch(chunkDir: string, entry: string, hashes: ChunkHashes): void {
  const nodeRequire = createRequire(join(chunkDir, entry));
  const dir = process.sourceMapsEnabled ? undefined : codeCacheDir(chunkDir);
  if (dir === undefined) {
    nodeRequire(`./${entry}`);
    return;
  }
  const modules = new Map<string, Module>();
  const pending: Pending[] = [];
  const load = (chunk: string): unknown => {
    const loaded = modules.get(chunk);
    if (loaded !== undefined) return loaded.exports;
    const filename = join(chunkDir, chunk);
    const source = readFileSync(filename, 'utf8');
    const hash = hashes[chunk];
    const file = hash === undefined ? undefined : cacheFileName(chunk, hash);
    const cachedData = file === undefined ? undefined : readCache(join(dir, file));
    // The wrapper Node puts around a CommonJS module; on the source's first line, so line numbers stay the file's.
    const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
      filename,
      ...(cachedData === undefined ? {} : { cachedData }),
    });
    if (file !== undefined && (cachedData === undefined || script.cachedDataRejected === true)) {
      if (pending.length === 0) process.once('exit', () => writeCaches(dir, pending));
      pending.push({ script, chunk, file });
    }
    const module: Module = { exports: {} };
    modules.set(chunk, module);
    (script.runInThisContext() as ModuleFunction).call(module.exports, module.exports, require, module, filename, chunkDir);
    return module.exports;
  };
  const require = (id: string): unknown => (id.startsWith('./') ? load(id.slice(2)) : nodeRequire(id));
  load(entry);
}
