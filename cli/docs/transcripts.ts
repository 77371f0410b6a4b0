/**
 * The README's console transcripts, produced by the real commands.
 *
 *   npm run docs                          rewrite every marked transcript
 *   npm run docs:check [-- --all]          exit 1 if one no longer matches
 *
 * Markers (HTML comments, invisible on GitHub), each on the line right before
 * a fenced block:
 *
 *   <!-- file: hello.s -->
 *   ```asm            the block's text is written to hello.s in the scratch
 *   …                 folder before any command runs
 *   ```
 *
 *   <!-- transcript: typevisor run hello.s --stats -->
 *   ```console        replaced by "$ COMMAND" and what the command printed
 *   ```               (stdout and stderr, interleaved as written)
 *
 *   <!-- transcript: typevisor boot guests/kernel/kernel.s (lines 1-12, last 4) -->
 *                     only those lines of the output; "…" stands for each gap.
 *                     Items: N, A-B, last N.
 *
 *   <!-- transcript: typevisor migrate web --to 127.0.0.1:7481 (vary: round, total) -->
 *                     options, each in parentheses after the command (below).
 *
 *   <!-- session (vary: pid) -->
 *   ```console        a block of several commands: its "$ " lines are the
 *   $ typevisor …     commands, run in order, each followed by what it
 *   …                 printed. Two kinds of line are not run as written:
 *   ```                 `$ typevisor serve ARGS &` starts a daemon with those
 *                       ARGS but on a free port (its --listen, by default
 *                       7480, stands for it as in `daemons:`) and a state
 *                       folder in the scratch folder unless ARGS name one;
 *                       it shows what the daemon printed up to its
 *                       listening line, and `%1`, `%2` in later commands
 *                       are the pids of the section's first, second such
 *                       daemon (as a shell's jobs: `kill -9 %1`).
 *                     `$ export A=…` is evaluated by sh and lasts to the
 *                       next daemons marker, as in one shell.
 *
 *   Options (a transcript's, or a session's for each of its commands):
 *     (lines 1-12, last 4)        only those output lines; "…" for each gap
 *     (vary: LABEL, LABEL)        what differs from run to run, masked by --check:
 *                                 a LABEL in capitals is a table column (the
 *                                 number under it, in each row below the header
 *                                 that names it); any other is a field (on a
 *                                 line containing it, every number or "—" after it, with
 *                                 its unit of bytes; 0x numbers and hex runs of
 *                                 6+ digits too). Masked lines that repeat (one
 *                                 per pre-copy round) count once, and so do
 *                                 masked numbers in a row ("rounds 1024 129 30*").
 *     (ctrl-c after: TEXT)        once a line containing TEXT has appeared,
 *                                 SIGINT to the command's process group, as a
 *                                 terminal's Ctrl-C; "^C" shows where (drive.ts)
 *     (kill NAME after: TEXT)     SIGKILL to daemon NAME (A, B…, or %1, %2…)
 *     (type: A | B)               type those lines on the command's input, each
 *                                 once the answer to the last has come, shown
 *                                 where typed (a terminal echoes them), then
 *                                 Ctrl-D (drive.ts)
 *     (background NAME until: TEXT)  a second terminal: the command is left
 *                                 running; the block shows its output up to the
 *                                 first line containing TEXT
 *     (slow)                      the block and the rest of its daemon section
 *                                 run only with --all (--check alone, as the
 *                                 test runs it, leaves them as they are)
 *
 *   <!-- output: NAME (vary: …) -->
 *   ```console        the rest of background terminal NAME's output, once its
 *   ```               command has ended (a block of output only).
 *                     `(ctrl-c after: TEXT)` ends it: once a line containing
 *                     TEXT has appeared, Ctrl-C to that terminal ("^C" where).
 *
 *   <!-- ports: 7000 -->
 *                     a line of its own: from here on 127.0.0.1:7000 (and
 *                     "127.0.0.1 7000", as nc takes it, and "--port 7000", as
 *                     `typevisor web` does) stands for a free port.
 *
 *   <!-- etcd: 2379 -->
 *                     a line of its own: a throwaway etcd (etcd-server's
 *                     binary; an error if it is missing) on free ports, its
 *                     data in the scratch folder, for the blocks after it:
 *                     127.0.0.1:2379 stands for its client address, as a
 *                     daemon's does. It starts before the first of them that
 *                     runs (a section left to --all needs none) and stops at
 *                     `<!-- etcd: stop -->` or at the end of the README.
 *
 *   <!-- run: sh test/fixtures/tls/make-certs.sh -->
 *                     a line of its own: run the command in the scratch folder,
 *                     show nothing (setup a reader does in their own way:
 *                     certificates); it must succeed.
 *
 *   <!-- daemons: A=7480 B=7481 -->
 *                     a line of its own: before the next transcript, start one
 *                     `typevisor serve` per name (quiet, a fixed token, its
 *                     --state-dir in the scratch folder), each on a free port;
 *                     the port written stands for it. In the commands that
 *                     follow, `127.0.0.1:7481` means B's real address, the first
 *                     daemon is the default one (TYPEVISOR_DAEMON) and
 *                     TYPEVISOR_TOKEN is set; in their output each real address
 *                     is written back as the README's. They stop at
 *                     `<!-- daemons: stop -->` or at the end of the README.
 *                     Free ports keep two runs (and a daemon of yours on 7480)
 *                     from colliding. To wait for a VM to end, run
 *                     `typevisor vm console NAME --no-input >/dev/null`.
 *
 * Commands run with `sh` in order, all in one scratch folder that holds the
 * `file:` blocks and links to the repository's guests/ and test/fixtures/, with
 * `typevisor` on PATH meaning this checkout's dist/cli/main.js, NO_COLOR=1 and
 * no terminal. So `typevisor asm hello.s` in one transcript leaves hello.img
 * for the next. Markers are free to add anywhere in the README: one line each.
 *
 * --check compares after a normalisation that forgives what legitimately
 * varies from run to run and machine to machine, and nothing else:
 *   - a time (`1.06 ms`, `3.2 s`) → `#time`, a rate (`500 KB/s`, `32 MB/s`) →
 *     `#rate`, and the number after "MIPS" or before it ("12.5 MIPS") → `#`
 *   - a port after 127.0.0.1: or localhost: → `PORT`, and a time of day
 *     (`03:02:36`, a log line's or a restart's) → `#clock`
 *   - runs of spaces → one space (columns widen with those numbers)
 *   - and what the block's own (vary: …) names, and nothing more: elsewhere
 *     instruction counts, virtual times, addresses and every word stay exact.
 * The README keeps the numbers of the last real generation (`npm run docs`).
 * The scratch folder's random path is shown as /tmp/tour.
 *
 * No console block of the README is typed by hand: a server that runs until
 * Ctrl-C (`typevisor web`), a conversation over several terminals (a client
 * and an attached console while a VM moves), a fleet on etcd and wall-time
 * comparisons are all run here, with what varies declared at each block.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { README_TOKEN, alive, freePort, sleep, startDaemons, startServe, stopDaemons, toReal, toShown, type Daemon } from './daemons.js';
import { startEtcd, stopEtcd, type Etcd } from './etcd.js';
import type { DriveRequest } from './drive.js';

/** The repository root: the nearest folder above this module with a package.json (from cli/docs/ or dist/cli/docs/). */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('no package.json above the transcripts script');
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRoot();
const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js');
/** The scratch folder as transcripts show it: its real name is random. */
export const SHOWN_SCRATCH = '/tmp/tour';
/** The driver for blocks with events (Ctrl-C, a killed daemon): it needs an event loop, so it runs as a child. */
const DRIVE = join(REPO_ROOT, 'dist', 'cli', 'docs', 'drive.js');

export interface Block {
  readonly kind: 'file' | 'transcript' | 'session' | 'daemons' | 'run' | 'output' | 'ports' | 'etcd';
  /** The file name, or the command (a session: its commands are the block's `$ ` lines). */
  readonly what: string;
  /** Which output lines to show (transcripts); undefined: all. */
  readonly keep: readonly KeepItem[] | undefined;
  /** What varies from run to run, by label (see `vary` in the header); --check masks it. */
  readonly vary?: readonly string[];
  /** What happens while the commands run (Ctrl-C, a daemon killed), and when. */
  readonly events?: readonly BlockEvent[];
  /** `(slow)`: it and the rest of its daemon section run only with --all. */
  readonly slow?: boolean;
  /** `(type: A | B)`: lines typed on the command's input. */
  readonly input?: readonly string[] | undefined;
  /** `(background NAME until: TEXT)`: a second terminal's command, left running. */
  readonly background?: { readonly name: string; readonly until: string } | undefined;
  /** Daemons: name → the port the README writes for it; empty: stop them. */
  readonly daemons?: ReadonlyMap<string, number>;
  /** Line indices (0-based) of the opening and closing fence (daemons: the marker's line, twice). */
  readonly open: number;
  readonly close: number;
  /** The block's text as the README has it now. */
  readonly body: string;
}

/** `(ctrl-c after: TEXT)` or `(kill NAME after: TEXT)`: NAME is one of the section's daemons. */
export interface BlockEvent {
  readonly action: 'ctrl-c' | 'kill';
  readonly daemon?: string;
  readonly after: string;
}

export interface Options {
  readonly what: string;
  readonly keep: KeepItem[] | undefined;
  readonly vary: string[];
  readonly events: BlockEvent[];
  readonly slow: boolean;
  readonly input: string[] | undefined;
  readonly background: { readonly name: string; readonly until: string } | undefined;
}

export type KeepItem = { readonly from: number; readonly to: number } | { readonly last: number };

const MARKER = /^<!-- (file|transcript): (.+?) -->$/;
const SESSION = /^<!-- session((?: \([^()]+\))*) -->$/;
const DAEMONS = /^<!-- daemons: (.+?) -->$/;
const RUN = /^<!-- run: (.+?) -->$/;
const OUTPUT = /^<!-- output: (\w+)((?: \([^()]+\))*) -->$/;
const PORTS = /^<!-- ports: ([\d ]+) -->$/;
const ETCD = /^<!-- etcd: (\d{1,5}|stop) -->$/;

/** `A=7480 B=7481` → name → port; `stop` → empty; throws on anything else. */
export function parseDaemons(text: string): Map<string, number> {
  const out = new Map<string, number>();
  if (text.trim() === 'stop') return out;
  for (const item of text.trim().split(/\s+/)) {
    const m = /^([A-Za-z]\w*)=(\d{1,5})$/.exec(item);
    if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`cannot read '${item}' in a daemons marker: give NAME=PORT ... or stop`);
    out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** `1-12, 30, last 4` → items; throws on anything else. */
export function parseKeep(text: string): KeepItem[] {
  return text.split(',').map((raw) => {
    const s = raw.trim();
    let m = /^last (\d+)$/.exec(s);
    if (m) return { last: Number(m[1]) };
    m = /^(\d+)(?:-(\d+))?$/.exec(s);
    if (m) return { from: Number(m[1]), to: Number(m[2] ?? m[1]) };
    throw new Error(`cannot read '${s}' in (lines …): give N, A-B or last N`);
  });
}

/**
 * A command's trailing option groups, each in parentheses: `(lines …)`,
 * `(vary: a, b)`, `(ctrl-c after: TEXT)`, `(kill NAME after: TEXT)`; throws on
 * a group that starts like an option but is not one.
 */
export function parseOptions(text: string): Options {
  let what = text;
  let keep: KeepItem[] | undefined;
  const vary: string[] = [];
  const events: BlockEvent[] = [];
  let slow = false;
  let input: string[] | undefined;
  let background: Options['background'];
  for (;;) {
    const g = /^(.*?)\s*\((lines |vary: |ctrl-c |kill |slow|type: |background )([^()]*)\)$/.exec(what);
    if (!g) break;
    what = g[1]!;
    const [head, rest] = [g[2]!, g[3]!];
    if (head === 'slow') {
      if (rest !== '') throw new Error(`cannot read '(slow${rest})': (slow) takes nothing`);
      slow = true;
    } else if (head === 'type: ') input = rest.split(' | ');
    else if (head === 'background ') {
      const m = /^(\w+) until: (.+)$/.exec(rest);
      if (!m) throw new Error(`cannot read '(background ${rest})': give (background NAME until: TEXT)`);
      background = { name: m[1]!, until: m[2]! };
    } else if (head === 'lines ') keep = parseKeep(rest);
    else if (head === 'vary: ') vary.unshift(...rest.split(',').map((v) => v.trim()).filter((v) => v !== ''));
    else {
      const m = head === 'ctrl-c ' ? /^after: (.+)$/.exec(rest) : /^(%\d+|[A-Za-z]\w*) after: (.+)$/.exec(rest);
      if (!m) throw new Error(`cannot read '(${head}${rest})': give (ctrl-c after: TEXT) or (kill NAME after: TEXT)`);
      events.unshift(head === 'ctrl-c ' ? { action: 'ctrl-c', after: m[1]! } : { action: 'kill', daemon: m[1]!, after: m[2]! });
    }
  }
  return { what, keep, vary, events, slow, input, background };
}

/** Every marked block of a Markdown text. */
export function findBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  lines.forEach((line, i) => {
    const d = DAEMONS.exec(line);
    if (d) {
      blocks.push({ kind: 'daemons', what: d[1]!, keep: undefined, daemons: parseDaemons(d[1]!), open: i, close: i, body: '' });
      return;
    }
    const em = ETCD.exec(line);
    if (em) {
      blocks.push({ kind: 'etcd', what: em[1]!, keep: undefined, open: i, close: i, body: '' });
      return;
    }
    const pm = PORTS.exec(line);
    if (pm) {
      blocks.push({ kind: 'ports', what: pm[1]!.trim(), keep: undefined, open: i, close: i, body: '' });
      return;
    }
    const om = OUTPUT.exec(line);
    if (om) {
      if (!/^```/.test(lines[i + 1] ?? '')) throw new Error(`README line ${i + 1}: an output marker must stand right before a fenced block`);
      const close = lines.findIndex((l, k) => k > i + 1 && l === '```');
      if (close < 0) throw new Error(`README line ${i + 2}: the fenced block is never closed`);
      const o = parseOptions(`output${om[2]!}`);
      if (o.events.some((e) => e.action !== 'ctrl-c')) throw new Error(`README line ${i + 1}: an output block takes (ctrl-c after: TEXT), not (kill …): kill a daemon in the block that runs while it is up`);
      blocks.push({ kind: 'output', what: om[1]!, keep: undefined, vary: o.vary, events: o.events, slow: o.slow, open: i + 1, close, body: lines.slice(i + 2, close).join('\n') });
      return;
    }
    const r = RUN.exec(line);
    if (r) {
      blocks.push({ kind: 'run', what: r[1]!, keep: undefined, open: i, close: i, body: '' });
      return;
    }
    const sm = SESSION.exec(line);
    const m = MARKER.exec(line);
    if (!m && !sm) return;
    const kind: Block['kind'] = sm ? 'session' : (m![1] as 'file' | 'transcript');
    if (!/^```/.test(lines[i + 1] ?? '')) throw new Error(`README line ${i + 1}: a ${kind} marker must stand right before a fenced block`);
    const close = lines.findIndex((l, k) => k > i + 1 && l === '```');
    if (close < 0) throw new Error(`README line ${i + 2}: the fenced block is never closed`);
    const body = lines.slice(i + 2, close).join('\n');
    if (kind === 'file') {
      blocks.push({ kind, what: m![2]!, keep: undefined, open: i + 1, close, body });
      return;
    }
    const o = parseOptions(sm ? `session${sm[1]!}` : m![2]!);
    if (sm && !body.split('\n').some((l) => l.startsWith('$ '))) throw new Error(`README line ${i + 1}: a session block needs its commands, each on a line starting "$ "`);
    if (sm && o.keep) throw new Error(`README line ${i + 1}: (lines …) selects one command's output: give that command a transcript marker of its own`);
    blocks.push({ kind, what: sm ? 'session' : o.what, keep: o.keep, vary: o.vary, events: o.events, slow: o.slow, input: o.input, background: o.background, open: i + 1, close, body });
  });
  return blocks;
}

/** The output lines to show: all of them, or the kept ones with "…" for each gap. */
export function keepLines(lines: readonly string[], keep: readonly KeepItem[] | undefined): string[] {
  if (!keep) return [...lines];
  const wanted = new Set<number>();
  for (const item of keep) {
    if ('last' in item) for (let i = Math.max(0, lines.length - item.last); i < lines.length; i++) wanted.add(i);
    else for (let i = item.from - 1; i < Math.min(item.to, lines.length); i++) wanted.add(i);
  }
  const out: string[] = [];
  let gap = false;
  lines.forEach((l, i) => {
    if (wanted.has(i)) {
      if (gap) out.push('…');
      gap = false;
      out.push(l);
    } else gap = true;
  });
  if (gap) out.push('…');
  return out;
}

/** What --check forgives (see the top of this file), and the block's declared `vary` labels. */
export function normalise(text: string, vary: readonly string[] = []): string {
  const lines = maskVarying(text.split('\n'), vary).map((l) =>
    l
      .replace(/\d+(?:\.\d+)?\s*(?:ms|s|µs)(?![\w/])/g, '#time')
      .replace(/\d+(?:\.\d+)?\s*[KMG]?B\/s\b/g, '#rate')
      .replace(/\d+(?:\.\d+)?(\s*)MIPS\b/g, '#$1MIPS')
      .replace(/\bMIPS(\s+)\d+(?:\.\d+)?/g, 'MIPS$1#')
      .replace(/\b(127\.0\.0\.1|localhost):\d+/g, '$1:PORT')
      .replace(/\b\d\d:\d\d:\d\d(?:\.\d+)?\b/g, '#clock')
      .replace(/#(?:\s+#)+/g, '#')
      .replace(/ {2,}/g, ' ')
      .trimEnd(),
  );
  // A varying count can vary how many lines say it (one per pre-copy round):
  // once masked, those lines are alike, and a run of them counts as one.
  return (vary.length === 0 ? lines : lines.filter((l, i) => i === 0 || l !== lines[i - 1])).join('\n');
}

/**
 * A number: digits, with . or , between groups, not the tail of a word nor of
 * a decimal, with its unit of bytes if any (2.1 MiB, 0 B); a 0x number; or a
 * run of 6+ hex digits (a hash, a random name: `temp.7c2087cf.disk`, and
 * `temp.81212416.disk` when the random name has no letter). A run of hex
 * letters alone is a word ("deface"), unless it stands between two dots as a
 * random name does (`temp.aaaaaaaa.disk`: one name in 16⁸/6⁸, but it happens).
 */
const NUMBER = /\b0x[0-9a-f]+\b|\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{6,}\b|(?<=\.)[a-f]{6,}(?=\.)|(?<!\w|\d\.)\d+(?:[.,]\d+)*(?: ?[KMG]i?B\b| ?B\b)?/g;

/**
 * `vary` labels: a label in capitals is a table column (in each row below
 * the header that names it, until a blank line or the next "$ " line, the
 * number under it is masked); any other label is a field (on a line that
 * contains it, every number after it is masked, and a "—" for none).
 */
export function maskVarying(lines: readonly string[], vary: readonly string[]): string[] {
  const out = [...lines];
  for (const label of vary) {
    const column = /^[A-Z][A-Z0-9_ -]*$/.test(label);
    let span: [number, number] | undefined;
    out.forEach((line, i) => {
      if (column) {
        const at = new RegExp(`(^|\\s)${label}(\\s|$)`).exec(line);
        if (at && /^[A-Z][A-Z0-9 _/()-]*$/.test(line.trim())) {
          const start = at.index + at[1]!.length;
          span = [start, start + label.length];
          return;
        }
        if (line.trim() === '' || line.startsWith('$ ')) span = undefined;
        if (span) {
          const [from, to] = span;
          out[i] = line.replace(NUMBER, (n, off: number) => (off < to && off + n.length > from ? '#' : n));
        }
        return;
      }
      const at = line.indexOf(label);
      // "—" is a figure the run had none of (no page was dirtied): as varying as the figure.
      if (at >= 0) out[i] = line.slice(0, at + label.length) + line.slice(at + label.length).replace(NUMBER, '#').replace(/—/g, '#');
    });
  }
  return out;
}

/** A scratch folder to run the commands in: the file blocks, links to guests/ and test/fixtures/, and `typevisor` on PATH. */
function scratch(blocks: readonly Block[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tv-readme-'));
  symlinkSync(join(REPO_ROOT, 'guests'), join(dir, 'guests'));
  symlinkSync(join(REPO_ROOT, 'test'), join(dir, 'test'));
  for (const b of blocks) if (b.kind === 'file') writeFileSync(join(dir, b.what), `${b.body}\n`);
  return dir;
}

/** Run one transcript's command; its output, as the block shows it. */
export function runTranscript(
  command: string,
  cwd: string,
  bin: string,
  daemons: readonly Daemon[] = [],
  events: readonly BlockEvent[] = [],
  exported: Readonly<Record<string, string>> = {},
  { maps = [], input }: { maps?: readonly Daemon[]; input?: readonly string[] | undefined } = {},
): string {
  const env = commandEnv(bin, daemons, exported);
  const all = [...daemons, ...maps];
  const real = toReal(command, all);
  const r =
    events.length === 0 && input === undefined
      ? spawnSync('sh', ['-c', `{ ${real}\n} 2>&1`], { cwd, env, encoding: 'utf8', timeout: 120_000 })
      : spawnSync(process.execPath, [DRIVE, JSON.stringify({ ...driveRequest(real, events, daemons), input: input?.map((l) => toReal(l, all)) })], { cwd, env, encoding: 'utf8', timeout: 150_000 });
  if (r.error) throw r.error;
  return shownOutput(r.stdout.replace(/\n$/, ''), all, cwd);
}

/** Output as the README shows it: README addresses for the real ones, /tmp/tour for the scratch folder. */
function shownOutput(text: string, maps: readonly Daemon[], cwd: string): string {
  return toShown(text, maps).split(cwd).join(SHOWN_SCRATCH);
}

/** `<!-- ports: 7000 -->`: each README port stands for a free one, written host:port or, as nc takes it, host port. */
function portMaps(text: string): Daemon[] {
  return text.split(/\s+/).flatMap((p) => {
    const real = freePort();
    return [
      { name: `port ${p}`, pid: 0, shown: `127.0.0.1:${p}`, real: `127.0.0.1:${real}` },
      { name: `port ${p}`, pid: 0, shown: `127.0.0.1 ${p}`, real: `127.0.0.1 ${real}` },
      // `typevisor web --port 8080`: a port on 127.0.0.1 given alone.
      { name: `port ${p}`, pid: 0, shown: `--port ${p}`, real: `--port ${real}` },
    ];
  });
}

/** A second terminal's command: running in the background, its output going to a file. */
interface Terminal {
  readonly pid: number;
  readonly log: string;
  /** How much of the log a block has shown already. */
  shown: number;
}

/** Start a background terminal's command; returns once a line containing `until` is in its output (or it ended, or 60 s). */
function startTerminal(command: string, until: string, name: string, cwd: string, env: NodeJS.ProcessEnv): Terminal {
  const log = join(cwd, `.terminal-${name}.log`);
  const fd = openSync(log, 'w');
  const child = spawn('sh', ['-c', `{ ${command}\n} 2>&1`], { cwd, env, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`terminal ${name} did not start`);
  const t: Terminal = { pid: child.pid, log, shown: 0 };
  for (let waited = 0; waited < 60_000; waited += 20) {
    const text = readFileSync(log, 'utf8');
    const at = text.indexOf(until);
    const eol = at < 0 ? -1 : text.indexOf('\n', at);
    if (eol >= 0) {
      t.shown = eol + 1;
      return t;
    }
    if (!alive(child.pid)) break;
    sleep(20);
  }
  throw new Error(`terminal ${name}: '${command}' printed no line with '${until}':\n${readFileSync(log, 'utf8')}`);
}

/**
 * The rest of a background terminal's output, once its command has ended (at
 * most 120 s, then it is killed). With `ctrlC`, once a line of its output
 * containing that text has appeared, Ctrl-C first: SIGINT to its process
 * group, "^C" shown where pressed, as in the terminal.
 */
function finishTerminal(t: Terminal, ctrlC?: string): string {
  let pressed = -1;
  for (let waited = 0; alive(t.pid) && waited < 120_000; waited += 20) {
    if (ctrlC !== undefined && pressed < 0) {
      const text = readFileSync(t.log, 'utf8');
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      if (complete.slice(t.shown).split('\n').some((l) => l.includes(ctrlC))) {
        pressed = complete.length;
        process.kill(-t.pid, 'SIGINT');
      }
    }
    sleep(20);
  }
  if (alive(t.pid)) process.kill(-t.pid, 'SIGKILL');
  const all = readFileSync(t.log, 'utf8');
  if (ctrlC !== undefined && pressed < 0) throw new Error(`terminal output ended with no line containing '${ctrlC}' to press Ctrl-C after:\n${all.slice(t.shown)}`);
  const text = pressed < 0 ? all.slice(t.shown) : `${all.slice(t.shown, pressed)}^C${all.slice(pressed)}`;
  t.shown = all.length;
  return text.replace(/\n$/, '');
}


/** What every command runs with: `typevisor` on PATH, no colour, the section's daemon and token, and what earlier `export` lines set. */
function commandEnv(bin: string, daemons: readonly Daemon[], exported: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const toDaemons = daemons.length === 0 ? {} : { TYPEVISOR_DAEMON: daemons[0]!.real, TYPEVISOR_TOKEN: README_TOKEN };
  return { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1', FORCE_COLOR: '0', COLUMNS: '80', TYPEVISOR_INCLUDE: '', ...toDaemons, ...exported };
}

/** An `export A=… B=…` line, evaluated by sh in cwd: the values it sets. */
function runExport(command: string, cwd: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const names = [...command.matchAll(/\b([A-Za-z_]\w*)=/g)].map((m) => m[1]!);
  const r = spawnSync('sh', ['-c', `${command}\nprintf '%s\\0' ${names.map((n) => `"$${n}"`).join(' ')}`], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`README: '${command}' failed: ${r.stderr}`);
  const values = r.stdout.split('\0');
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '']));
}

/** `kill -9 %1` as a shell's job control has it: %N is the Nth daemon a session started with `&`. */
function jobsToPids(command: string, jobs: readonly Daemon[]): string {
  return command.replace(/%(\d+)\b/g, (all, n: string) => {
    const d = jobs[Number(n) - 1];
    if (!d) throw new Error(`README: '${command}': no job ${all} (the section started ${jobs.length} with &)`);
    return String(d.pid);
  });
}

/** The block's events as the driver takes them: each daemon named by its pid. */
function driveRequest(command: string, events: readonly BlockEvent[], daemons: readonly Daemon[]): DriveRequest {
  return {
    command,
    timeoutMs: 120_000,
    events: events.map((e) => {
      if (e.action === 'ctrl-c') return { action: 'ctrl-c', after: e.after };
      const d = daemons.find((x) => x.name === e.daemon);
      if (!d) throw new Error(`(kill ${e.daemon} after: …): no daemon ${e.daemon} runs in this section`);
      return { action: 'kill', pid: d.pid, after: e.after };
    }),
  };
}

/** A session block's commands: its "$ " lines, in order. */
export function sessionCommands(body: string): string[] {
  return body.split('\n').filter((l) => l.startsWith('$ ')).map((l) => l.slice(2));
}

export interface Outcome {
  readonly markdown: string;
  /** Transcripts whose output differs beyond the normalisation: the command, and both texts. */
  readonly drifted: readonly { readonly command: string; readonly readme: string; readonly now: string }[];
  /** Blocks not run: (slow) ones and what follows them in their section, without --all. */
  readonly skipped: number;
}

/** Run every transcript of a Markdown text; the text with each replaced by what the command prints now. */
export function regenerate(markdown: string, { all = true }: { all?: boolean } = {}): Outcome {
  const blocks = findBlocks(markdown);
  const dir = scratch(blocks);
  try {
    const bin = mkdtempSync(join(dir, '.bin-'));
    writeFileSync(join(bin, 'typevisor'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
    chmodSync(join(bin, 'typevisor'), 0o755);
    const lines = markdown.split('\n');
    const drifted: { command: string; readme: string; now: string }[] = [];
    // Replace from the end so earlier indices stay valid; run in README order.
    const bodies = new Map<Block, string>();
    let skipped = 0;
    let daemons: Daemon[] = [];
    /** Daemons a session started with `serve … &`, in order (%1, %2); and what `export` lines set. */
    let jobs: Daemon[] = [];
    let exported: Record<string, string> = {};
    let skipping = false;
    /** `<!-- ports: … -->`'s addresses; the background terminals by name. */
    let maps: Daemon[] = [];
    const terminals = new Map<string, Terminal>();
    /** `<!-- etcd: 2379 -->`: the etcd running, or the README port of one to start before the next block that runs. */
    let etcd: Etcd | undefined;
    let etcdWanted: number | undefined;
    try {
      for (const b of blocks) {
        if (b.kind === 'daemons') {
          stopDaemons(daemons);
          daemons = [];
          jobs = [];
          skipping = false;
          exported = {};
          daemons = startDaemons(b.daemons!, dir, CLI);
        }
        if (b.kind === 'ports') maps = [...portMaps(b.what), ...(etcd ? [etcd.map] : [])];
        if (b.kind === 'etcd') {
          if (etcd) maps = maps.filter((m) => m !== etcd!.map);
          stopEtcd(etcd);
          etcd = undefined;
          etcdWanted = b.what === 'stop' ? undefined : Number(b.what);
        }
        if (b.kind === 'run') {
          const r = spawnSync('sh', ['-c', `{ ${b.what}\n} 2>&1`], { cwd: dir, env: commandEnv(bin, daemons, exported), encoding: 'utf8', timeout: 60_000 });
          if (r.status !== 0) throw new Error(`README: <!-- run: ${b.what} --> failed:\n${r.stdout}`);
        }
        if (b.kind !== 'transcript' && b.kind !== 'session' && b.kind !== 'output') continue;
        // Without --all a (slow) block is left as it is, and so is the rest
        // of its daemon section: those blocks may need what it did.
        if (!all && (b.slow || skipping)) {
          skipping = daemons.length > 0;
          skipped++;
          continue;
        }
        // Started for the first block that runs: a section left to --all needs none.
        if (etcdWanted !== undefined) {
          etcd = startEtcd(etcdWanted, dir);
          maps = [...maps, etcd.map];
          etcdWanted = undefined;
        }
        if (b.kind === 'output') {
          const t = terminals.get(b.what);
          if (!t) throw new Error(`README: <!-- output: ${b.what} --> names no background terminal started before it`);
          const body = shownOutput(finishTerminal(t, b.events?.find((e) => e.action === 'ctrl-c')?.after), [...daemons, ...maps], dir);
          bodies.set(b, body);
          if (normalise(body, b.vary) !== normalise(b.body, b.vary)) drifted.push({ command: `(output of ${b.what})`, readme: b.body, now: body });
          continue;
        }
        if (b.background) {
          const env = commandEnv(bin, daemons, exported);
          const t = startTerminal(toReal(b.what, [...daemons, ...maps]), b.background.until, b.background.name, dir, env);
          terminals.set(b.background.name, t);
          const body = [`$ ${b.what}`, shownOutput(readFileSync(t.log, 'utf8').slice(0, t.shown).replace(/\n$/, ''), [...daemons, ...maps], dir)].join('\n');
          bodies.set(b, body);
          if (normalise(body, b.vary) !== normalise(b.body, b.vary)) drifted.push({ command: b.what, readme: b.body, now: body });
          continue;
        }
        const commands = b.kind === 'session' ? sessionCommands(b.body) : [b.what];
        const parts: string[] = [];
        for (const c of commands) {
          parts.push(`$ ${c}`);
          if (/^typevisor serve\b.*&\s*(#.*)?$/.test(c)) {
            const env = commandEnv(bin, daemons, { TYPEVISOR_TOKEN: README_TOKEN, ...exported });
            const { daemon, printed } = startServe(toReal(c, maps), `%${jobs.length + 1}`, dir, CLI, env);
            jobs.push(daemon);
            daemons = [...daemons, daemon];
            parts.push(toShown(printed, [...daemons, ...maps]));
            continue;
          }
          if (/^export\s/.test(c)) {
            exported = { ...exported, ...runExport(toReal(c, [...daemons, ...maps]), dir, commandEnv(bin, daemons, exported)) };
            continue;
          }
          const out = runTranscript(jobsToPids(c, jobs), dir, bin, daemons, b.events, exported, { maps, input: b.input });
          parts.push(...keepLines(out === '' ? [] : out.split('\n'), b.keep));
        }
        const body = parts.join('\n');
        bodies.set(b, body);
        if (normalise(body, b.vary) !== normalise(b.body, b.vary)) drifted.push({ command: commands.join('; '), readme: b.body, now: body });
      }
    } finally {
      stopDaemons(daemons);
      for (const t of terminals.values()) if (alive(t.pid)) process.kill(-t.pid, 'SIGKILL');
      stopEtcd(etcd);
    }
    for (const [b, body] of [...bodies].reverse()) lines.splice(b.open + 1, b.close - b.open - 1, ...body.split('\n'));
    return { markdown: lines.join('\n'), drifted, skipped };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const USAGE = `usage: node dist/cli/docs/transcripts.js [--check [--all]]

  (no option)     run every marked transcript and rewrite README.md with what it printed
                  (npm run docs does this, and the ISA spec and the startup table)
  --check         run the fast ones and exit 1 if one no longer matches (README.md untouched;
                  npm run docs:check)
  --check --all   the slow ones (migrations, disks, snapshots, the fleet) as well
                  (npm run docs:check -- --all)
`;

function main(): void {
  const args = process.argv.slice(2);
  // Anything else (a --help, a typo) gets the usage: a README rewritten by a mistyped
  // option is a surprise nobody asked for.
  const unknown = args.find((a) => a !== '--check' && a !== '--all');
  if (unknown !== undefined || (args.includes('--all') && !args.includes('--check'))) {
    const help = unknown === '--help' || unknown === '-h';
    (help ? process.stdout : process.stderr).write(help ? USAGE : `error: ${unknown === undefined ? '--all goes with --check (without --check every transcript runs anyway)' : `unknown option ${unknown}`}
${USAGE}`);
    if (!help) process.exitCode = 2;
    return;
  }
  const check = args.includes('--check');
  const all = !check || process.argv.includes('--all');
  const readmePath = join(REPO_ROOT, 'README.md');
  const before = readFileSync(readmePath, 'utf8');
  const { markdown, drifted, skipped } = regenerate(before, { all });
  const total = findBlocks(before).filter((b) => b.kind === 'transcript' || b.kind === 'session').length;
  if (check) {
    for (const d of drifted) process.stderr.write(`README transcript drifted: $ ${d.command}\n--- README\n${d.readme}\n--- now\n${d.now}\n\n`);
    if (drifted.length > 0) process.exitCode = 1;
    else process.stdout.write(`README: ${total - skipped} transcripts match${skipped > 0 ? ` (${skipped} slow ones not run: --check --all runs them)` : ''}\n`);
    return;
  }
  writeFileSync(readmePath, markdown);
  process.stdout.write(`README: ${total} transcripts regenerated\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
