/** `vm console` on a terminal says how to detach as it attaches. */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { attachHint } from '../../cli/console.js';
import { CLI_MAIN } from '../helpers/cli.js';
import { cleanup, cli, spawnDaemon, TOKEN, type Daemon } from '../hypervisor/control/daemons.js';

const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

describe('the detach hint', () => {
  test('on a terminal only: from a pipe Ctrl-] is just a byte', () => {
    expect(attachHint('web', true)).toBe("[attached to web's console: keys go to the guest; Ctrl-] detaches and leaves it running]");
    expect(attachHint('web', false)).toBeUndefined();
  });

  describe.runIf(hasScript)('through a pseudo-terminal (script(1))', () => {
    let d: Daemon;
    beforeAll(async () => {
      d = await spawnDaemon();
      expect((await cli(['vm', 'start', 'guests/tour/ticker.s', '--name', 'web', '--mem', '4M', '--connect', d.address])).status).toBe(0);
    }, 60_000);
    afterAll(() => cleanup());

    test('vm console prints it, and Ctrl-] detaches', () => {
      // script gives the command a terminal; printf sends Ctrl-] (0x1d) after a moment.
      const command = `(sleep 2; printf '\\035') | script -qec "${process.execPath} ${CLI_MAIN} vm console web --connect ${d.address}" /dev/null`;
      const r = spawnSync('sh', ['-c', command], { env: { ...process.env, TYPEVISOR_TOKEN: TOKEN, NO_COLOR: '1' }, encoding: 'utf8', timeout: 30_000 });
      expect(r.stdout).toContain("[attached to web's console: keys go to the guest; Ctrl-] detaches and leaves it running]");
      expect(r.stdout).toContain('[typevisor: session ended with Ctrl-]]');
    }, 40_000);
  });
});
