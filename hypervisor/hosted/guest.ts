/**
 * One VM of the hosted monitor as the host boundary shows it (core/host.ts),
 * from the main thread: the guest runs on a vCPU thread of its own
 * (vcpu.ts), over shadow frames and RAM in one SharedArrayBuffer.
 *
 * What the main thread can see without asking is shared memory:
 *   ram      a view of the VM's window (readable at any time, torn pages
 *            included: the dirty log has those)
 *   status   instret, time and run state, written by the vCPU after every slice
 *   missing  one byte per page not here yet; the main thread clears a mark
 *            (after writing the page) and rings the doorbell
 * Everything else is a request on the channel, answered by the vCPU between
 * two slices: pause, the dirty log, save and restore return promises. The
 * other way, the vCPU's disk requests are answered here, from the disk the
 * host was given (GuestConfig.disk; setDisk plugs in another).
 */
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import type { Image } from '../../isa/image.js';
import { BootError, loadImageIntoRam } from '../../vm/bare.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../../vm/memmap.js';
import { PhysicalMemory } from '../../vm/memory.js';
import type { Tier } from '../../vm/machine.js';
import type { DiskBackend } from '../../vm/devices/disk.js';
import type { Guest, NetEvent, RunState } from '../core/host.js';
import { pageView } from '../core/host.js';
import type { VmOutcome } from '../core/monitor-run.js';
import { VmStats } from '../core/stats.js';
import type { Lifecycle } from '../core/lifecycle.js';
import type { VmState } from '../core/state.js';
import { Doorbell, VcpuRun, VmStatus, type FromVcpu, type StepOutcome, type ToVcpu, type VcpuConfig } from './channel.js';

/** Something to wait on for a few microseconds between looks at the port. */
const NAP = new Int32Array(new SharedArrayBuffer(4));
import { VcpuThread } from './vcpu-thread.js';
import { HostedDebugTarget } from './debug-target.js';

export interface HostedGuestConfig {
  readonly name: string;
  readonly memSize: number;
  /** None: created empty and paused, every page missing (an arriving VM). */
  readonly image?: Image;
  readonly paused?: boolean;
  readonly output?: (bytes: Uint8Array) => void;
  /** What its network device transmits. */
  readonly netOutput?: (bytes: Uint8Array) => void;
  /** Its disk: the vCPU's requests are served from it here, on the main thread. */
  readonly disk?: DiskBackend;
  readonly shadowPages: number;
  readonly slice: number;
  readonly tier: Tier | undefined;
  readonly jitDumpDir?: string;
  readonly maxInstructions: number | undefined;
  /** The vCPU thread it runs on (started by its host, maybe ahead of time); it ends with the VM. */
  readonly thread: VcpuThread;
  /** The guest powered off, failed, got stuck or used its budget (not called when removed). */
  readonly onEnd: (outcome: VmOutcome) => void;
}

type Reply = Extract<FromVcpu, { kind: 'reply' }>;

interface Waiting {
  readonly done: (r: Reply) => void;
  readonly fail: (e: Error) => void;
}

/** Ended from outside or failed: what requests to a VM without a vCPU get. */
export class GuestGoneError extends Error {
  override readonly name = 'GuestGoneError';
}

export class HostedGuest implements Guest {
  readonly monitor = 'hosted' as const;
  readonly name: string;
  readonly memSize: number;
  readonly pages: number;
  readonly ram: Uint8Array;
  onMissingPage: ((page: number) => void) | undefined;
  /** The kernel debugger steps this VM from the main thread (while paused): see debug-target.ts. */
  readonly debugTarget = (): HostedDebugTarget => new HostedDebugTarget(this);
  /** Resolves once the vCPU thread has ended (remove, or a crash). */
  readonly threadEnded: Promise<void>;

  private readonly thread: VcpuThread;
  private readonly channel = new MessageChannel();
  private readonly bell = new Doorbell();
  private readonly status = new VmStatus();
  private readonly missingBits: Uint8Array;
  private missingPages: number;
  private sink: ((bytes: Uint8Array) => void) | undefined;
  private netSink: ((bytes: Uint8Array) => void) | undefined;
  private readonly onEnd: (outcome: VmOutcome) => void;
  private disk: DiskBackend | undefined;
  private ended: VmOutcome | undefined;
  /** The vCPU no longer answers (removed, crashed). */
  private gone: string | undefined;
  private pausedFlag: boolean;
  /** A pause has been answered and no resume sent since. */
  private stopped: boolean;
  private resumes = 0;
  private nextId = 1;
  private readonly waiting = new Map<number, Waiting>();
  private written: number[] = [];
  private lastStats = new VmStats();

  constructor(c: HostedGuestConfig) {
    this.name = c.name;
    this.memSize = c.memSize;
    this.pages = c.memSize >>> PAGE_SHIFT;
    this.sink = c.output;
    this.netSink = c.netOutput;
    this.onEnd = c.onEnd;
    this.disk = c.disk;
    const shadowBytes = c.shadowPages * PAGE_SIZE;
    const ram = new SharedArrayBuffer(shadowBytes + c.memSize);
    this.ram = new Uint8Array(ram, shadowBytes, c.memSize);
    const missing = new SharedArrayBuffer(this.pages);
    this.missingBits = new Uint8Array(missing);
    this.missingPages = c.image ? 0 : this.pages;
    if (!c.image) this.missingBits.fill(1);
    this.status.missing = this.missingPages;
    this.pausedFlag = this.stopped = !c.image || c.paused === true;
    // A bad image fails here, as on the native monitor, not later on the vCPU thread.
    if (c.image) loadImage(c.name, new PhysicalMemory(c.memSize, false, ram, shadowBytes, new Uint8Array(this.pages)), c.image);

    const config: VcpuConfig = {
      name: c.name,
      image: c.image,
      ram,
      memSize: c.memSize,
      shadowPages: c.shadowPages,
      bell: this.bell.buffer,
      tier: c.tier,
      ...(c.jitDumpDir ? { jitDumpDir: c.jitDumpDir } : {}),
      slice: c.slice,
      maxInstructions: c.maxInstructions,
      trace: false,
      // On a host a console can attach at any time: waiting for input is not being stuck.
      consoleOpen: true,
      diskSectors: c.disk?.sectors ?? 0,
      // Its network device has a host end (the daemon's, control/vm-net.ts), cabled or not.
      net: true,
      host: { paused: this.pausedFlag, status: this.status.buffer, missing },
    };
    this.thread = c.thread;
    const worker = this.thread.worker;
    const port = this.channel.port1;
    port.on('message', (m: FromVcpu) => this.receive(m));
    this.threadEnded = new Promise<void>((resolve) => {
      worker.once('error', (e: Error) => this.lose(`the vCPU thread failed: ${e.message}`));
      worker.once('exit', (code) => {
        // Anything it posted before it ended is still in the port: take it first.
        for (let r = receiveMessageOnPort(port); r; r = receiveMessageOnPort(port)) this.receive(r.message as FromVcpu);
        this.lose(`the vCPU thread ended (code ${code})`);
        port.close();
        resolve();
      });
    });
    this.thread.start(config, this.channel.port2);
  }

  get instructions(): number {
    return this.status.instret;
  }

  get time(): number {
    return this.status.time;
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  state(): RunState {
    if (this.ended) return this.ended.kind;
    if (this.pausedFlag) return 'paused';
    switch (this.status.run) {
      case VcpuRun.WAITING: return 'waiting';
      case VcpuRun.STALLED: return 'stalled';
      default: return 'running';
    }
  }

  outcome(): VmOutcome | undefined {
    return this.ended;
  }

  stats(): VmStats {
    return this.lastStats;
  }

  pause(): Promise<void> {
    this.pausedFlag = true;
    if (this.stopped || this.ended || this.gone !== undefined) return Promise.resolve();
    const resumes = this.resumes;
    const paused = this.request((id) => ({ kind: 'pause', id }), () => {
      if (this.resumes === resumes) this.stopped = true;
    });
    // Removed (or its thread lost) before it answered: it is stopped all the same.
    return paused.catch((e: unknown) => {
      if (!(e instanceof GuestGoneError)) throw e;
    });
  }

  resume(): void {
    if (!this.pausedFlag) return;
    this.pausedFlag = false;
    this.stopped = false;
    this.resumes++;
    this.post({ kind: 'resume' });
  }

  input(bytes: Uint8Array | null): void {
    this.post(bytes === null ? { kind: 'console-end' } : { kind: 'console-input', bytes: bytes.slice() });
  }

  setOutput(sink: ((bytes: Uint8Array) => void) | undefined): void {
    this.sink = sink;
  }

  netEvent(e: NetEvent): void {
    if (e.kind === 'data') this.post({ kind: 'net-data', bytes: e.bytes.slice() });
    else if (e.kind === 'connected') this.post({ kind: 'net-connected' });
    else this.post({ kind: 'net-closed', final: false });
  }

  takeNetPending(): Promise<NetEvent[]> {
    return this.request((id) => ({ kind: 'net-take', id }), (r) => [...(r.netEvents ?? [])]);
  }

  setNetOutput(sink: ((bytes: Uint8Array) => void) | undefined): void {
    this.netSink = sink;
  }

  /** Requests the vCPU made of the old disk are answered from the new one (none: an error), in order. */
  setDisk(disk: DiskBackend | undefined): void {
    this.disk = disk;
    this.post({ kind: 'disk-attach', sectors: disk?.sectors ?? 0 });
  }

  startDirtyLog(): Promise<void> {
    return this.request((id) => ({ kind: 'dirty-start', id }), () => undefined);
  }

  takeDirty(): Promise<number[]> {
    return this.request((id) => ({ kind: 'dirty-take', id }), (r) => [...(r.pages ?? [])]);
  }

  /** As of the vCPU's last stats (a tenth of a second at most while it runs); 0 just after a take. */
  countDirty(): number {
    return this.status.dirty;
  }

  save(lifecycle: Lifecycle): Promise<VmState> {
    return this.request((id) => ({ kind: 'save', id, lifecycle }), (r) => {
      if (!r.state) throw new GuestGoneError(`${this.name}: the vCPU sent no state`);
      return r.state;
    });
  }

  restore(state: VmState): Promise<void> {
    return this.request((id) => ({ kind: 'restore', id, state }), () => undefined);
  }

  get missing(): Uint8Array | undefined {
    return this.missingPages > 0 ? this.missingBits : undefined;
  }

  get missingCount(): number {
    return this.missingPages;
  }

  writePage(n: number, data: Uint8Array | undefined): boolean {
    const at = n << PAGE_SHIFT;
    if (data) this.ram.set(data.subarray(0, PAGE_SIZE), at);
    else this.ram.fill(0, at, at + PAGE_SIZE);
    // The vCPU drops translated code for it and logs it dirty before it runs again.
    if (this.written.length === 0) queueMicrotask(() => this.flushWritten());
    this.written.push(n);
    if (Atomics.load(this.missingBits, n) === 0) return false;
    // Bytes first, then the mark, then the bell: a vCPU stalled on it wakes and finds the page.
    Atomics.store(this.missingBits, n, 0);
    this.status.missing = --this.missingPages;
    this.bell.ring();
    return true;
  }

  markMissing(n: number): void {
    if (Atomics.load(this.missingBits, n) === 1) return;
    Atomics.store(this.missingBits, n, 1);
    this.status.missing = ++this.missingPages;
    this.post({ kind: 'marked' });
  }

  /** The page's bytes now (a view). */
  page(n: number): Uint8Array {
    return pageView(this.ram, n);
  }

  /** End the run and the thread (HostedHost.remove). */
  async remove(): Promise<void> {
    this.post({ kind: 'stop', reason: 'removed' });
    this.lose('removed');
    await this.thread.close();
    await this.threadEnded;
  }

  // ---- the channel -------------------------------------------------------------

  private request<T>(message: (id: number) => ToVcpu, take: (r: Reply) => T): Promise<T> {
    if (this.gone !== undefined) return Promise.reject(new GuestGoneError(`${this.name}: ${this.gone}`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, {
        done: (r) => {
          try {
            resolve(take(r));
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        },
        fail: reject,
      });
      this.post(message(id));
    });
  }

  /** A message for the vCPU, and the doorbell so a sleeping vCPU wakes for it. */
  /**
   * The debugger's step, synchronously: post it, then wait on the port
   * itself (other messages — console output — are handled as they come).
   * Only while paused; the main thread blocks for as long as the ticks take.
   */
  stepSync(ticks: number, cpu?: VmState['cpu'], stopAt?: readonly number[]): { readonly state: VmState; readonly stepped: StepOutcome } {
    if (this.gone !== undefined) throw new GuestGoneError(`${this.name}: ${this.gone}`);
    const id = this.nextId++;
    let reply: Reply | undefined;
    let failure: Error | undefined;
    this.waiting.set(id, { done: (r) => (reply = r), fail: (e) => (failure = e) });
    this.post({ kind: 'step', id, ticks, ...(cpu ? { cpu } : {}), ...(stopAt ? { stopAt } : {}) });
    const port = this.channel.port1;
    while (reply === undefined && failure === undefined) {
      const r = receiveMessageOnPort(port);
      if (r) this.receive(r.message as FromVcpu);
      else Atomics.wait(NAP, 0, 0, 0.05);
      if (this.gone !== undefined) failure ??= new GuestGoneError(`${this.name}: ${this.gone}`);
    }
    if (failure) throw failure;
    return { state: reply!.state!, stepped: reply!.stepped! };
  }

  private post(m: ToVcpu, transfer: ArrayBuffer[] = []): void {
    if (this.gone !== undefined) return;
    this.flushWritten();
    this.channel.port1.postMessage(m, transfer);
    this.bell.ring();
  }

  private flushWritten(): void {
    if (this.written.length === 0 || this.gone !== undefined) return;
    const pages = this.written;
    this.written = [];
    this.channel.port1.postMessage({ kind: 'written', pages } satisfies ToVcpu);
    this.bell.ring();
  }

  private receive(m: FromVcpu): void {
    switch (m.kind) {
      case 'output':
        if (m.console) this.sink?.(m.console);
        if (m.net) this.netSink?.(m.net);
        break;
      case 'reply': {
        const w = this.waiting.get(m.id);
        this.waiting.delete(m.id);
        w?.done(m);
        break;
      }
      case 'missing-page':
        this.onMissingPage?.(m.page);
        break;
      case 'stats':
        this.lastStats = VmStats.fromRecord(m.stats);
        break;
      case 'ended':
        this.lastStats = VmStats.fromRecord(m.exit.stats);
        this.end(m.exit.outcome.kind === 'stopped' ? { kind: 'failed', reason: `stopped (${m.exit.outcome.reason})` } : m.exit.outcome);
        break;
      case 'exit':
        this.lastStats = VmStats.fromRecord(m.exit.stats);
        this.lose('its vCPU has stopped');
        break;
      case 'crash':
        this.end({ kind: 'failed', reason: `the vCPU thread failed: ${m.message}` });
        this.lose(`the vCPU thread failed: ${m.message}`);
        break;
      case 'disk-read':
      case 'disk-write':
        this.serveDisk(m);
        break;
      default:
        break;
    }
  }

  /**
   * A disk request from the vCPU, answered when the backend completes it
   * (a file disk: at once, the bytes on the file). A request arriving after
   * remove() is dropped: the caller may have closed the backend already.
   */
  private serveDisk(m: Extract<FromVcpu, { kind: 'disk-read' | 'disk-write' }>): void {
    if (this.gone !== undefined) return;
    const answer = (error: Error | null, data?: Uint8Array): void => {
      if (error) return this.post({ kind: 'disk-done', id: m.id, error: error.message });
      const own = data !== undefined && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer;
      this.post({ kind: 'disk-done', id: m.id, error: null, ...(data ? { data } : {}) }, own ? [data.buffer as ArrayBuffer] : []);
    };
    const disk = this.disk;
    if (!disk) return answer(new Error('no disk'));
    try {
      if (m.kind === 'disk-read') disk.read(m.sector, m.count, answer);
      else disk.write(m.sector, m.data, answer);
    } catch (e) {
      answer(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private end(outcome: VmOutcome): void {
    if (this.ended || this.gone !== undefined) return;
    this.ended = outcome;
    this.onEnd(outcome);
  }

  /** The vCPU will answer no more: fail what waits for it. */
  private lose(why: string): void {
    if (this.gone === undefined) {
      if (!this.ended && why !== 'removed') this.end({ kind: 'failed', reason: why });
      this.gone = why;
    }
    const err = new GuestGoneError(`${this.name}: ${why}`);
    for (const w of this.waiting.values()) w.fail(err);
    this.waiting.clear();
  }
}

/** Load the image into the VM's RAM (the vCPU boots from it), or say why it does not fit. */
function loadImage(name: string, ram: PhysicalMemory, image: Image): void {
  try {
    loadImageIntoRam(ram, image);
  } catch (e) {
    if (e instanceof BootError) throw new BootError(`${name}: ${e.message}`);
    throw e;
  }
}
