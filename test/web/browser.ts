/**
 * The browser the playground tests drive: Debian's chromium (installed by
 * .ci/run when missing), launched through playwright-core with that
 * executable — no browser is ever downloaded. Where it cannot be had, the
 * tests say so and are skipped.
 */
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env['TYPEVISOR_CHROMIUM'] ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const WHY_SKIPPED = `browser tests skipped: no chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)`;

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const PAGE_FILE = fileURLToPath(new URL('../../dist/web/index.html', import.meta.url));
export const PAGE_URL = pathToFileURL(PAGE_FILE).href;

/** Build the page from the current sources (esbuild: about a second). */
export function buildPage(): void {
  execFileSync(process.execPath, ['web/build.mjs'], { cwd: REPO, stdio: 'pipe' });
}

/** Root in a container has no user namespace for chromium's sandbox. */
const SANDBOX_ARGS = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
export const CHROMIUM_ARGS = [...SANDBOX_ARGS, '--disable-gpu', '--disable-dev-shm-usage'];

export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export const base64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
