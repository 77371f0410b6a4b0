/** `typevisor web`: serves the built playground on 127.0.0.1 and prints its URL. */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CLI_MAIN, REPO_ROOT, runCli } from '../helpers/cli.js';

let child: ChildProcess | undefined;

afterEach(() => {
  child?.kill('SIGTERM');
  child = undefined;
});

/** Start `typevisor web ...args`; resolves with the URL it prints. */
function start(args: readonly string[]): Promise<string> {
  child = spawn(process.execPath, [CLI_MAIN, 'web', ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 60_000);
    child!.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child!.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
}

describe('typevisor web', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['web/build.mjs'], { cwd: REPO_ROOT, stdio: 'pipe' });
  }, 60_000);

  test('serves the page at its URL on 127.0.0.1, and nothing else', async () => {
    const url = await start(['--port', '0']);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    expect(html).toContain('<title>typevisor playground</title>');
    expect((await fetch(`${url}index.html`)).status).toBe(200);
    expect((await fetch(`${url}../package.json`)).status).toBe(404);
    expect((await fetch(`${url}secret`)).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
  }, 90_000);

  test('a bad port is one clear line', () => {
    const r = runCli(['web', '--port', '70000']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--port "70000": a port is a whole number from 0 to 65535/);
  });

  test('--help teaches, with examples', () => {
    const r = runCli(['web', '--help']);
    expect(r.stdout).toContain('npm run web && typevisor web');
    expect(r.stdout).toContain('#src=BASE64URL&autorun');
  });
});
