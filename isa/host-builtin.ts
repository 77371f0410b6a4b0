/**
 * The one door from the layers to the host's own modules (Node's fs, zlib,
 * crypto). The layers run in two hosts: Node, where the CLI, the daemons and
 * the tests use them, and a browser, where the playground bundles them. A
 * static `import 'node:fs'` would tie every module that reaches it to Node
 * (the browser bundle refuses to build: see web/build.mjs), so the few
 * operations that only make sense with a host file system or a native
 * accelerator ask for the module here, when they run.
 *
 * In a browser there is no such module: `nodeBuiltin` throws a HostError that
 * says what was asked for, and `optionalBuiltin` returns undefined so the
 * caller uses its portable definition (crc32's table, a JS SHA-256).
 */

/** The host has no such facility (a browser asked for a file, say). */
export class HostError extends Error {
  override readonly name = 'HostError';
  /** Like Node's errors, so errno mappers see "not supported" rather than a mystery. */
  readonly code = 'ENOSYS';
}

interface NodeLike {
  readonly process?: { getBuiltinModule?: (id: string) => unknown; cwd?: () => string };
}

const host = (globalThis as NodeLike).process;

/** Node's built-in module `name` (e.g. 'fs'), or undefined on a host without it. */
export function optionalBuiltin<T>(name: string): T | undefined {
  // process.getBuiltinModule: Node 20.16 and later (package.json's engines).
  return host?.getBuiltinModule?.(`node:${name}`) as T | undefined;
}

/** Node's built-in module `name`; a HostError naming `what` needed it where there is none. */
export function nodeBuiltin<T>(name: string, what: string): T {
  const m = optionalBuiltin<T>(name);
  if (m === undefined) throw new HostError(`${what} needs the host's ${name} module, which this host (a browser?) does not have`);
  return m;
}

/** The host's working directory, or '/' where there is none (a browser). */
export function hostCwd(): string {
  return host?.cwd?.() ?? '/';
}

/**
 * Node's built-in module `name`, or — on a host without it — a stand-in each
 * of whose functions throws a HostError naming `what` when called. For a
 * module whose every use is a call made only when that facility is asked for
 * (the `--fs` sandbox, host fds), so its file can destructure it once at the
 * top as it would an import.
 */
export function hostModule<T extends object>(name: string, what: string): T {
  const m = optionalBuiltin<T>(name);
  if (m !== undefined) return m;
  const missing = (): never => {
    throw new HostError(`${what} needs the host's ${name} module, which this host (a browser?) does not have`);
  };
  return new Proxy({} as T, { get: () => missing });
}
