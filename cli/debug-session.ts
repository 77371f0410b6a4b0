/**
 * The kernel debugger's REPL: `typevisor boot KERNEL --debug` and
 * `typevisor vm debug NAME` both read command lines here and hand them to a
 * KernelDebugger (or, for a daemon VM, to the daemon).
 *
 * Where commands come from:
 * - `--batch FILE`: the file's lines, then the session ends;
 * - stdin when it is not a terminal (a pipe, a here-document);
 * - a terminal: the prompt `(tvdb) `, line editing, and a history file kept
 *   across sessions (~/.typevisor_debug_history, or $TYPEVISOR_DEBUG_HISTORY).
 * Without a terminal each command is echoed as `(tvdb) CMD` before its output,
 * so the output reads as a transcript (the README's is made that way).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { writeOut } from './load.js';

export const PROMPT = '(tvdb) ';
const HISTORY_LINES = 1000;

/** What drives a session: one command line at a time. */
export interface SessionEngine {
  /** Resolves true when the session should end. */
  execute(line: string): Promise<boolean>;
  /** A command is running (Ctrl-C interrupts it rather than leaving). */
  readonly running: boolean;
  interrupt(): void;
}

export function historyFile(): string {
  return process.env['TYPEVISOR_DEBUG_HISTORY'] ?? join(homedir(), '.typevisor_debug_history');
}

/** Lines of a --batch file, or undefined after saying why it cannot be read. */
export function readBatch(file: string): string[] | undefined {
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/).filter((l, i, all) => !(i === all.length - 1 && l === ''));
  } catch (e) {
    writeOut(2, `error: --batch ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}\n`);
    process.exitCode = 1;
    return undefined;
  }
}

/** Read commands until quit or the end of input; `print` is how the session's own lines go out. */
export async function runSession(engine: SessionEngine, print: (line: string) => void, batch: readonly string[] | undefined): Promise<void> {
  if (batch !== undefined) {
    for (const line of batch) {
      // A script's comments explain it to its reader; the transcript shows the commands.
      if (line.trim().startsWith('#')) continue;
      print(`${PROMPT}${line}`);
      if (await engine.execute(line)) return;
    }
    return;
  }
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
  let history: string[] = [];
  if (terminal) {
    try {
      history = readFileSync(historyFile(), 'utf8').split('\n').filter((l) => l !== '').reverse();
    } catch {
      // No history yet.
    }
  }
  const rl = createInterface(terminal ? { input: process.stdin, output: process.stdout, terminal: true, historySize: HISTORY_LINES, history } : { input: process.stdin, terminal: false });
  rl.setPrompt(PROMPT);
  rl.on('SIGINT', () => {
    if (engine.running) engine.interrupt();
    else {
      writeOut(1, '^C\n');
      rl.prompt();
    }
  });
  const onSignal = (): void => {
    if (engine.running) engine.interrupt();
    else process.exit(130);
  };
  process.on('SIGINT', onSignal);
  try {
    if (terminal) rl.prompt();
    for await (const line of rl) {
      if (!terminal) print(`${PROMPT}${line}`);
      if (await engine.execute(line)) break;
      if (terminal) rl.prompt();
    }
    if (terminal) writeOut(1, '\n');
  } finally {
    if (terminal) {
      try {
        const h = (rl as unknown as { history: string[] }).history;
        writeFileSync(historyFile(), [...h].reverse().slice(-HISTORY_LINES).join('\n') + '\n');
      } catch {
        // A history that cannot be written is not worth failing the session for.
      }
    }
    rl.close();
    process.off('SIGINT', onSignal);
  }
}
