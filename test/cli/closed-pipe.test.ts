/**
 * cli/closed-pipe.ts: a reader that closes the pipe early (`| head`) ends
 * the process quietly with its exit status, and process.stdout and
 * process.stderr are made only when something uses them — a command that
 * writes with fs.writeSync alone never loads Node's tty or net.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const CLOSED_PIPE = join(REPO_ROOT, 'dist', 'cli', 'closed-pipe.js');

/** Run `script` (an ES module body, with exitQuietlyOnClosedPipe imported) with its stdout piped into `head -c 1`. */
function intoHead(script: string): { status: string; stderr: string } {
  const body = `import { exitQuietlyOnClosedPipe } from ${JSON.stringify(CLOSED_PIPE)};\n${script}`;
  const r = spawnSync('bash', ['-c', `"${process.execPath}" --input-type=module -e "$BODY" | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`], {
    env: { ...process.env, BODY: body },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.stdout.trim(), stderr: r.stderr };
}

describe('closed pipe', () => {
  test('EPIPE on stdout ends the process quietly with the exit status it had', () => {
    const line = 'x'.repeat(1023);
    const r = intoHead(`exitQuietlyOnClosedPipe();\nprocess.exitCode = 3;\nfor (let i = 0; i < 100000; i++) process.stdout.write(${JSON.stringify(`${line}\n`)});`);
    expect(r).toEqual({ status: '3', stderr: '' });
  });

  test('without the handler the same write is an error with a stack trace (the test can fail)', () => {
    const r = intoHead(`for (let i = 0; i < 100000; i++) process.stdout.write('${'x'.repeat(1023)}\\n');`);
    expect(r.status).not.toBe('0');
    expect(r.stderr).toContain('EPIPE');
  });

  test('the streams are made on first use, once, and Node\'s tty and net are not loaded before', () => {
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { exitQuietlyOnClosedPipe } from ${JSON.stringify(CLOSED_PIPE)};
exitQuietlyOnClosedPipe();
const loaded = (m) => process.moduleLoadList.includes('NativeModule ' + m);
const before = ['tty', 'net'].filter(loaded);
const first = process.stdout;
console.log(JSON.stringify({ before, same: first === process.stdout && process.stderr === process.stderr, listening: first.listenerCount('error') }));`,
      ],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(r.stdout)).toEqual({ before: [], same: true, listening: 1 });
  });

  test('`typevisor run` with NO_COLOR writes hello without making either stream', () => {
    const r = runCli(['run', join(REPO_ROOT, 'guests', 'programs', 'hello.s')], { env: { NODE_OPTIONS: `--require ${join(REPO_ROOT, 'test', 'fixtures', 'report-loaded-modules.cjs')}` } });
    expect(r.stdout).toBe('Hello, world!\n');
    expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!)).toEqual({ tty: false, net: false });
  });
});
