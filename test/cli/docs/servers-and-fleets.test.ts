/**
 * The transcript markers that let the README's last hand-typed blocks run for
 * real: a background terminal ended by Ctrl-C in its output block (a console
 * attached while a VM moves), `--port N` standing for a free port (a server
 * until Ctrl-C: `typevisor web`), a throwaway etcd for a fleet section, and
 * what --check forgives of them: times of day, and table columns that stay
 * aligned once a real address is written back as the README's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { toShown, type Daemon } from '../../../cli/docs/daemons.js';
import { findBlocks, normalise, regenerate } from '../../../cli/docs/transcripts.js';
import { etcdMissing } from '../../helpers/etcd.js';
import { REPO_ROOT } from '../../helpers/cli.js';

/** A regenerated block's lines, markers and fences left out. */
function shown(markdown: string): string[] {
  return markdown.split('\n').filter((l) => !l.startsWith('<!--') && !l.startsWith('```'));
}

describe('the README', () => {
  test('has no console block typed by hand: each one, and each block of "$ " commands, has a marker that generates it', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const generated = new Set(findBlocks(readme).filter((b) => b.kind === 'transcript' || b.kind === 'session' || b.kind === 'output').map((b) => b.open));
    const lines = readme.split('\n');
    const typed: string[] = [];
    for (let i = 0; i < lines.length; i++) {
      if (!lines[i]!.startsWith('```')) continue;
      const close = lines.findIndex((l, k) => k > i && l === '```');
      const body = lines.slice(i + 1, close);
      if ((lines[i] === '```console' || body.some((l) => l.startsWith('$ '))) && !generated.has(i)) typed.push(`README line ${i + 1}: ${body[0] ?? ''}`);
      i = close;
    }
    expect(typed).toEqual([]);
  });
});

describe('a background terminal ended with Ctrl-C', () => {
  test('its output block presses Ctrl-C once the line has appeared and shows ^C there; the command sees SIGINT', () => {
    const md = [
      `<!-- transcript: sh -c 'trap "echo interrupted; exit 130" INT; echo up; echo more; while :; do sleep 0.05; done' (background t until: up) -->`,
      '```console',
      '```',
      '<!-- output: t (ctrl-c after: more) -->',
      '```console',
      '```',
    ].join('\n');
    expect(findBlocks(md)[1]!.events).toEqual([{ action: 'ctrl-c', after: 'more' }]);
    const { markdown } = regenerate(md);
    expect(shown(markdown).slice(2)).toEqual(['more', '^Cinterrupted']);
  }, 60_000);

  test('an output that ends without the line is an error naming it; an output block takes no kill', () => {
    const md = ["<!-- transcript: sh -c 'echo up; echo bye' (background t until: up) -->", '```console', '```', '<!-- output: t (ctrl-c after: never) -->', '```console', '```'].join('\n');
    expect(() => regenerate(md)).toThrow(/no line containing 'never'/);
    expect(() => findBlocks(['<!-- output: t (kill B after: x) -->', '```console', '```'].join('\n'))).toThrow(/takes \(ctrl-c after: TEXT\), not \(kill/);
  }, 60_000);
});

describe('ports for a server given its port alone', () => {
  test('--port N stands for a free port in the command and is written back in the output', () => {
    const md = [
      '<!-- ports: 8080 -->',
      '<!-- transcript: echo --port 8080 http://127.0.0.1:8080/ -->',
      '```console',
      '```',
      "<!-- transcript: echo --port 8080 | sed 's/--port/p/' -->",
      '```console',
      '```',
    ].join('\n');
    const lines = shown(regenerate(md).markdown);
    expect(lines.slice(0, 2)).toEqual(['$ echo --port 8080 http://127.0.0.1:8080/', '--port 8080 http://127.0.0.1:8080/']);
    // Out of the --port form the real port shows: the command got a free one, not 8080.
    expect(lines[3]).toMatch(/^p (\d+)$/);
    expect(lines[3]).not.toBe('p 8080');
  }, 60_000);
});

describe('etcd markers', () => {
  test('an etcd marker is a line of its own naming the README port, or stop', () => {
    const blocks = findBlocks(['<!-- etcd: 2379 -->', 'text', '<!-- etcd: stop -->', '<!-- etcd: here -->'].join('\n'));
    expect(blocks.map((b) => [b.kind, b.what])).toEqual([['etcd', '2379'], ['etcd', 'stop']]);
  });

  test('a section whose blocks are all left to --all starts no etcd', () => {
    // Were it started, a missing or failing etcd would throw here.
    const md = ['<!-- etcd: 1 -->', '<!-- transcript: echo never (slow) -->', '```console', 'old', '```'].join('\n');
    const out = regenerate(md, { all: false });
    expect(out.skipped).toBe(1);
    expect(out.markdown).toBe(md);
  });

  test.skipIf(etcdMissing() !== undefined)(
    'a real etcd answers on the README address until stop; the fleet commands reach it there',
    () => {
      const md = [
        '<!-- etcd: 2379 -->',
        '<!-- session -->',
        '```console',
        '$ export TYPEVISOR_CLUSTER=http://127.0.0.1:2379',
        '$ typevisor cluster ls',
        `$ curl -s -X POST http://127.0.0.1:2379/v3/kv/put -d '{"key":"YQ==","value":"Yg=="}' >/dev/null && echo put`,
        "$ echo 127.0.0.1:2379 | tr : ' '",
        '```',
        '<!-- etcd: stop -->',
        "<!-- transcript: echo 127.0.0.1:2379 | tr : ' ' -->",
        '```console',
        '```',
      ].join('\n');
      const lines = shown(regenerate(md).markdown);
      expect(lines.slice(0, 2)).toEqual(['$ export TYPEVISOR_CLUSTER=http://127.0.0.1:2379', '$ typevisor cluster ls']);
      expect(lines[2]).not.toMatch(/^error/);
      expect(lines).toContain('put');
      // Out of its written form the address shows what the command really got: etcd's free port.
      expect(lines[lines.indexOf('put') + 2]).toMatch(/^127\.0\.0\.1 (\d+)$/);
      expect(lines[lines.indexOf('put') + 2]).not.toBe('127.0.0.1 2379');
      // Stopped: the README's address stands for nothing any more.
      expect(lines.at(-1)).toBe('127.0.0.1 2379');
    },
    60_000,
  );
});

describe('what --check forgives of them', () => {
  test('a time of day is forgiven wherever it stands; the words around it are not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_399 }), fc.integer({ min: 0, max: 86_399 }), (a, b) => {
        const clock = (t: number): string => [t / 3600, (t / 60) % 60, t % 60].map((n) => String(Math.floor(n)).padStart(2, '0')).join(':');
        expect(normalise(`${clock(a)} cluster: joined as host a`)).toBe(normalise(`${clock(b)} cluster: joined as host a`));
        expect(normalise(`restarted (${clock(a)})`)).toBe(normalise(`restarted (${clock(b)}.125)`));
        expect(normalise(`${clock(a)} cluster: joined as host a`)).not.toBe(normalise(`${clock(b)} cluster: joined as host b`));
      }),
    );
  });

  test('(vary: line): where the move falls among the console lines is forgiven; the bytes the service counted are not', () => {
    const console = (moveAfter: number, total = 171): string => {
      const lines: string[] = [];
      let bytes = 0;
      for (let n = 1; n <= 20; n++) {
        bytes += `hello ${n}\n`.length;
        lines.push(`line ${n}: ${bytes} bytes`);
        if (n === moveAfter) lines.push('[echo: migrated to 127.0.0.1:7481; following it there]');
      }
      return [...lines, `closed after ${total} bytes`, '^C'].join('\n');
    };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 19 }), fc.integer({ min: 1, max: 19 }), (a, b) => {
        expect(normalise(console(a), ['line'])).toBe(normalise(console(b), ['line']));
        expect(normalise(console(a), ['line'])).not.toBe(normalise(console(b, 163), ['line']));
      }),
    );
  });

  test('a random file name under a vary field is masked whether its hex digits have a letter or not', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9a-f]{8}$/), fc.stringMatching(/^[0-9a-f]{8}$/), (a, b) => {
        const line = (h: string): string => `  disk              transient: /tmp/tour/.daemon-A-2/scratch/temp.${h}.disk`;
        expect(normalise(line(a), ['disk'])).toBe(normalise(line(b), ['disk']));
      }),
    );
    expect(normalise('  disk  temp.81212416.disk', ['disk'])).toBe(normalise('  disk  temp.7c2087cf.disk', ['disk']));
    expect(normalise('  disk  temp.aaaaaaaa.disk', ['disk'])).toBe(normalise('  disk  temp.aa00a0aa.disk', ['disk']));
    // A decimal is still one number, not two.
    expect(normalise('total 1.5 x', ['total'])).toBe('total # x');
  });

  test('a real address in a table is written back at its width, so the next column keeps its place; in prose it is not padded', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10_000, max: 65_535 }), fc.integer({ min: 1024, max: 9999 }), (real, readme) => {
        const d: Daemon = { name: 'A', pid: 1, shown: `127.0.0.1:${readme}`, real: `127.0.0.1:${real}` };
        const row = `a     127.0.0.1:${real}  alive`;
        const out = toShown(`${row}\nlistening on 127.0.0.1:${real} (pid 1)`, [d]).split('\n');
        expect(out[0]!.indexOf('alive')).toBe(row.indexOf('alive'));
        expect(out[0]!.startsWith(`a     127.0.0.1:${readme} `)).toBe(true);
        expect(out[1]).toBe(`listening on 127.0.0.1:${readme} (pid 1)`);
      }),
    );
  });
});
