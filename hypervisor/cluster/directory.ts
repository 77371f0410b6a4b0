/**
 * The directory: one key per VM naming the host that owns it (location
 * transparency: a client asks here, not every daemon). A VM's key is
 * written by its host when it starts, removed when it stops, and changes
 * owner only by a compare-and-swap on the revision the writer read:
 *
 *   - a migration's commit point (the source, between STATE_ACK and GO):
 *     "still mine at revision R" → "the destination's, by migration M";
 *   - a failover: "still the dead host's at revision R" → "the survivor's".
 *
 * Two writers racing for one VM: one swap succeeds, the other finds the
 * revision moved and gives up — so the directory names one owner at every
 * moment.
 */
import type { EtcdClient, KeyValue } from './etcd.js';
import { VMS, parseVm, vmKey, type VmEntry } from './records.js';

export interface Read {
  readonly entry: VmEntry;
  readonly revision: number;
}

export class Directory {
  constructor(
    private readonly etcd: EtcdClient,
    private readonly log: (line: string) => void = () => {},
  ) {}

  async list(): Promise<Read[]> {
    return (await this.etcd.range(VMS)).flatMap((kv) => this.read(kv));
  }

  async get(name: string): Promise<Read | undefined> {
    const kv = await this.etcd.get(vmKey(name));
    return kv ? this.read(kv)[0] : undefined;
  }

  /** Create the VM's key if no VM of that name exists in the fleet: true if created. */
  async claim(entry: VmEntry): Promise<boolean> {
    return this.etcd.txn([{ key: vmKey(entry.name), absent: true }], [{ put: vmKey(entry.name), value: JSON.stringify(entry) }]);
  }

  /** Replace the entry if it is still at `revision`: true if it was. */
  async swap(read: Read, next: VmEntry): Promise<boolean> {
    return this.etcd.txn([{ key: vmKey(read.entry.name), modRevision: read.revision }], [{ put: vmKey(next.name), value: JSON.stringify(next) }]);
  }

  /** Remove the entry if it is still at `revision`: true if it was. */
  async remove(read: Read): Promise<boolean> {
    return this.etcd.txn([{ key: vmKey(read.entry.name), modRevision: read.revision }], [{ delete: vmKey(read.entry.name) }]);
  }

  private read(kv: KeyValue): Read[] {
    const e = parseVm(kv.key, kv.value);
    if (typeof e === 'string') {
      this.log(`cluster: skipped ${e}`);
      return [];
    }
    return [{ entry: e, revision: kv.modRevision }];
  }
}
