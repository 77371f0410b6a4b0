/**
 * A slice of another disk that behaves as a whole disk: how one machine disk
 * is shared out between several VMs without any of them reaching another's
 * sectors.
 */
import type { DiskBackend, DiskDone } from './disk.js';

export class RegionDisk implements DiskBackend {
  constructor(private readonly under: DiskBackend, private readonly first: number, readonly sectors: number) {
    if (first < 0 || first + sectors > under.sectors) throw new RangeError(`region ${first}+${sectors} is outside a disk of ${under.sectors} sectors`);
  }

  read(sector: number, count: number, done: DiskDone): void {
    // The device checks ranges against `sectors` before it calls us; check again: this is the isolation boundary.
    if (sector < 0 || sector + count > this.sectors) return done(new RangeError('sector outside the region'));
    this.under.read(this.first + sector, count, done);
  }

  write(sector: number, data: Uint8Array, done: DiskDone): void {
    if (sector < 0 || sector + data.length / 512 > this.sectors) return done(new RangeError('sector outside the region'));
    this.under.write(this.first + sector, data, done);
  }
}
