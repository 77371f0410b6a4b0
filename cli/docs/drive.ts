/**
 * Runs one README command the way a person at a terminal would, with the
 * events the README tells of: Ctrl-C once a given line has appeared, or a
 * daemon killed at that moment (see `(ctrl-c after: …)` and
 * `(kill NAME after: …)` in transcripts.ts).
 *
 * The transcript script is synchronous (each command after the last), and
 * reacting to output needs an event loop, so it runs this file as a child
 * with spawnSync:
 *
 *   node drive.js '{"command": "...", "events": [...]}'
 *
 * and gets what a terminal would have shown on stdout: the command's output,
 * with `^C` where the key was pressed (a terminal echoes it there). The
 * command runs in a process group of its own, and Ctrl-C is SIGINT to that
 * whole group, as a terminal sends it to its foreground job.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';

export interface DriveEvent {
  /** Fire once a line of the output contains this text. */
  readonly after: string;
  /** `ctrl-c`: SIGINT to the command's process group; `kill`: SIGKILL to pid. */
  readonly action: 'ctrl-c' | 'kill';
  readonly pid?: number;
}

export interface DriveRequest {
  readonly command: string;
  readonly events: readonly DriveEvent[];
  /**
   * Lines typed on the command's input, each once the output has a line more
   * than when the last was typed (the answer to it), shown where typed as a
   * terminal echoes them; then its input ends (Ctrl-D).
   */
  readonly input?: readonly string[];
  /** Give up (SIGKILL the group) after this long; the output so far is still printed. */
  readonly timeoutMs: number;
}

/** Which events fire now that the output reads `text`, in order; those already fired are skipped. */
export function dueEvents(text: string, events: readonly DriveEvent[], fired: ReadonlySet<number>): number[] {
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  const due: number[] = [];
  events.forEach((e, i) => {
    if (!fired.has(i) && complete.split('\n').some((l) => l.includes(e.after))) due.push(i);
  });
  return due;
}

export function drive(req: DriveRequest): Promise<string> {
  return new Promise((done) => {
    const typing = req.input !== undefined;
    const child = spawn('sh', ['-c', `{ ${req.command}\n} 2>&1`], { stdio: [typing ? 'pipe' : 'ignore', 'pipe', 'inherit'], detached: true });
    let out = '';
    let typed = 0;
    let awaitLines = 0;
    const lineCount = (): number => out.split('\n').length - 1;
    const typeNext = (): void => {
      const line = req.input?.[typed];
      if (line === undefined) {
        child.stdin?.end();
        awaitLines = Infinity;
        return;
      }
      typed++;
      out += `${line}\n`;
      child.stdin?.write(`${line}\n`);
      awaitLines = lineCount() + 1;
    };
    child.stdin?.on('error', () => undefined); // the command may exit before reading it all
    if (typing) typeNext();
    const fired = new Set<number>();
    const timer = setTimeout(() => kill(-child.pid!, 'SIGKILL'), req.timeoutMs);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      for (const i of dueEvents(out, req.events, fired)) {
        fired.add(i);
        const e = req.events[i]!;
        if (e.action === 'ctrl-c') {
          out += '^C';
          kill(-child.pid!, 'SIGINT');
        } else if (e.pid !== undefined) kill(e.pid, 'SIGKILL');
      }
      if (typing && lineCount() >= awaitLines) typeNext();
    });
    child.on('close', () => {
      clearTimeout(timer);
      done(out);
    });
  });
}

function kill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone: nothing to stop
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const req = JSON.parse(process.argv[2] ?? '{}') as DriveRequest;
  void drive(req).then((out) => process.stdout.write(out));
}
