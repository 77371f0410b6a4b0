/**
 * The daemon's side of a snapshot file that cannot be written or read, as
 * `vm snapshot` / `vm restore` / `vm start --from` print it. Before: "EISDIR:
 * illegal operation on a directory", "ENOENT: no such file or directory".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT } from '../../helpers/cli.js';
import { cleanup, cli, spawnDaemon, type Daemon } from '../../hypervisor/control/daemons.js';

const dir = mkdtempSync(join(tmpdir(), 'tv-daemon-file-errors-'));
const missing = join(dir, 'nowhere');
let d: Daemon;
const tv = (...args: string[]) => cli([...args, '--connect', d.address], { timeoutMs: 30_000 });

beforeAll(async () => {
  d = await spawnDaemon(['--state-dir', join(dir, 'state'), '--quiet']);
  expect((await tv('vm', 'start', join(REPO_ROOT, 'guests', 'tour', 'ticker.s'), '--name', 'tick', '--mem', '4M')).status).toBe(0);
});
afterAll(async () => {
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
});

describe('snapshot files the daemon cannot use', () => {
  test.each<[string[], string]>([
    [['vm', 'snapshot', 'tick', dir], `error: cannot write ${dir}: it is a directory\n`],
    [['vm', 'snapshot', 'tick', join(missing, 'k.snap')], `error: cannot write ${join(missing, 'k.snap')}: no such directory ${missing}\n`],
    [['vm', 'restore', dir], `error: cannot read ${dir}: it is a directory\n`],
    [['vm', 'start', '--from', dir], `error: cannot read ${dir}: it is a directory\n`],
  ])('%j', async (args, stderr) => {
    const r = await tv(...args);
    expect(r.stderr).toBe(stderr);
    expect(r.status).toBe(1);
  });

  test('the VM runs on, untouched', async () => {
    expect((await tv('vm', 'list')).stdout).toMatch(/^tick +running /m);
  });
});
