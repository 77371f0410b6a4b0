/**
 * The daemons of `typevisor demo`'s last part: real `typevisor serve`
 * processes on 127.0.0.1 (free ports, one generated token), started before
 * the steps that talk to them and shut down with SIGTERM after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { generateToken, TOKEN_ENV } from '../../hypervisor/control/token.js';

export interface TourDaemon {
  readonly address: string;
  readonly proc: ChildProcess;
  /** What it printed after its listening line (its event log). */
  log: string;
}

export interface TourDaemons {
  readonly token: string;
  readonly daemons: readonly TourDaemon[];
  /** SIGTERM each and wait for it to exit; true if all exited cleanly (status 0). */
  stop(): Promise<boolean>;
}

/** Start `count` daemons; rejects (after stopping any that started) if one does not come up within 10 s. */
export async function startTourDaemons(cliPath: string, cwd: string, count: number, args: readonly string[] = []): Promise<TourDaemons> {
  const token = generateToken();
  const daemons: TourDaemon[] = [];
  const stop = async (): Promise<boolean> => {
    const codes = await Promise.all(
      daemons.map(
        (d) =>
          new Promise<number | null>((resolve) => {
            // Already gone (a daemon killed by a signal has no exit code, only signalCode): its exit event has fired.
            if (d.proc.exitCode !== null || d.proc.signalCode !== null) return resolve(d.proc.exitCode);
            d.proc.once('exit', (code) => resolve(code));
            d.proc.kill('SIGTERM');
          }),
      ),
    );
    return codes.every((c) => c === 0);
  };
  try {
    for (let i = 0; i < count; i++) daemons.push(await startOne(cliPath, cwd, token, args));
  } catch (e) {
    await stop();
    throw e;
  }
  return { token, daemons, stop };
}

function startOne(cliPath: string, cwd: string, token: string, args: readonly string[]): Promise<TourDaemon> {
  const proc = spawn(process.execPath, [cliPath, 'serve', '--listen', '127.0.0.1:0', '--quiet', ...args], {
    cwd,
    env: { ...process.env, [TOKEN_ENV]: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    let daemon: TourDaemon | undefined;
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`typevisor serve did not start within 10 s:\n${out}`));
    }, 10_000);
    proc.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (daemon) return void (daemon.log += b.toString());
      const m = /listening on (\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      daemon = { address: m[1]!, proc, log: '' };
      resolve(daemon);
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      if (!daemon) reject(new Error(`typevisor serve exited (${code}) before listening:\n${out}`));
    });
  });
}

/** `serve --capacity` with room for one guest of `memSize` and its shadow tables (at least the default 256M). */
export function daemonCapacity(memSize: number): string {
  const MiB = 1024 * 1024;
  return `${Math.max(256, Math.ceil((memSize * 1.25) / MiB) + 64)}M`;
}
