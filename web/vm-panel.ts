/**
 * "Boot the kernel": the guest kernel (guests/kernel/kernel.s, assembled in
 * the page) on the bare machine, or N copies of it as VMs under the native
 * trap-and-emulate monitor — the same BareMachine and NativeMonitor as
 * `typevisor boot`, in virtual time, so the consoles show what the CLI prints.
 * Console input has ended (the kernel's programs need none).
 */
import { RAM_BASE } from '../vm/memmap.js';
import { BareMachine, BootError, type BootResult } from '../vm/bare.js';
import type { MonitorResult, VmOutcome } from '../hypervisor/core/monitor-run.js';
import type { VmStats } from '../hypervisor/core/stats.js';
import { MonitorConfigError, NativeMonitor } from '../hypervisor/native/native-monitor.js';
import { assemble, formatDiagnostic } from '../isa/asm/index.js';
import type { Image } from '../isa/image.js';
import { KERNEL_FILE, readGuestFile } from './guest-files.js';

export interface BootSpec {
  readonly monitor: 'none' | 'native';
  readonly vms: number;
  readonly memSize: number;
}

export interface VmView {
  readonly name: string;
  output: string;
  /** 'running', or how it ended. */
  state: string;
  stats: VmStats | undefined;
  instructions: number;
}

export function kernelImage(): Image {
  const r = assemble(readGuestFile(KERNEL_FILE), { filename: KERNEL_FILE, readFile: readGuestFile, defaultTextBase: RAM_BASE });
  if (!r.ok) throw new BootError(`the kernel does not assemble:\n${r.diagnostics.map((d) => formatDiagnostic(d)).join('\n')}`);
  return r.image;
}

const decoderFor = (): ((b: Uint8Array) => string) => {
  const d = new TextDecoder();
  return (b) => d.decode(b, { stream: true });
};

export function describeOutcome(o: VmOutcome | BootResult): string {
  switch (o.kind) {
    case 'poweroff': return `powered off, status ${o.status}`;
    case 'failed': return `stopped by the monitor: ${o.reason}`;
    case 'stuck': return `stuck: ${o.reason}`;
    case 'budget': return 'instruction budget spent';
  }
}

/** Boot and run to the end; `changed` is called as output arrives (the page redraws on its own schedule). */
export async function boot(spec: BootSpec, views: (vms: VmView[]) => void, changed: () => void): Promise<{ wallMs: number }> {
  const image = kernelImage();
  if (spec.monitor === 'none') {
    const view: VmView = { name: 'bare', output: '', state: 'running', stats: undefined, instructions: 0 };
    views([view]);
    const text = decoderFor();
    const bare = new BareMachine(image, { memSize: spec.memSize, output: (b) => ((view.output += text(b)), changed()) });
    bare.input(null);
    const r = await bare.run();
    view.state = describeOutcome(r);
    view.instructions = bare.machine.cpu.instret;
    changed();
    return { wallMs: bare.wallMs };
  }
  const n = Math.max(1, Math.min(8, Math.floor(spec.vms)));
  const list: VmView[] = Array.from({ length: n }, (_, i) => ({ name: `vm${i + 1}`, output: '', state: 'running', stats: undefined, instructions: 0 }));
  const texts = list.map(decoderFor);
  let monitor: NativeMonitor;
  try {
    monitor = new NativeMonitor(
      list.map((v) => ({ name: v.name, image, memSize: spec.memSize })),
      { output: (i, b) => ((list[i]!.output += texts[i]!(b)), changed()) },
    );
  } catch (e) {
    if (e instanceof MonitorConfigError) throw new BootError(e.message);
    throw e;
  }
  list.forEach((v, i) => (v.stats = monitor.vms[i]!.stats));
  views(list);
  monitor.input(null);
  const poll = setInterval(() => {
    list.forEach((v, i) => (v.instructions = monitor.vms[i]!.cpu.instret));
    changed();
  }, 100);
  let result: MonitorResult;
  try {
    result = await monitor.run();
  } finally {
    clearInterval(poll);
  }
  result.vms.forEach((r, i) => {
    list[i]!.state = describeOutcome(r.outcome);
    list[i]!.instructions = r.instructions;
    list[i]!.stats = r.stats;
  });
  changed();
  return { wallMs: result.wallMs };
}

const total = (c: Readonly<Record<string, number>>): number => Object.values(c).reduce((a, b) => a + b, 0);

/** The monitor's counters for one VM, as label/value pairs. */
export function counters(v: VmView): [string, string][] {
  const rows: [string, string][] = [['instructions', v.instructions.toLocaleString('en')]];
  const s = v.stats;
  if (!s) return rows;
  rows.push(['traps to the monitor', total(s.traps).toLocaleString('en')]);
  rows.push(['emulated instructions', total(s.emulated).toLocaleString('en')]);
  rows.push(['  of which', Object.entries(s.emulated).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${k} ${n}`).join(', ') || '—']);
  rows.push(['reflected to the guest', total(s.reflected).toLocaleString('en')]);
  rows.push(['shadow faults (hidden)', s.hiddenFaults.toLocaleString('en')]);
  rows.push(['guest page faults', s.reflectedFaults.toLocaleString('en')]);
  rows.push(['device accesses (mmio)', s.mmio.toLocaleString('en')]);
  return rows;
}
