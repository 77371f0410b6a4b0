/**
 * `typevisor vm debug NAME`: the kernel debugger on a VM a daemon runs. The
 * VM pauses while the debugger is attached and resumes when it detaches
 * (quit, end of input, Ctrl-D, or the connection ending). The debugger runs
 * in the daemon next to the guest; this side reads commands and prints lines
 * (cli/debug-session.ts: --batch, a pipe, or a prompt with history).
 */
import type { Command } from 'commander';
import type { Call, ControlClient } from '../../hypervisor/control/client.js';
import { connectOptions, withDaemon, type ConnectOptions } from '../control/connect.js';
import { readBatch, runSession, type SessionEngine } from '../debug-session.js';
import { writeOut } from '../load.js';

interface DebugOptions extends ConnectOptions {
  readonly batch?: string;
}

export function registerVmDebug(vm: Command): void {
  connectOptions(
    vm
      .command('debug')
      .description('attach the kernel debugger to a VM (it pauses; detaching resumes it)')
      .argument('<name>')
      .option('--batch <file>', 'read the debugger\'s commands from FILE (one per line), then detach'),
  )
    .addHelpText('after', `
The debugger shows the guest's view — its mode, CSRs and page tables — and
takes the same commands as typevisor boot --debug (type help): break, watch,
step/next/finish/continue, bt, x/NFU, print, set, translate, info traps|tlb|
pagetable|vm. On the native monitor reverse execution works from the moment
of attaching (that is where the recorded history starts); on the hosted
monitor time follows the host clock, so it cannot replay, and the daemon
steps the VM's vCPU thread in runs that end wherever a breakpoint could hit.

Commands come from --batch FILE, from stdin when it is not a terminal (each
echoed as "(tvdb) CMD"), or from a (tvdb) prompt.

Examples:
  typevisor vm debug web
  printf 'break syscall\\ncontinue\\nbt\\n' | typevisor vm debug web
  typevisor vm debug web --batch trap.gdb`)
    .action((name: string, opts: DebugOptions) => {
      const batch = opts.batch === undefined ? undefined : readBatch(opts.batch);
      if (opts.batch !== undefined && batch === undefined) return;
      return withDaemon(opts, (c) => attach(c, name, batch));
    });
}

async function attach(c: ControlClient, name: string, batch: readonly string[] | undefined): Promise<void> {
  const print = (line: string): void => void writeOut(1, `${line}\n`);
  let attached: (() => void) | undefined;
  const ready = new Promise<'attached'>((r) => (attached = () => r('attached')));
  const session = c.call('vm.debug', { name }, (e) => {
    if (e.kind !== 'debug') return;
    for (const l of e.lines) print(l);
    attached?.();
  });
  // The session is open once its first lines have come; a refusal ends the call (and throws) instead.
  const first = await Promise.race([session.result.then(() => 'ended' as const), ready]);
  let current: Call<'vm.debug.command'> | undefined;
  const engine: SessionEngine = {
    get running() {
      return current !== undefined;
    },
    interrupt: () => current?.cancel(),
    execute: async (line) => {
      current = c.call('vm.debug.command', { name, line });
      try {
        const r = await current.result;
        for (const l of r.lines) print(l);
        return r.quit;
      } finally {
        current = undefined;
      }
    },
  };
  if (first === 'attached') {
    await runSession(engine, print, batch);
    session.cancel();
  }
  const end = await session.result;
  writeOut(2, `[${name}: debugger ${end.reason}]\n`);
}
