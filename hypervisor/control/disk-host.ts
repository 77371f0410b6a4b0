/**
 * A VM host that gives the one VM a migration creates on it a disk: how the
 * disk whose sectors the migration brings (an ArrivingDisk over the file
 * vm-disks.ts prepareArrival made), or the file it shares with the source,
 * is plugged in from the VM's first instruction here. The
 * migration engine creates the arriving VM itself, through the VmHost it is
 * given, and knows nothing of disks; this host adds the disk to that VM's
 * GuestConfig and passes everything else through.
 */
import type { Guest, GuestConfig, VmHost } from '../core/host.js';
import type { VmOutcome } from '../core/monitor-run.js';
import type { DiskBackend } from '../../vm/devices/disk.js';

export class DiskGivingHost implements VmHost {
  constructor(
    private readonly host: VmHost,
    private readonly vm: string,
    private readonly disk: DiskBackend,
  ) {}

  get kind(): VmHost['kind'] {
    return this.host.kind;
  }

  add(config: GuestConfig): Guest {
    return this.host.add(config.name === this.vm ? { ...config, disk: this.disk } : config);
  }

  find(name: string): Guest | undefined {
    return this.host.find(name);
  }

  remove(name: string): void {
    this.host.remove(name);
  }

  get guests(): readonly Guest[] {
    return this.host.guests;
  }

  get onVmEnd(): ((name: string, outcome: VmOutcome) => void) | undefined {
    return this.host.onVmEnd;
  }

  set onVmEnd(f: ((name: string, outcome: VmOutcome) => void) | undefined) {
    this.host.onVmEnd = f;
  }

  serve(): Promise<void> {
    return this.host.serve();
  }

  close(): Promise<void> {
    return this.host.close();
  }
}
