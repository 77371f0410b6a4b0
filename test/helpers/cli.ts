/**
 * Runs the real, built CLI (`dist/cli/main.js`) as a user would: a child
 * process with its own stdin, stdout, stderr and exit status. Build first
 * (`npx tsc -p .`; `npm test` does it).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI_MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly input?: string | Uint8Array;
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
}

export function runCli(args: readonly string[], options: CliOptions = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI_MAIN, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    // No colour unless a test asks for it, so output compares as plain text.
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
    encoding: 'utf8',
    timeout: 60_000,
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
