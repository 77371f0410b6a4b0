/**
 * Snapshots on a daemon: `vm.snapshot` saves one of its VMs to a file, and
 * `vm.restore` starts a VM from one (hypervisor/snapshot does the work; this
 * binds it to the registry's records and lifecycles and turns its errors into
 * the protocol's).
 *
 * The daemon reads and writes the files itself — it has the memory, and a
 * 64 MiB guest need not cross the control connection — so paths are the
 * daemon's: absolute, resolved by the CLI on the same machine.
 */
import { isAbsolute } from 'node:path';
import type { Guest } from '../core/host.js';
import { captureGuest, CaptureError } from '../snapshot/capture.js';
import { encodeSnapshotAsync, SnapshotError } from '../snapshot/snapshot-format.js';
import { openSnapshotFile, writeFileAtomicAsync, type SnapshotFile } from '../snapshot/snapshot-file.js';
import { fillEager, startLazy, type LazyLoad } from '../snapshot/restore.js';
import { ControlError } from './control-error.js';
import { bindingOf, checkSavable, describeBinding, diskWords, restoreDisk } from './snapshot-disks.js';
import type { RestoreParams, RestoreResult, SnapshotParams, SnapshotResult } from './protocol.js';
import type { VmRecord, VmRegistry } from './registry.js';
import { readProblem, writeProblem } from '../../isa/fs-problem.js';

/** How a snapshot is asked for: by a client, or by the daemon's own schedule (snapshot-schedule.ts). */
export interface SnapshotHow {
  /** Log a line for it (the schedule logs only what changes, not every period). */
  readonly log?: boolean;
}

/** Who holds a VM's snapshot lock: a snapshot being taken, or a migration under way. */
interface Hold {
  readonly what: 'snapshot' | 'migration';
  readonly done: Promise<void>;
}

export class SnapshotDriver {
  /** VMs restored lazily whose memory is still being read from their file. */
  private readonly loading = new Map<string, LazyLoad>();
  /**
   * One snapshot of a VM at a time, and none while it migrates: two captures
   * at once would pause and resume it under each other, and a capture reads
   * (and clears) the dirty log a pre-copy migration reads too.
   */
  private readonly holds = new Map<string, Hold>();

  constructor(
    private readonly host: VmRegistry,
    private readonly log: (line: string) => void,
  ) {}

  /** True while a snapshot of `name` is being taken (or waits its turn), or it migrates. */
  busy(name: string): boolean {
    return this.holds.has(name);
  }

  /** Save a VM to a file; a second snapshot of the same VM waits for the first. */
  snapshot(p: SnapshotParams, how: SnapshotHow = {}): Promise<SnapshotResult> {
    if (this.holds.get(p.name)?.what === 'migration') throw new ControlError('bad-state', `${p.name} is part of a migration; snapshot it before or after`);
    return this.hold(p.name, 'snapshot', () => this.save(p, how));
  }

  /** Run a migration of `name` with no snapshot of it under way (it waits for one that is). */
  migrating<T>(name: string, run: () => Promise<T>): Promise<T> {
    // A second migration of the same VM goes straight to the migration driver, which refuses it.
    if (this.holds.get(name)?.what === 'migration') return run();
    return this.hold(name, 'migration', run);
  }

  private async hold<T>(name: string, what: Hold['what'], run: () => Promise<T>): Promise<T> {
    const before = this.holds.get(name)?.done;
    let release!: () => void;
    const h: Hold = { what, done: new Promise<void>((r) => (release = r)) };
    this.holds.set(name, h);
    try {
      if (before) await before;
      return await run();
    } finally {
      release();
      if (this.holds.get(name) === h) this.holds.delete(name);
    }
  }

  private async save(p: SnapshotParams, how: SnapshotHow): Promise<SnapshotResult> {
    const path = absolute(p.path);
    const t0 = performance.now();
    // A VM restored lazily is saved once its memory is all here (the file it came from may be this one).
    const load = this.loading.get(p.name);
    if (load) await load.done;
    const rec = this.host.record(p.name);
    if (rec.migration) throw new ControlError('bad-state', `${p.name} is part of a migration (${rec.migration.phase}); snapshot it before or after`);
    if (rec.lost !== undefined) throw new ControlError('bad-state', `${p.name} is lost (${rec.lost}): nothing to save`);
    const guest = this.host.guest(rec);
    if (!guest) throw new ControlError('bad-state', `${p.name} is not on its host here`);
    checkSavable(p.name, this.host.disks?.info(p.name));
    const wasRunning = rec.lifecycle === 'running';
    const goesOn = !p.stop && (rec.lifecycle === 'running' || rec.lifecycle === 'paused');
    let capture;
    try {
      capture = await captureGuest(guest, { live: p.live, pause: () => this.host.pause(p.name).then(() => undefined) });
    } catch (e) {
      if (e instanceof CaptureError) throw new ControlError('bad-state', e.message);
      throw e;
    }
    // The disk as it was at the pause (captureGuest leaves the guest paused, after a live copy too).
    let disk;
    const diskT0 = performance.now();
    try {
      disk = bindingOf(this.host.disks, p.name);
      // A VM that goes on may write its volume past what this snapshot saw: a new generation from here.
      if (disk?.kind === 'volume' && goesOn) this.host.disks!.advanceVolume(p.name);
    } catch (e) {
      if (!p.stop && wasRunning) this.host.resume(p.name);
      throw e;
    }
    // (the disk is read with the guest paused: that is paused time too)
    const pausedMs = capture.pausedMs + (disk?.kind === 'transient' ? performance.now() - diskT0 : 0);
    // The guest goes on before its copy is encoded and written: the copy is not its RAM. (It was
    // resumed after the encoding, which kept a 64 MiB guest paused ~0.2 s longer than pausedMs said.)
    if (!p.stop && wasRunning) this.host.resume(p.name);
    const encoded = await encodeSnapshotAsync({ info: { takenOn: guest.monitor, kernel: rec.kernel, memSize: guest.memSize }, state: { ...capture.state, name: p.name }, memory: capture.memory, ...(disk ? { disk } : {}) });
    let bytes: number;
    try {
      bytes = await writeFileAtomicAsync(path, encoded.pieces);
    } catch (e) {
      // (in words, without the temporary file's name, which changes every time: the same failure reads the same)
      throw new ControlError('bad-request', `cannot write ${path}: ${writeProblem(e, path)}`);
    }
    if (p.stop && this.host.has(p.name)) this.host.stop(p.name);
    const totalMs = performance.now() - t0;
    const diskInfo = disk ? describeBinding(disk) : undefined;
    if (how.log !== false) this.log(`${p.name}: saved to ${path} (${bytes} bytes, ${p.live ? `live, ${capture.rounds} round${capture.rounds === 1 ? '' : 's'}` : 'paused'}${diskInfo ? `, ${diskWords(diskInfo)}` : ''}${p.stop ? ', stopped' : ''})`);
    return {
      name: p.name,
      path,
      bytes,
      pages: guest.pages,
      pagesPresent: encoded.pagesPresent,
      instructions: capture.state.cpu.instret,
      rounds: capture.rounds,
      pagesCopied: capture.pagesCopied,
      pausedMs: round2(pausedMs),
      totalMs: round2(totalMs),
      stopped: p.stop,
      ...(diskInfo ? { disk: diskInfo } : {}),
    };
  }

  async restore(p: RestoreParams): Promise<RestoreResult> {
    const path = absolute(p.path);
    const t0 = performance.now();
    let file: SnapshotFile;
    try {
      file = openSnapshotFile(path, { pages: !p.lazy });
    } catch (e) {
      if (e instanceof SnapshotError) throw new ControlError('bad-request', `${path}: ${e.message}`);
      throw new ControlError('bad-request', `cannot read ${path}: ${readProblem(e)}`);
    }
    const s = file.contents;
    // A restart brings back the VM of a host that died: under its own name, so the fleet finds it.
    if (p.restart && p.name !== undefined && p.name !== s.state.name) {
      file.close();
      throw new ControlError('bad-request', `a restart keeps the VM's name: ${path} holds ${s.state.name}, not ${p.name}`);
    }
    const name = p.name ?? s.state.name;
    const monitor = p.monitor ?? (s.info.takenOn === 'hosted' ? 'hosted' : 'native');
    let lazyStop: (() => void) | undefined;
    let rec: VmRecord;
    try {
      // Checked before anything starts: a volume held elsewhere, or moved on, refuses the restore.
      const disk = restoreDisk(this.host.disks, s.disk, { path, force: p.force === true, instances: p.instances ?? 1 });
      rec = await this.host.startRestored({ name, monitor, kernel: s.info.kernel, memSize: s.info.memSize, share: p.share, ...(disk ? { disk } : {}) }, async (guest: Guest) => {
        if (!p.lazy) return fillEager(guest, file);
        const here = (): boolean => this.host.has(name) && this.host.guest(this.host.record(name)) === guest;
        const load = await startLazy(
          guest,
          file,
          (e) => {
            if (here()) this.host.markFailed(name, `its memory could not be read from ${path}: ${e.message}`);
          },
          here,
        );
        lazyStop = load.stop;
        this.loading.set(name, load);
        void load.done.then((st) => {
          if (this.loading.get(name) === load) this.loading.delete(name);
          if (st.complete) this.log(`${name}: memory loaded from ${path} (${st.onDemand} pages on demand, ${st.background} in the background)`);
        });
      });
    } catch (e) {
      lazyStop?.();
      file.close();
      if (e instanceof SnapshotError) throw new ControlError('bad-request', `${path}: ${e.message}`);
      throw e;
    }
    if (!p.lazy) file.close();
    if (p.restart) {
      rec.restarted = { file: path, instructions: s.state.cpu.instret };
      this.log(`${name}: restarted from its snapshot ${path} at ${s.state.cpu.instret} instructions`);
    }
    return { ...this.host.info(name), restoreMs: round2(performance.now() - t0), pagesPresent: s.presentCount, savedAt: s.state.cpu.instret };
  }
}

function absolute(path: string): string {
  if (!isAbsolute(path)) throw new ControlError('bad-request', `path ${JSON.stringify(path)} must be absolute (the daemon does not know the client's directory)`);
  return path;
}

const round2 = (ms: number): number => Math.round(ms * 100) / 100;
