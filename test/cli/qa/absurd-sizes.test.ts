/**
 * Sizes past what a command can make, met from the command line: each is one
 * line saying the limit, and nothing is written.
 *   - mkdisk --size 100G threw "Invalid typed array length" (the image is
 *     built in memory);
 *   - volume create --size past 2^32 - 1 sectors said "must be a positive
 *     multiple of 512 bytes" (100000G is one) or "a positive whole number".
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { VolumeStore, VOLUME_MAX_SIZE } from '../../../hypervisor/control/volume-store.js';
import { ControlError } from '../../../hypervisor/control/control-error.js';
import { StateDir } from '../../../hypervisor/control/state-dir.js';
import { runCli } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'tv-sizes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('absurd sizes', () => {
  test.each(['100G', '2G', '1025M'])('mkdisk --size %s says the limit and writes nothing', (size) => {
    const out = join(dir, `d-${size}.img`);
    const r = runCli(['mkdisk', '-o', out, '--size', size]);
    expect(r.stderr).toBe(`error: --size "${size}" is more than mkdisk makes: at most 1 GiB (the image is built in memory)\n`);
    expect(r.status).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  // Refused before connecting: nothing listens on port 1.
  test.each(['100000G', '9000000G', '2048G'])('volume create --size %s says the most a volume can be', (size) => {
    const r = runCli(['volume', 'create', 'big', '--size', size, '--connect', '127.0.0.1:1', '--token', 't']);
    expect(r.stderr).toBe(`error: --size ${size} is more than a volume can be: at most ${VOLUME_MAX_SIZE} bytes (2^32 - 1 sectors of 512)\n`);
    expect(r.status).toBe(1);
  });

  test('the daemon\'s own check says the limit too (a client that skips the CLI)', () => {
    const store = new VolumeStore(new StateDir(join(dir, 'state'), () => '127.0.0.1:7480'));
    expect(() => store.create('big', VOLUME_MAX_SIZE + 512)).toThrow(
      new ControlError('bad-request', `volume big: size must be a positive multiple of 512 bytes up to ${VOLUME_MAX_SIZE} (2^32 - 1 sectors), got ${VOLUME_MAX_SIZE + 512}`),
    );
  });
});

describe('a size of zero', () => {
  // Was '--mem "0" is not a size', which reads as a parse error.
  test.each<[string[], string]>([
    [['run', 'guests/programs/hello.s', '--mem', '0'], '--mem'],
    [['serve', '--capacity', '0K'], '--capacity'],
    [['volume', 'create', 'v', '--size', '0', '--connect', '127.0.0.1:1', '--token', 't'], '--size'],
  ])('%j says the size must be more than 0', (args, option) => {
    const r = runCli(args);
    expect(r.stderr).toBe(`error: ${option} must be more than 0 (try 16M, 512K, 1G)\n`);
    expect(r.status).toBe(1);
  });
});
