/**
 * `typevisor vm debug NAME`: the kernel debugger attached to a VM this daemon
 * runs. The debugger itself runs here, next to the guest (vm/debug/); the
 * client only carries lines:
 *
 *   vm.debug {name}            a stream: pauses the VM, sends the first lines
 *                              (event `debug`), and holds the session until it
 *                              is cancelled or the connection ends — then the
 *                              debugger lets go and the VM resumes if it was
 *                              running when the debugger came
 *   vm.debug.command {name, line}   one command; its lines and whether it was
 *                              quit. Cancelling it interrupts a long run.
 *
 * One debugger per VM at a time. Reverse execution starts from the moment of
 * attaching (that is where the recorded history begins) on the native
 * monitor; on the hosted one it is not available (time follows the host
 * clock), and each run of ticks blocks the daemon's thread briefly (a batch
 * of at most 32768 ticks) while the vCPU thread answers.
 */
import { KernelDebugger } from '../../vm/debug/kernel-debugger.js';
import { ControlError } from './control-error.js';
import type { OpContext } from './daemon.js';
import type { VmRegistry } from './registry.js';

interface Session {
  readonly dbg: KernelDebugger;
  readonly lines: string[];
  /** Lines the guest's console wrote during a command, interleaved as they came. */
  readonly release: () => void;
}

export class DebugSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly host: VmRegistry) {}

  /** The vm.debug stream: resolves when the session ends. */
  async attach(name: string, ctx: OpContext): Promise<{ readonly reason: string }> {
    if (this.sessions.has(name)) throw new ControlError('bad-state', `a debugger is already attached to ${name}`);
    const rec = this.host.record(name);
    const guest = this.host.guest(rec);
    if (!guest) throw new ControlError('bad-state', `${name} is not running here (it is ${this.host.info(name).state})`);
    if (guest.debugTarget === undefined) throw new ControlError('bad-state', `${name} runs on the ${guest.monitor} monitor, which cannot be stepped from the daemon`);
    const wasRunning = this.host.info(name).state === 'running';
    await this.host.pause(name);
    const target = guest.debugTarget();
    const lines: string[] = [];
    const dbg = new KernelDebugger({
      target,
      // A VM that arrived by migration has no image here: addresses only.
      image: rec.image ?? { entry: 0, sections: [], symbols: [] },
      print: (l) => lines.push(l),
      pause: () => new Promise((r) => setImmediate(r)),
      title: `${name} on the ${guest.monitor} monitor, paused by the debugger (the guest's view: its mode, its CSRs, its page tables; history starts now)`,
    });
    return new Promise((resolve) => {
      let ended = false;
      const end = (reason: string): void => {
        if (ended) return;
        ended = true;
        this.sessions.delete(name);
        target.release();
        if (wasRunning && this.host.has(name)) {
          try {
            this.host.resume(name);
          } catch {
            // Stopped or migrated meanwhile: nothing to resume.
          }
        }
        resolve({ reason });
      };
      this.sessions.set(name, { dbg, lines, release: () => end('detached') });
      dbg.begin();
      ctx.emit({ kind: 'debug', lines: lines.splice(0) });
      ctx.onCancel((why) => end(why === 'cancel' ? 'detached' : 'the client went away'));
    });
  }

  /** vm.debug.command. */
  async command(name: string, line: string, ctx: OpContext): Promise<{ readonly lines: readonly string[]; readonly quit: boolean }> {
    const s = this.sessions.get(name);
    if (!s) throw new ControlError('bad-state', `no debugger is attached to ${name} (typevisor vm debug ${name})`);
    if (s.dbg.running) throw new ControlError('bad-state', `the debugger on ${name} is still running a command`);
    ctx.onCancel(() => s.dbg.interrupt());
    const quit = await s.dbg.execute(line);
    const lines = s.lines.splice(0);
    if (quit) s.release();
    return { lines, quit };
  }
}
