/**
 * The playground in a real browser (headless chromium): the built page
 * assembles and runs programs from its editor, steps and shows registers,
 * puts a diagnostic on a broken line, boots two VMs, runs the migration lab —
 * and a program gives the same output and instruction count in the page as
 * `typevisor run`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { assemble } from '../../isa/asm/index.js';
import { hex8 } from '../../isa/hex.js';
import { ABI_NAMES } from '../../isa/registers.js';
import { ProcessVM } from '../../vm/process/index.js';
import { CLI_MAIN } from '../helpers/cli.js';
import { base64url, buildPage, CHROMIUM, CHROMIUM_ARGS, HAVE_CHROMIUM, launch, PAGE_URL, REPO, WHY_SKIPPED } from './browser.js';

if (!HAVE_CHROMIUM) console.warn(WHY_SKIPPED);

interface CliRun {
  readonly output: string;
  readonly stats: { readonly instructions: number };
}

function cliRun(file: string): CliRun {
  return JSON.parse(execFileSync(process.execPath, [CLI_MAIN, 'run', file, '--json'], { encoding: 'utf8' })) as CliRun;
}

let browser: Browser;
let page: Page;
const errors: string[] = [];

async function openPage(fragment = ''): Promise<Page> {
  const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  p.setDefaultTimeout(120_000);
  p.on('pageerror', (e) => errors.push(e.message));
  await p.goto(`${PAGE_URL}${fragment}`);
  return p;
}

/** Click Run and wait for the program to end; the console's text. */
async function runInPage(p: Page): Promise<string> {
  await p.click('#run');
  await p.waitForFunction(() => /the program ended|does not assemble/.test(document.getElementById('status')!.textContent ?? ''));
  return (await p.textContent('#console')) ?? '';
}

const stat = async (p: Page, name: string): Promise<string> => (await p.textContent(`[data-stat="${name}"]`)) ?? '';

// Generous bounds: on a loaded machine (the whole suite on two cores) a browser is slow to start and to run.
describe.skipIf(!HAVE_CHROMIUM)('the playground in headless chromium', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    buildPage();
    browser = await launch();
    page = await openPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  test.each(['hello', 'fib'])('%s.s, picked from the menu and run from the editor, prints what typevisor run prints, in as many instructions', async (name) => {
    await page.selectOption('#example', name);
    const text = await runInPage(page);
    const cli = cliRun(join(REPO, 'guests', 'programs', `${name}.s`));
    expect(text).toBe(cli.output);
    expect(await stat(page, 'instructions')).toBe(String(cli.stats.instructions));
    expect(await stat(page, 'state')).toBe('exit status 0');
  });

  test('three steps (F10) show the registers the process VM has after three instructions, the changed ones highlighted', async () => {
    await page.selectOption('#example', 'fib');
    await page.click('#reset');
    for (let i = 0; i < 3; i++) await page.keyboard.press('F10');
    expect(await stat(page, 'instructions')).toBe('3');
    const file = join(REPO, 'guests', 'programs', 'fib.s');
    const r = assemble(readFileSync(file, 'utf8'), { filename: file });
    if (!r.ok) throw new Error('fib.s does not assemble');
    const vm = new ProcessVM(r.image, { stdout: () => {}, stdin: () => new Uint8Array(0) });
    vm.step(2);
    const before = Int32Array.from(vm.machine.cpu.regs);
    vm.step(1);
    for (let i = 0; i < 16; i++) {
      const cell = page.locator(`td[data-reg="${ABI_NAMES[i]!}"]`);
      expect(await cell.textContent()).toBe(hex8(vm.machine.cpu.regs[i]!));
      const changed = await cell.evaluate((td) => td.parentElement!.classList.contains('changed'));
      expect(changed).toBe(vm.machine.cpu.regs[i] !== before[i]);
    }
    expect(await page.textContent('td[data-reg="pc"]')).toBe(hex8(vm.machine.cpu.pc));
    // The current instruction is marked in the disassembly, and a click there sets a breakpoint.
    const current = page.locator('.dis-row[aria-current="true"]');
    expect(await current.getAttribute('data-addr')).toBe(String(vm.machine.cpu.pc >>> 0));
    vm.close();
  });

  test('a program that faults gets the report typevisor run prints, and the page goes on', async () => {
    await page.selectOption('#example', 'fault-null');
    const text = await runInPage(page);
    const r = spawnSync(process.execPath, [CLI_MAIN, 'run', join(REPO, 'guests', 'programs', 'fault-null.s')], { encoding: 'utf8' });
    expect(r.status).toBe(134);
    expect(text).toBe(r.stdout + r.stderr);
    expect(await stat(page, 'state')).toMatch(/^load-fault at 0x/);
  });

  test('an endless loop runs without freezing the page, and Esc stops it', async () => {
    await page.locator('#source').fill('_start: addi t0, t0, 1\n        j    _start\n');
    await page.click('#run');
    await page.waitForFunction(() => Number(document.querySelector('[data-stat="instructions"]')?.textContent) > 3_000_000);
    await page.keyboard.press('Escape');
    await page.waitForFunction(() => /^stopped at/.test(document.getElementById('status')!.textContent ?? ''));
    expect(await stat(page, 'state')).toBe('stopped');
  });

  test('a breakpoint set by clicking a disassembly line stops Continue there', async () => {
    await page.selectOption('#example', 'fib');
    await page.click('#reset');
    const rows = await page.locator('.dis-row').evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-current') === 'true'));
    const target = page.locator('.dis-row').nth(rows.indexOf(true) + 3); // three instructions on
    const addr = Number(await target.getAttribute('data-addr'));
    await target.click();
    expect(await page.locator(`.dis-row[data-addr="${addr}"]`).getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.press('F8');
    await page.waitForFunction(() => /breakpoint/.test(document.getElementById('status')!.textContent ?? ''));
    expect(await page.textContent('td[data-reg="pc"]')).toBe(hex8(addr));
    await page.locator(`.dis-row[data-addr="${addr}"]`).click(); // cleared again
  });

  test('a broken line gets its diagnostic on that line as you type, and nothing runs', async () => {
    await page.selectOption('#example', 'hello');
    const source = page.locator('#source');
    const text = (await source.inputValue()).replace('_start:\n', '_start:\n        ad   a0, a0, a1\n');
    await source.fill(text);
    const line = text.split('\n').findIndex((l) => l.includes('ad   a0')) + 1;
    await page.waitForSelector('.diag-note.diag-error');
    expect(await page.textContent('.diag-note.diag-error')).toContain("unknown instruction 'ad'; did you mean 'add'?");
    // It is drawn on that line of the overlay, under the mnemonic.
    const overlayLine = ((await page.innerHTML('#highlight')).split('\n')[line - 1]) ?? '';
    expect(overlayLine).toContain('tk-error');
    expect(overlayLine).toContain('unknown instruction');
    expect(await page.textContent('#diagnostics')).toContain(`line ${line}:9`);
    await page.click('#run');
    expect(await page.textContent('#status')).toMatch(/does not assemble/);
  });

  test('two VMs boot the kernel under the native monitor, each with its console and counters', async () => {
    await page.click('#tab-kernel');
    await page.fill('#boot-vms', '2');
    await page.click('#boot');
    await page.waitForFunction(() => /done in/.test(document.getElementById('boot-status')!.textContent ?? ''), null, { timeout: 90_000 });
    const consoles = await page.locator('.vm-console').allTextContents();
    expect(consoles).toHaveLength(2);
    for (const c of consoles) expect(c).toContain('Hello, world!');
    expect(await page.textContent('#boot-status')).toContain('vm1 powered off, status 0; vm2 powered off, status 0');
    const counters = await page.locator('.vm-card').first().locator('dd').allTextContents();
    expect(Number(counters[1]!.replace(/,/g, ''))).toBeGreaterThan(0); // traps to the monitor
    await page.click('#tab-program');
  });

  test("the migration lab runs the four strategies: pre-copy's downtime is below stop-and-copy's", async () => {
    await page.click('#tab-lab');
    await page.waitForSelector('#lab-table', { timeout: 90_000 });
    const head = await page.locator('#lab-table thead th').allTextContents();
    expect(head.slice(1)).toEqual(['stop-and-copy', 'pre-copy', 'post-copy', 'hybrid']);
    const downtime = (await page.locator('#lab-table tr[data-row^="downtime"] td').allTextContents()).map(Number);
    expect(downtime[1]).toBeLessThan(downtime[0]!);
    // Every number is the one typevisor migrate-compare prints for the same workload, memory, link and moment.
    const cli = execFileSync(process.execPath, [CLI_MAIN, 'migrate-compare', '--workload', 'writes', '--mem', '4M', '--link', '1000MB/s,0.1ms', '--at', '1000000', '--no-verify', '--no-html'], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const cliRows = new Map(cli.split('\n').map((l) => l.trim().split(/\s{2,}/)).filter((cells) => cells.length === 5).map((cells) => [cells[0]!, cells.slice(1)]));
    const pageRows = await page.locator('#lab-table tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-row')!, [...tr.querySelectorAll('td')].map((td) => td.textContent!)] as const));
    const compared = pageRows.filter(([label]) => cliRows.has(label) && label !== 'checked');
    expect(compared.length).toBeGreaterThan(15);
    for (const [label, cells] of compared) expect(cells, label).toEqual(cliRows.get(label));
    // The report with its charts, as migrate-compare writes it.
    const report = page.frameLocator('#lab-report');
    expect(await report.locator('svg').count()).toBeGreaterThan(0);
    // Moving the bandwidth slider runs them again, on the slower link.
    const before = await page.textContent('#lab-table caption');
    await page.locator('#lab-bw').fill('3');
    await page.waitForFunction((b) => document.querySelector('#lab-table caption')?.textContent !== b, before, { timeout: 90_000 });
    expect(await page.textContent('#lab-table caption')).toContain('100');
    await page.click('#tab-program');
  });

  test('Share makes a link that opens the program and runs it', async () => {
    await page.selectOption('#example', 'hello');
    await page.click('#share');
    const link = await page.inputValue('#share-link');
    expect(link).toContain('#src=');
    expect(link).toContain('&autorun');
    const other = await openPage(link.slice(link.indexOf('#')));
    await other.waitForFunction(() => /the program ended/.test(document.getElementById('status')!.textContent ?? ''));
    expect(await other.textContent('#console')).toBe('Hello, world!\n');
    await other.close();
    // A long program goes deflated, under z=, and comes back the same.
    await page.selectOption('#example', 'fib');
    await page.click('#share');
    await page.waitForFunction(() => (document.getElementById('share-link') as HTMLInputElement).value.includes('#z='));
    const zLink = await page.inputValue('#share-link');
    expect(zLink.length).toBeLessThan(base64url(readFileSync(join(REPO, 'guests', 'programs', 'fib.s'), 'utf8')).length);
    const third = await openPage(zLink.slice(zLink.indexOf('#')));
    await third.waitForFunction(() => /the program ended/.test(document.getElementById('status')!.textContent ?? ''));
    expect(await third.inputValue('#source')).toBe(readFileSync(join(REPO, 'guests', 'programs', 'fib.s'), 'utf8'));
    expect(await third.textContent('#console')).toBe(cliRun(join(REPO, 'guests', 'programs', 'fib.s')).output);
    await third.close();
  });

  test('any program of prints and loops gives the same output and instruction count in the page as typevisor run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'typevisor-web-'));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.stringMatching(/^[ -~]{0,12}$/).filter((s) => !s.includes('"') && !s.includes('\\')), { minLength: 1, maxLength: 4 }), fc.integer({ min: 0, max: 300 }), async (lines, loops) => {
          const src = program(lines, loops);
          const file = join(dir, 'p.s');
          writeFileSync(file, src);
          const cli = cliRun(file);
          const p = await openPage(`#src=${base64url(src)}&autorun`);
          try {
            await p.waitForFunction(() => /the program ended/.test(document.getElementById('status')!.textContent ?? ''));
            expect(await p.textContent('#console')).toBe(cli.output);
            expect(await stat(p, 'instructions')).toBe(String(cli.stats.instructions));
          } finally {
            await p.close();
          }
        }),
        { numRuns: 4 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('chromium --dump-dom of #src=…&autorun holds the program\'s console output', () => {
    const src = program(['dumped', 'from the page'], 7);
    const r = spawnSync(CHROMIUM, [...CHROMIUM_ARGS, '--headless', '--dump-dom', '--virtual-time-budget=10000', `${PAGE_URL}#src=${base64url(src)}&autorun`], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toMatch(/<pre id="console"[^>]*><span class="con-out">dumped\nfrom the page\n<\/span><\/pre>/);
  });

  test('the page at laptop width: a screenshot for the README, no errors in the page', async () => {
    const p = await openPage('#example=fib');
    await p.setViewportSize({ width: 1280, height: 800 });
    await p.click('#run');
    await p.waitForFunction(() => /the program ended/.test(document.getElementById('status')!.textContent ?? ''));
    await p.fill('#mem-addr', 'calls');
    // Nothing is cut off sideways at this width.
    expect(await p.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    const png = await p.screenshot();
    expect([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
    writeFileSync(join(REPO, 'dist', 'web', 'playground.png'), png);
    // UPDATE_SCREENSHOT=1 refreshes the README's copy (it differs from run to run only in wall-time figures).
    if (process.env['UPDATE_SCREENSHOT'] === '1') copyFileSync(join(REPO, 'dist', 'web', 'playground.png'), join(REPO, 'web', 'playground.png'));
    await p.close();
    expect(errors).toEqual([]);
  });
});

/** A program that prints each line (via sys.inc's write) and then spins `loops` times before exit(0). */
function program(lines: readonly string[], loops: number): string {
  const data = lines.map((l, i) => `m${i}: .ascii "${l}\\n"\nm${i}_len = . - m${i}`).join('\n');
  const prints = lines.map((_, i) => `        li   t0, SYS_WRITE\n        li   a0, STDOUT\n        la   a1, m${i}\n        li   a2, m${i}_len\n        syscall`).join('\n');
  return `        .include "${join(REPO, 'guests', 'include', 'sys.inc')}"\n_start:\n${prints}\n        li   t1, ${loops}\n.spin:  beq  t1, zero, .done\n        addi t1, t1, -1\n        j    .spin\n.done:  li   t0, SYS_EXIT\n        li   a0, 0\n        syscall\n\n        .data\n${data}\n`;
}
