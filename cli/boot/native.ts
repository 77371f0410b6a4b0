/** `typevisor boot --monitor native`: several VMs, trap-and-emulate, one machine. */
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { monitorExitCode } from '../../hypervisor/core/monitor-run.js';
import type { VmEvent } from '../../hypervisor/core/vm.js';
import { ConsoleMux } from '../../hypervisor/native/console-mux.js';
import { MonitorConfigError, NativeMonitor, type NativeVmConfig } from '../../hypervisor/native/native-monitor.js';
import { BootError } from '../../vm/bare.js';
import { paint, paintErr } from '../color.js';
import { attachConsole } from '../console.js';
import { writeOut } from '../load.js';
import { formatMonitorStats } from './boot-report.js';
import type { BootSettings } from './settings.js';
import { hex8 } from '../../isa/hex.js';
import { jitDumpOption } from '../jit-dump.js';

export function formatEvent(e: VmEvent): string {
  return `[${e.vm}] t=${e.time} ${e.what} pc=${hex8(e.pc)}${e.detail ? ` ${e.detail}` : ''} → ${e.action}`;
}

export async function bootNative(configs: readonly NativeVmConfig[], s: BootSettings): Promise<void> {
  const err = paintErr();
  // Console output: one prefixed stream, or one file per VM.
  const fds: number[] = [];
  if (s.consoleDir) {
    mkdirSync(s.consoleDir, { recursive: true });
    for (const c of configs) fds.push(openSync(join(s.consoleDir, `${c.name}.log`), 'w'));
  }
  const mux = new ConsoleMux((text) => writeOut(s.json ? 2 : 1, text), (n) => paint().cyan(n));
  let monitor: NativeMonitor;
  try {
    monitor = new NativeMonitor(configs, {
      tier: s.tier,
      ...jitDumpOption(),
      output: (i, bytes) => (s.consoleDir ? writeOut(fds[i]!, bytes) : mux.push(configs[i]!.name, bytes)),
      ...(s.traceTraps ? { onEvent: (e: VmEvent) => writeOut(2, formatEvent(e) + '\n') } : {}),
      ...(s.maxInstructions !== undefined ? { maxInstructions: s.maxInstructions } : {}),
    });
  } catch (e) {
    if (!(e instanceof BootError) && !(e instanceof MonitorConfigError)) throw e;
    writeOut(2, `${err.red('error:')} ${e.message}\n`);
    process.exitCode = 1;
    return;
  }
  const detach = attachConsole(monitor);
  try {
    const result = await monitor.run();
    mux.flush();
    for (const vm of result.vms) {
      const o = vm.outcome;
      if (o.kind === 'failed') writeOut(2, `${err.red(`[${vm.name}] stopped by the monitor:`)} ${o.reason}\n`);
      else if (o.kind === 'stuck') writeOut(2, `${err.red(`[${vm.name}] stuck:`)} ${o.reason}\n`);
      else if (o.kind === 'budget') writeOut(2, `${err.red(`[${vm.name}] stopped:`)} --max-instructions reached\n`);
    }
    if (s.stats) writeOut(2, formatMonitorStats(result, 'native'));
    if (s.json) writeOut(1, JSON.stringify({ monitor: 'native', wallMs: result.wallMs, vms: result.vms }) + '\n');
    process.exitCode = monitorExitCode(result);
  } finally {
    detach();
    for (const fd of fds) closeSync(fd);
  }
}
