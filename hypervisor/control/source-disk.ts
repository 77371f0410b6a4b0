/**
 * A daemon VM's disk as the migration engine reads it on the source
 * (`migrate --disk-mode copy`): its dirty-sector log (every VM's disk goes
 * through one, dirty-sectors.ts) and the file that holds its sectors.
 *
 * The engine runs on the daemon's thread, which also serves the guest's disk
 * requests (synchronously, FileDisk), so a read here sees every write the
 * guest has seen complete, and none half done. Nothing is ever written: a
 * migration that fails leaves the source's disk as the guest left it.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { SECTOR_SIZE } from '../../vm/devices/disk.js';
import type { SourceDisk } from './engine.js';
import type { DirtySectorLog } from './dirty-sectors.js';
import type { DiskInfo } from './vm-disks.js';

export class FileSourceDisk implements SourceDisk {
  readonly kind: DiskInfo['kind'];

  constructor(
    private readonly d: { readonly log: DirtySectorLog; readonly file: string; readonly info: DiskInfo },
  ) {
    this.kind = d.info.kind;
  }

  get sectors(): number {
    return this.d.log.sectors;
  }

  get dirtyCount(): number {
    return this.d.log.dirtyCount;
  }

  startLog(): void {
    this.d.log.clearAll();
  }

  takeDirty(maxRun: number): Array<readonly [number, number]> {
    return this.d.log.takeRuns(maxRun);
  }

  /**
   * Opened per read: a migration interrupted after its switchover may wait
   * for --recover for a long time, and must hold no file open meanwhile.
   */
  read(sector: number, count: number): Uint8Array {
    const bytes = new Uint8Array(count * SECTOR_SIZE);
    const fd = openSync(this.d.file, 'r');
    try {
      for (let got = 0; got < bytes.length; ) {
        const n = readSync(fd, bytes, got, bytes.length - got, sector * SECTOR_SIZE + got);
        if (n === 0) break; // past the end of a short file: zeros
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    return bytes;
  }
}
