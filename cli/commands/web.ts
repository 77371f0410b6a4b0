/**
 * `typevisor web`: serve the playground (dist/web/index.html, built by
 * `npm run web`) on 127.0.0.1 and print its URL. The page is one
 * self-contained file that needs nothing else — opening it from file:// works
 * as well; the server is for a browser that prefers http, or a URL to share
 * on this machine.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { fail } from '../load.js';

/** The built page, as installed beside this command (dist/cli/commands → dist/web). */
const PAGE = fileURLToPath(new URL('../../web/index.html', import.meta.url));

interface WebOptions {
  readonly port: string;
}

export function registerWeb(program: Command): void {
  program
    .command('web')
    .description('serve the browser playground (editor, debugger views, VMs, migration lab) on 127.0.0.1')
    .option('--port <n>', 'TCP port on 127.0.0.1 (0: any free one)', '8080')
    .addHelpText(
      'after',
      `
The playground runs typevisor in the page: write and run programs with the
registers, disassembly, memory and page-table walk in view; boot the guest
kernel bare or as VMs under the native monitor; run the four migration
strategies on a simulated link and move the sliders. It is one file, built by
\`npm run web\` into dist/web/index.html; it works opened from file:// too and
makes no network requests.

A link can carry a program: index.html#src=BASE64URL&autorun opens the page
with that source in the editor and runs it (the Share button makes one).

Examples:
  npm run web && typevisor web
  typevisor web --port 9000
  chromium --headless --dump-dom --virtual-time-budget=10000 "file://$PWD/dist/web/index.html#example=fib&autorun"`,
    )
    .action((opts: WebOptions) => serveWeb(opts));
}

function serveWeb(opts: WebOptions): void {
  const port = /^\d{1,5}$/.test(opts.port) ? Number(opts.port) : NaN;
  if (!(port <= 65535)) return fail(`--port ${JSON.stringify(opts.port)}: a port is a whole number from 0 to 65535 (0: any free one)`);
  let page: Buffer;
  try {
    page = readFileSync(PAGE);
  } catch {
    return fail(`the playground is not built (${PAGE} is missing): run \`npm run web\` first`);
  }
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split(/[?#]/)[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path !== '/' && path !== '/index.html') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the playground is at /\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': page.length, 'cache-control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : page);
  });
  server.on('error', (e: NodeJS.ErrnoException) => fail(e.code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is in use: try --port 0 (any free one)` : `cannot serve: ${e.message}`));
  server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    const actual = typeof address === 'object' && address ? address.port : port;
    process.stdout.write(`typevisor playground: http://127.0.0.1:${actual}/\n(Ctrl-C stops it)\n`);
  });
  const stop = (): void => {
    server.close();
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
