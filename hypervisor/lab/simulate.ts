/**
 * One migration on a simulated link, start to finish, in virtual time: a
 * source host and a destination host (two native monitors), a workload
 * booted on the source and run for a while, the migration, then the guest
 * run to its end wherever it lives — and what it printed and its memory's
 * hash at the end. Reproducible to the tick. The comparison, the benchmark
 * and the tests are all built on this; so is the baseline that never migrates.
 */
import type { Image } from '../../isa/image.js';
import type { Tier } from '../../vm/machine.js';
import { DEFAULT_SHADOW_PAGES, NativeMonitor } from '../native/native-monitor.js';
import { PAGE_SIZE } from '../../vm/memmap.js';
import { TICKS_PER_MS } from '../migration/clock.js';
import { MigrationError } from '../migration/migration-error.js';
import type { MigrationEvent, MigrationOutcome } from '../migration/events.js';
import { IncomingMigration, type IncomingOutcome } from '../migration/incoming.js';
import type { MigrationOptions, StrategyName } from '../migration/options.js';
import { OutgoingMigration } from '../migration/outgoing.js';
import { SimulatedLink, type FrameOnWire, type LinkSpec, type Tampering } from '../migration/transports/simulated.js';
import { VirtualClock } from '../migration/virtual-clock.js';
import { memoryDigest } from './memory-digest.js';

export interface SimulationSpec {
  readonly image: Image;
  readonly memSize: number;
  readonly link: LinkSpec;
  readonly strategy: StrategyName;
  readonly options?: Partial<MigrationOptions>;
  /** Guest instructions (virtual ticks) the workload runs before the migration starts. */
  readonly at: number;
  /** Fault injection on the link. */
  readonly tamper?: (f: FrameOnWire) => Tampering;
  /** Stop the guest after this much virtual time in all (default: an hour). */
  readonly limitMs?: number;
  readonly tier?: Tier;
  readonly onEvent?: (e: MigrationEvent) => void;
  /**
   * What to do when the outgoing side ends interrupted: 'recover' reconnects
   * on a fresh link (once per interruption, up to 5), 'abandon' gives up.
   */
  readonly onInterrupt?: 'recover' | 'abandon';
  /** Run the guest to its end after the migration (default true; the comparison only needs the migration). */
  readonly runToEnd?: boolean;
}

export interface GuestEnd {
  /** Everything the guest printed, on the source and then on the destination. */
  readonly output: string;
  /** Where the guest ended: the host it powered off on, or none. */
  readonly side: 'source' | 'destination' | 'none';
  readonly outcome: string;
  /** sha256 of its memory at the end (empty when lost). */
  readonly memoryHash: string;
  /** The guest's own clock at the end. */
  readonly guestTicks: number;
}

export interface SimulationResult extends GuestEnd {
  readonly outgoing: MigrationOutcome;
  readonly incoming: IncomingOutcome;
  /** Outcomes of recoveries, in order. */
  readonly recoveries: readonly MigrationOutcome[];
  /** The guest's clock when the switchover began (undefined: it never did). */
  readonly guestAtSwitchover: number | undefined;
}

const NAME = 'guest';
const hostCapacity = (memSize: number): number => memSize + DEFAULT_SHADOW_PAGES * PAGE_SIZE;
const hash = memoryDigest;
/** One char per byte, as Buffer's latin1 decodes (a browser's TextDecoder('latin1') is windows-1252). */
const latin1 = (b: Uint8Array): string => {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
};

/** The same workload on one host, never migrated: the reference a migration must match. */
export async function runBaseline(image: Image, memSize: number, tier?: Tier): Promise<GuestEnd> {
  let output = '';
  const host = new NativeMonitor([], { capacity: hostCapacity(memSize), ...(tier ? { tier } : {}) });
  const vm = host.addVm({ name: NAME, memSize, image, output: (b) => (output += latin1(b)) });
  const clock = new VirtualClock();
  clock.drive(host);
  await runToEnd(clock, [host], 3_600_000);
  return { output, side: 'source', outcome: host.state(NAME), memoryHash: hash(vm.memory.u8), guestTicks: vm.cpu.time };
}

/** Run a workload, migrate it at `at`, run it to its end. */
export async function simulateMigration(spec: SimulationSpec): Promise<SimulationResult> {
  let srcOut = '';
  let dstOut = '';
  const tier = spec.tier ? { tier: spec.tier } : {};
  const src = new NativeMonitor([], { capacity: hostCapacity(spec.memSize), ...tier });
  const dst = new NativeMonitor([], { capacity: hostCapacity(spec.memSize), ...tier });
  src.addVm({ name: NAME, memSize: spec.memSize, image: spec.image, output: (b) => (srcOut += latin1(b)) });
  const clock = new VirtualClock();
  clock.drive(src);
  clock.drive(dst);
  await clock.runUntil(spec.at);

  const link = new SimulatedLink(clock, spec.link);
  if (spec.tamper) link.tamper = spec.tamper;
  let guestAtSwitchover: number | undefined;
  const srcVm = src.vmNamed(NAME)!;
  const onOut = (e: MigrationEvent): void => {
    if (e.kind === 'phase' && e.phase === 'switchover' && guestAtSwitchover === undefined) guestAtSwitchover = srcVm.cpu.time;
    spec.onEvent?.(e);
  };
  const out = new OutgoingMigration({ host: src, vm: NAME, strategy: spec.strategy, clock, onEvent: onOut, ...(spec.options ? { options: spec.options } : {}) });
  const inc = new IncomingMigration({ host: dst, clock, output: (b) => (dstOut += latin1(b)), ...(spec.onEvent ? { onEvent: spec.onEvent } : {}) });
  const limitMs = spec.limitMs ?? 3_600_000;
  let [outgoing, incoming] = await clock.run(Promise.all([out.run(link.source), inc.run(link.destination)]), limitMs);
  const recoveries: MigrationOutcome[] = [];
  while (outgoing.kind === 'interrupted' && incoming.kind !== 'aborted' && incoming.kind !== 'lost' && spec.onInterrupt === 'recover' && recoveries.length < 5) {
    const again = new SimulatedLink(clock, spec.link);
    [outgoing, incoming] = await clock.run(Promise.all([out.recover(again.source), inc.recover(again.destination)]), limitMs);
    recoveries.push(outgoing);
  }
  if (outgoing.kind === 'interrupted' && spec.onInterrupt === 'abandon') {
    outgoing = out.abandon('the destination is unreachable');
    if (incoming.kind === 'interrupted') incoming = inc.declareSourceGone();
  }

  if (spec.runToEnd !== false) await runToEnd(clock, [src, dst], limitMs);
  const onSrc = src.vmNamed(NAME);
  const onDst = dst.vmNamed(NAME);
  if (onSrc && onDst && src.state(NAME) !== 'paused' && dst.state(NAME) !== 'paused') throw new MigrationError('the guest is live on both hosts');
  const live = onDst && dst.state(NAME) !== 'paused' ? { vm: onDst, host: dst, side: 'destination' as const } : onSrc && src.state(NAME) !== 'paused' ? { vm: onSrc, host: src, side: 'source' as const } : undefined;
  return {
    outgoing,
    incoming,
    recoveries,
    guestAtSwitchover,
    output: srcOut + dstOut,
    side: live?.side ?? 'none',
    outcome: live ? live.host.state(NAME) : 'lost',
    memoryHash: live ? hash(live.vm.memory.u8) : '',
    guestTicks: live?.vm.cpu.time ?? 0,
  };
}

/** Run every host's guests until none can run any more (powered off, failed, paused, stuck). */
async function runToEnd(clock: VirtualClock, hosts: readonly NativeMonitor[], limitMs: number): Promise<void> {
  const deadline = clock.ticks + limitMs * TICKS_PER_MS;
  const running = (): boolean => hosts.some((h) => h.vms.some((vm) => h.state(vm.name) === 'running'));
  while (running() && clock.ticks < deadline) await clock.runUntil(clock.ticks + 50 * TICKS_PER_MS);
}
